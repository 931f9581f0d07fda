// Package videoapi serves uploaded-video jobs (pkg/jobs) over HTTP:
//
//	POST   /api/v1/videos                   upload (multipart or raw); 201 with the job
//	GET    /api/v1/videos/{id}              the job: state, frames, fps, time left
//	GET    /api/v1/videos/{id}/events       the same as Server-Sent Events, at each change
//	GET    /api/v1/videos/{id}/watch        MJPEG of the frames as they are finished
//	GET    /api/v1/videos/{id}/result.mp4   the result, with ranges; 409 until done
//	DELETE /api/v1/videos/{id}              cancel, and remove the files
//
// An upload is streamed to disk, never held in memory. It is refused
// before a byte is read when the queue is full, when as many uploads are
// in progress as the server takes (in all, or from the client's address),
// when the process is near its file-descriptor limit, when its declared
// length is over the limit or when the disk has no room for it and its
// result; and with 413 as soon as its bytes pass the limit, whatever it
// declared. See docs/protocol.md.
//
// The files: videoapi.go, the adapter and a job's status and result;
// upload.go, an upload from its caps to its job; events.go, the event
// stream and the preview.
package videoapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/jobs"
)

// Options set up the adapter. A zero field takes DefaultOptions' value.
type Options struct {
	MaxUploadBytes int64
	// DiskReserve is the free space an upload must leave on the data
	// directory's disk besides itself and its result.
	DiskReserve int64
	// BodyIdle is how long an upload may send nothing before it is
	// dropped. A phone's slow upload of a long clip takes minutes, so
	// there is no limit on the whole.
	BodyIdle time.Duration
	Effects  func() []effects.Effect // when a request names none
	// AddrOf is a request's client address, for the per-address cap; the
	// peer's when nil.
	AddrOf func(*http.Request) netip.Addr
	// MaxUploads bounds the uploads in progress (being received or
	// checked), in all; MaxUploadsPerAddress bounds one address's (IPv6:
	// per /64).
	MaxUploads           int
	MaxUploadsPerAddress int
	// MaxEventsPerJob bounds one job's Server-Sent Events listeners.
	MaxEventsPerJob int
	Logger          zerolog.Logger
}

// DefaultOptions are what the server runs with unless flags say otherwise.
func DefaultOptions() Options {
	return Options{MaxUploadBytes: 512 << 20, DiskReserve: 256 << 20, BodyIdle: 30 * time.Second,
		MaxUploads: 8, MaxUploadsPerAddress: 2, MaxEventsPerJob: 8}
}

// Jobs is what the adapter asks of the video jobs: pkg/jobs' Manager on
// one node (through Local), pkg/jobqueue's Queue across several. The
// errors a client sees are *apierr.Error values: unknown_job, and on a
// cluster unavailable while Redis is away.
type Jobs interface {
	// Admit says, before a byte of an upload is read, whether it may
	// start: nil, or why not (busy: the queue is full).
	Admit(ctx context.Context) error
	Dir() string // on the disk uploads land on, for the free-space check
	NewUpload() (id, path string, err error)
	Discard(id string)
	Add(ctx context.Context, id, name string, fx []effects.Effect, preview jobs.Preview) (jobs.Status, error)
	Get(ctx context.Context, id string) (jobs.Status, <-chan struct{}, error)
	// Result opens a done job's MP4, with its modification time; the file
	// is nil unless the job is done.
	Result(ctx context.Context, id string) (jobs.Status, io.ReadSeekCloser, time.Time, error)
	Preview(ctx context.Context, id string) (jobs.Preview, bool)
	Remove(ctx context.Context, id string) error
}

// Server is the HTTP adapter for video jobs.
type Server struct {
	refused     atomic.Uint64 // uploads answered with an error
	jobs        Jobs
	openPreview func() jobs.Preview
	opts        Options
	log         zerolog.Logger

	mu        sync.Mutex
	uploads   int                  // in progress
	uploading map[netip.Prefix]int // in progress, per address
	listeners map[string]int       // SSE listeners per job
}

