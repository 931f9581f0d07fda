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
package videoapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/frame"
	"github.com/livetryon/server/pkg/jobs"
	"github.com/livetryon/server/pkg/watch"
)

// Options set up the adapter.
type Options struct {
	MaxUploadBytes int64 // default 512 MiB
	// DiskReserve is the free space an upload must leave on the data
	// directory's disk besides itself and its result; default 256 MiB.
	DiskReserve int64
	// BodyIdle is how long an upload may send nothing before it is
	// dropped; default 30 s. A phone's slow upload of a long clip takes
	// minutes, so there is no limit on the whole.
	BodyIdle time.Duration
	Effects  func() []effects.Effect // when a request names none
	// AddrOf is a request's client address, for the per-address cap; the
	// peer's when nil.
	AddrOf func(*http.Request) netip.Addr
	// MaxUploads bounds the uploads in progress (being received or
	// checked), in all; default 8. MaxUploadsPerAddress bounds one
	// address's (IPv6: per /64); default 2.
	MaxUploads           int
	MaxUploadsPerAddress int
	// MaxEventsPerJob bounds one job's Server-Sent Events listeners;
	// default 8.
	MaxEventsPerJob int
	Logger          zerolog.Logger
}

// Defaults of Options' caps.
const (
	DefaultMaxUploads           = 8
	DefaultMaxUploadsPerAddress = 2
	DefaultMaxEventsPerJob      = 8
)

// Server is the HTTP adapter for video jobs.
type Server struct {
	refused atomic.Uint64 // uploads answered with an error
	jobs    Jobs
	hub     *watch.Hub
	opts    Options
	log     zerolog.Logger

	mu        sync.Mutex
	uploads   int                  // in progress
	uploading map[netip.Prefix]int // in progress, per address
	listeners map[string]int       // SSE listeners per job
}

// New makes the adapter over the backend m (Local, or a cluster's queue);
// previews are served by hub's rules.
func New(m Jobs, hub *watch.Hub, opts Options) *Server {
	if opts.MaxUploadBytes <= 0 {
		opts.MaxUploadBytes = 512 << 20
	}
	if opts.DiskReserve <= 0 {
		opts.DiskReserve = 256 << 20
	}
	if opts.BodyIdle <= 0 {
		opts.BodyIdle = 30 * time.Second
	}
	if opts.MaxUploads <= 0 {
		opts.MaxUploads = DefaultMaxUploads
	}
	if opts.MaxUploadsPerAddress <= 0 {
		opts.MaxUploadsPerAddress = DefaultMaxUploadsPerAddress
	}
	if opts.MaxEventsPerJob <= 0 {
		opts.MaxEventsPerJob = DefaultMaxEventsPerJob
	}
	if opts.AddrOf == nil {
		opts.AddrOf = peerAddr
	}
	return &Server{jobs: m, hub: hub, opts: opts, log: opts.Logger,
		uploading: map[netip.Prefix]int{}, listeners: map[string]int{}}
}

func peerAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr()
}

// addressKey groups an address with those of the same subscriber.
func addressKey(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p
	}
	p, _ := a.Prefix(a.BitLen())
	return p
}

// startUpload counts an upload in progress, or says which cap refuses it.
func (s *Server) startUpload(r *http.Request) (done func(), code, message string) {
	key := addressKey(s.opts.AddrOf(r))
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.uploads >= s.opts.MaxUploads:
		return nil, client.CodeBusy, fmt.Sprintf("%d uploads are in progress, as many as the server takes at once (--video-max-uploads); try again later", s.uploads)
	case s.uploading[key] >= s.opts.MaxUploadsPerAddress:
		return nil, client.CodeTooManyRequests, fmt.Sprintf("this address has %d uploads in progress, as many as the server takes from one (--video-max-uploads-per-ip)", s.uploading[key])
	}
	s.uploads++
	s.uploading[key]++
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.uploads--
		if s.uploading[key]--; s.uploading[key] <= 0 {
			delete(s.uploading, key)
		}
	}, "", ""
}

// Uploads is how many uploads are in progress.
func (s *Server) Uploads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.uploads
}

// refuseEarly answers before the body is read, and closes the connection
// after: a client refused for a cap keeps no descriptor open with an
// unread body.
func refuseEarly(w http.ResponseWriter, code, message string, retryAfter int) {
	w.Header().Set("Connection", "close")
	if retryAfter > 0 {
		client.WriteHTTPRetry(w, code, message, retryAfter)
		return
	}
	client.WriteHTTPError(w, code, message)
}

// Refused is how many uploads were answered with an error.
func (s *Server) Refused() uint64 { return s.refused.Load() }

// countRefusal counts an upload answered with an error.
func (s *Server) countRefusal(w *statusRecorder) {
	if w.status >= 400 {
		s.refused.Add(1)
	}
}

// statusRecorder remembers the status an upload was answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the connection's deadlines.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

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

func (s *Server) upload(rw http.ResponseWriter, r *http.Request) {
	w := &statusRecorder{ResponseWriter: rw}
	defer s.countRefusal(w)
	limit := s.opts.MaxUploadBytes
	// Every cap is checked before a byte of the body is read or a file
	// made: a refused upload costs a map lookup and a directory read.
	if err := s.jobs.Admit(r.Context()); err != nil {
		w.Header().Set("Connection", "close") // as refuseEarly: the body stays unread
		apierr.WriteHTTP(w, err)
		return
	}
	if fdsNearLimit() {
		refuseEarly(w, client.CodeBusy, "the server has nearly as many connections and files open as it may; try again later", 10)
		return
	}
	if r.ContentLength > limit {
		refuseEarly(w, frame.CodeTooLarge, fmt.Sprintf("the upload is %d bytes; the limit is %d (--max-upload-bytes)", r.ContentLength, limit), 0)
		return
	}
	done, code, message := s.startUpload(r)
	if done == nil {
		refuseEarly(w, code, message, 10)
		return
	}
	defer done()
	// A body of unknown length is assumed to be of 64 MiB here; if it is
	// longer and the disk fills, the write fails and says so (no_space).
	need := min(limit, 64<<20)
	if r.ContentLength > 0 {
		need = r.ContentLength
	}
	if free, err := freeBytes(s.jobs.Dir()); err == nil && free < 2*need+s.opts.DiskReserve {
		client.WriteHTTPRetry(w, CodeNoSpace, "the server's disk has no room for this upload and its result now", 60)
		return
	}
	fx := s.opts.Effects()
	if q, look := r.URL.Query().Get("effects"), r.URL.Query().Get("look"); q != "" || look != "" {
		var err error
		if fx, err = client.BuildEffectsParam(look, q); err != nil {
			client.WriteHTTPError(w, client.CodeBadEffects, err.Error())
			return
		}
	}
	id, path, err := s.jobs.NewUpload()
	if err != nil {
		s.log.Error().Err(err).Msg("video upload")
		client.WriteHTTPError(w, frame.CodeInternal, "the server cannot store the upload")
		return
	}
	// MaxBytesReader is given the server's own writer: past the limit it
	// tells the server to close the connection rather than read on.
	body := &idleBody{r: http.MaxBytesReader(rw, r.Body, limit), rc: http.NewResponseController(w), idle: s.opts.BodyIdle}
	name, fxField, lookField, err := s.receive(r, body, path)
	// The body is in (or refused): what is left is the probe and the answer.
	body.rc.SetReadDeadline(time.Time{})
	body.rc.SetWriteDeadline(time.Now().Add(3 * time.Minute))
	if err == nil && (fxField != "" || lookField != "") {
		fx, err = client.BuildEffectsParam(lookField, fxField)
		if err != nil {
			s.jobs.Discard(id)
			client.WriteHTTPError(w, client.CodeBadEffects, err.Error())
			return
		}
	}
	if err != nil {
		s.jobs.Discard(id)
		var tooBig *http.MaxBytesError
		var bad *apierr.Error
		switch {
		case errors.As(err, &tooBig):
			client.WriteHTTPError(w, frame.CodeTooLarge, fmt.Sprintf("the upload is over the %d-byte limit (--max-upload-bytes)", limit))
		case errors.As(err, &bad):
			apierr.WriteHTTP(w, bad)
		case errors.Is(err, os.ErrDeadlineExceeded):
			client.WriteHTTPError(w, client.CodeBadBody, fmt.Sprintf("the upload sent nothing for %v", s.opts.BodyIdle))
		case errors.Is(err, syscall.ENOSPC):
			client.WriteHTTPRetry(w, CodeNoSpace, "the server's disk filled up during the upload", 60)
		default:
			// The error may name the server's own file: it goes to the log only.
			s.log.Debug().Err(err).Msg("video upload could not be read")
			client.WriteHTTPError(w, client.CodeBadBody, "the upload could not be read")
		}
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	st, err := s.jobs.Add(ctx, id, name, fx)
	var refused *apierr.Error // a *video.Error wraps one
	switch {
	case errors.As(err, &refused):
		apierr.WriteHTTP(w, refused)
		return
	case errors.Is(err, jobs.ErrQueueFull):
		client.WriteHTTPRetry(w, client.CodeBusy, "as many videos are waiting as the server queues (--video-queue); try again later", 30)
		return
	case errors.Is(err, jobs.ErrBusy):
		client.WriteHTTPRetry(w, client.CodeBusy, "as many uploads are being checked as the server checks at once (--video-max-probes); try again later", 10)
		return
	case errors.Is(err, jobs.ErrClosed):
		client.WriteHTTPError(w, client.CodeShuttingDown, "the server is stopping")
		return
	case err != nil:
		s.log.Error().Err(err).Msg("video upload")
		client.WriteHTTPError(w, frame.CodeInternal, "the upload could not be checked")
		return
	}
	w.Header().Set("Location", "/api/v1/videos/"+st.ID)
	writeJSON(w, http.StatusCreated, reply(st))
}

// receive writes the request's video to path: the body itself, or the
// first file of a multipart form. It returns the client's file name and
// the effects and look form fields that came before the file.
func (s *Server) receive(r *http.Request, body io.Reader, path string) (name, fx, look string, err error) {
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	src := body
	name = r.URL.Query().Get("name")
	switch {
	case mt == "multipart/form-data":
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return "", "", "", apierr.New(client.CodeBadBody, "the form has no file part")
			}
			if err != nil {
				return "", "", "", err
			}
			if part.FileName() == "" && (part.FormName() == "effects" || part.FormName() == "look") {
				b, err := io.ReadAll(io.LimitReader(part, 4<<10))
				if err != nil {
					return "", "", "", err
				}
				if part.FormName() == "look" {
					look = string(b)
				} else {
					fx = string(b)
				}
				continue
			}
			if part.FileName() != "" || part.FormName() == "file" || part.FormName() == "video" {
				src, name = part, part.FileName()
				break
			}
		}
	case mt == "" || mt == "application/octet-stream" || strings.HasPrefix(mt, "video/"):
	default:
		return "", "", "", apierr.New(client.CodeUnsupportedType,
			fmt.Sprintf("send the video as the body (video/*, application/octet-stream) or as a multipart/form-data file, not %q", clip(mt)))
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", "", "", err
	}
	_, err = io.Copy(f, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return name, fx, look, err
}