// New makes the adapter; openPreview makes each new job's preview
// (pkg/watch's Hub.Open, whose viewer limits then apply).
func New(m Jobs, openPreview func() jobs.Preview, opts Options) *Server {
	d := DefaultOptions()
	if opts.MaxUploadBytes <= 0 {
		opts.MaxUploadBytes = d.MaxUploadBytes
	}
	if opts.DiskReserve <= 0 {
		opts.DiskReserve = d.DiskReserve
	}
	if opts.BodyIdle <= 0 {
		opts.BodyIdle = d.BodyIdle
	}
	if opts.MaxUploads <= 0 {
		opts.MaxUploads = d.MaxUploads
	}
	if opts.MaxUploadsPerAddress <= 0 {
		opts.MaxUploadsPerAddress = d.MaxUploadsPerAddress
	}
	if opts.MaxEventsPerJob <= 0 {
		opts.MaxEventsPerJob = d.MaxEventsPerJob
	}
	if opts.AddrOf == nil {
		opts.AddrOf = peerAddr
	}
	return &Server{jobs: m, openPreview: openPreview, opts: opts, log: opts.Logger,
		uploading: map[netip.Prefix]int{}, listeners: map[string]int{}}
}

// Error codes of this API, besides pkg/video's refusals.
const (
	CodeUnknownJob = client.CodeUnknownJob
	CodeNotReady   = client.CodeNotReady
	CodeNoSpace    = client.CodeNoSpace
)

// Handler serves the routes under /api/v1/videos.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/videos", s.upload)
	mux.HandleFunc("GET /api/v1/videos/{id}", s.status)
	mux.HandleFunc("DELETE /api/v1/videos/{id}", s.remove)
	mux.HandleFunc("GET /api/v1/videos/{id}/events", s.events)
	mux.HandleFunc("GET /api/v1/videos/{id}/watch", s.watch)
	mux.HandleFunc("GET /api/v1/videos/{id}/result.mp4", s.result)
	mux.HandleFunc("/api/v1/videos", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		client.WriteHTTPError(w, client.CodeMethod, "upload a video with POST")
	})
	mux.HandleFunc("/api/v1/videos/", func(w http.ResponseWriter, r *http.Request) {
		client.WriteHTTPError(w, client.CodeNotFound, "no such endpoint; see docs/protocol.md")
	})
	return mux
}

// Reply is a job as the API gives it: its status and its links.
type Reply struct {
	jobs.Status
	Links Links `json:"links"`
}

// Links are a job's endpoints.
type Links struct {
	Self   string `json:"self"`
	Events string `json:"events"`
	Watch  string `json:"watch"`
	Result string `json:"result"`
}

func reply(st jobs.Status) Reply {
	base := "/api/v1/videos/" + st.ID
	return Reply{Status: st, Links: Links{Self: base, Events: base + "/events", Watch: base + "/watch", Result: base + "/result.mp4"}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) job(w http.ResponseWriter, r *http.Request) (jobs.Status, <-chan struct{}, bool) {
	st, changed, err := s.jobs.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		apierr.WriteHTTP(w, err)
	}
	return st, changed, err == nil
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	if st, _, ok := s.job(w, r); ok {
		writeJSON(w, http.StatusOK, reply(st))
	}
}

func (s *Server) remove(w http.ResponseWriter, r *http.Request) {
	if err := s.jobs.Remove(r.Context(), r.PathValue("id")); err != nil {
		apierr.WriteHTTP(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type notReady struct {
	Error client.ErrorBody `json:"error"`
	Job   Reply            `json:"job"`
}

// result serves a done job's MP4, with ranges so a player can seek.
func (s *Server) result(w http.ResponseWriter, r *http.Request) {
	st, f, modTime, err := s.jobs.Result(r.Context(), r.PathValue("id"))
	if err != nil {
		apierr.WriteHTTP(w, err)
		return
	}
	if f == nil {
		writeJSON(w, http.StatusConflict, notReady{Error: client.ErrorBody{Code: CodeNotReady,
			Message: fmt.Sprintf("the job is %s, not done", st.State)}, Job: reply(st)})
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "video/mp4")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	if r.URL.Query().Has("download") {
		w.Header().Set("Content-Disposition", `attachment; filename="tryon-`+st.ID[:8]+`.mp4"`)
	}
	http.ServeContent(&progressWriter{ResponseWriter: w, rc: http.NewResponseController(w)}, r, "", modTime, f)
}

// progressWriter gives each write of a long download its own deadline:
// a client that stops reading is dropped, one that reads slowly is not.
type progressWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
}

func (p *progressWriter) Write(b []byte) (int, error) {
	p.rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
	return p.ResponseWriter.Write(b)
}