// idleBody drops an upload that stops sending: each read must bring bytes
// within idle of the last.
type idleBody struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.rc.SetReadDeadline(time.Now().Add(b.idle))
	n, err := b.r.Read(p)
	if err == io.EOF {
		b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
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

// events sends the job at each change, until it is finished: each event is
// named by the job's state and carries the job as JSON.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	st, changed, ok := s.job(w, r)
	if !ok {
		return
	}
	if fdsNearLimit() {
		refuseEarly(w, client.CodeBusy, "the server has nearly as many connections and files open as it may; try again later", 10)
		return
	}
	s.mu.Lock()
	if s.listeners[st.ID] >= s.opts.MaxEventsPerJob {
		s.mu.Unlock()
		refuseEarly(w, client.CodeTooManyViewers, fmt.Sprintf("this job has %d event listeners, as many as the server serves one job (--video-events-per-job)", s.opts.MaxEventsPerJob), 10)
		return
	}
	s.listeners[st.ID]++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.listeners[st.ID]--; s.listeners[st.ID] <= 0 {
			delete(s.listeners, st.ID)
		}
		s.mu.Unlock()
	}()
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: pass events on at once
	w.WriteHeader(http.StatusOK)
	keepAlive := time.NewTicker(15 * time.Second)
	defer keepAlive.Stop()
	send := func(event string, v any) bool {
		b, _ := json.Marshal(v)
		rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	var last []byte // a backend that wakes without a change sends nothing
	for {
		b, _ := json.Marshal(st)
		if !bytes.Equal(b, last) && !send(string(st.State), reply(st)) || st.State.Finished() {
			return
		}
		last = b
		for waiting := true; waiting; {
			select {
			case <-changed:
				waiting = false
			case <-keepAlive.C:
				rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
				if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
					return
				}
			case <-r.Context().Done():
				return
			}
		}
		next, nextChanged, err := s.jobs.Get(r.Context(), st.ID)
		if e := apierr.From(err, ""); e != nil && e.Code == CodeUnknownJob {
			send("removed", map[string]string{"id": r.PathValue("id")})
			return
		}
		if err != nil {
			// The backend is away (Redis): the stream stays, and asks again.
			t := time.NewTimer(time.Second)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
			changed = closedChan
			continue
		}
		st, changed = next, nextChanged
	}
}

// closedChan is a channel that is closed.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// watch serves the job's frames as they are finished, as MJPEG.
func (s *Server) watch(w http.ResponseWriter, r *http.Request) {
	st, _, ok := s.job(w, r)
	if !ok {
		return
	}
	p, ok := s.jobs.Preview(r.Context(), st.ID)
	stream, isStream := p.(*watch.Stream)
	if !ok || !isStream {
		writeJSON(w, http.StatusConflict, notReady{Error: client.ErrorBody{Code: CodeNotReady,
			Message: fmt.Sprintf("the job is %s: there is nothing more to watch; play its result", st.State)}, Job: reply(st)})
		return
	}
	s.hub.ServeStream(w, r, stream)
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

// fdsNearLimit says whether the process has three quarters of its file
// descriptor limit open (or the limit less 64, if lower): past it, new
// uploads and event streams are refused, so that live clients, the
// ffmpegs' pipes and the jobs' files still find descriptors.
func fdsNearLimit() bool {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur == 0 {
		return false
	}
	f, err := os.Open("/proc/self/fd")
	if err != nil {
		return false
	}
	defer f.Close()
	names, _ := f.Readdirnames(-1)
	return uint64(len(names)) >= min(lim.Cur*3/4, max(lim.Cur, 64)-64)
}

// freeBytes is the space left for an unprivileged user on dir's disk.
func freeBytes(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * st.Bsize, nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
