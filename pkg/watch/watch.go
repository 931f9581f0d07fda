// Package watch lets people watch a live session's processed frames from
// anywhere: GET /watch/{id} streams them as MJPEG (multipart/x-mixed-replace,
// for an <img> or VLC), and GET /watch/{id}/snapshot.jpg gives the newest.
//
// Every viewer holds only a reference to the newest frame, shared with all
// the others: a slow viewer skips frames, and never slows the session it
// watches or any other viewer. Viewers are bounded per stream and in all,
// and a stream with no new frame for the idle timeout ends.
//
// A live client's stream outlives its connection by a grace time: a page
// that switches transport or reconnects presents the stream's key (given
// to it alone) and carries on under the same watch id, so a link or QR
// code already shared keeps working and its viewers stay connected. When
// no one resumes it in time, viewers get a last "ended" frame and their
// stream closes.
package watch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetryon/server/pkg/client"
)

// Limits bound what watching may cost.
type Limits struct {
	ViewersPerStream int           // default 8
	Viewers          int           // in all; default 64
	Idle             time.Duration // end a viewer's stream after this long without a new frame; default 30 s
	WriteTimeout     time.Duration // a viewer that takes longer to read one frame is cut off; default 10 s
	// Grace is how long a live client's stream waits for its page to come
	// back (Resume) after the client left; default 15 s, below Idle so
	// viewers see the ended frame rather than a silent cut.
	Grace time.Duration
	// Detached is how many streams may wait for Resume at once; past it
	// the oldest waiting one ends at once, so a client opening and
	// leaving sessions in a loop cannot keep their last frames alive.
	// Default 256.
	Detached int
}

// DefaultLimits are what the server runs with unless flags say otherwise.
var DefaultLimits = Limits{ViewersPerStream: 8, Viewers: 64, Idle: 30 * time.Second, WriteTimeout: 10 * time.Second, Grace: 15 * time.Second, Detached: 256}

// Hub holds the streams of the live sessions.
type Hub struct {
	limits Limits
	log    zerolog.Logger

	mu      sync.Mutex
	streams map[string]*Stream
	byKey   map[string]*Stream // resumable streams, by key
	waiting []*Stream          // streams whose client left, waiting for Resume: oldest first
	viewers int
	closed  bool
}

// NewHub makes a hub; zero limits take the defaults.
func NewHub(l Limits, log zerolog.Logger) *Hub {
	d := DefaultLimits
	if l.ViewersPerStream <= 0 {
		l.ViewersPerStream = d.ViewersPerStream
	}
	if l.Viewers <= 0 {
		l.Viewers = d.Viewers
	}
	if l.Idle <= 0 {
		l.Idle = d.Idle
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = d.WriteTimeout
	}
	if l.Grace <= 0 {
		l.Grace = d.Grace
	}
	if l.Detached <= 0 {
		l.Detached = d.Detached
	}
	return &Hub{limits: l, log: log, streams: map[string]*Stream{}, byKey: map[string]*Stream{}}
}

// Stream is one session's frames.
type Stream struct {
	id  string
	key string // resumable streams only: what the owner presents to Resume
	hub *Hub

	mu       sync.Mutex
	frame    []byte        // newest; never changed once published
	seq      uint64        // frames published
	changed  chan struct{} // closed on the next Publish or Close
	closed   bool
	viewers  int
	detached *time.Timer // while its client is gone: ends the stream at the grace time
}

var _ client.Stream = (*Stream)(nil)

// randomID is 128 random bits in hex: unguessable.
func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Open makes a stream with a new unguessable id. Close ends it at once.
func (h *Hub) Open() *Stream { return h.open(false) }

// OpenResumable makes a stream that its owner may Resume, with its Key,
// for the grace time after Close.
func (h *Hub) OpenResumable() *Stream { return h.open(true) }

func (h *Hub) open(resumable bool) *Stream {
	s := &Stream{id: randomID(), hub: h, changed: make(chan struct{})}
	if resumable {
		s.key = randomID()
	}
	h.mu.Lock()
	if h.closed {
		s.closed = true
		close(s.changed)
	} else {
		h.streams[s.id] = s
		if resumable {
			h.byKey[s.key] = s
		}
	}
	h.mu.Unlock()
	return s
}

// OpenStream is OpenResumable as the client layer wants it.
func (h *Hub) OpenStream() client.Stream { return h.OpenResumable() }

// ResumeStream is Resume as the client layer wants it.
func (h *Hub) ResumeStream(key string) (client.Stream, bool) {
	s := h.Resume(key)
	return s, s != nil
}

// Resume gives back the stream whose key this is, if its client has left
// and its grace time has not run out: the caller publishes to it from now
// on, under the same id, and its viewers never noticed. Otherwise nil: a
// stream whose client is still connected is not taken from it.
func (h *Hub) Resume(key string) *Stream {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.byKey[key]
	if s == nil || key == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.detached == nil || !s.detached.Stop() {
		return nil // connected, ended, or ending now
	}
	s.detached = nil
	h.stopWaiting(s)
	return s
}

// stopWaiting takes s off the streams waiting for Resume; h.mu held.
func (h *Hub) stopWaiting(s *Stream) {
	for i, w := range h.waiting {
		if w == s {
			h.waiting = append(h.waiting[:i], h.waiting[i+1:]...)
			return
		}
	}
}

// ID is the stream's id, the {id} of its link.
func (s *Stream) ID() string { return s.id }

// Key is what the stream's owner presents to Resume it; "" if it cannot
// be resumed. It must go to the owner alone: whoever has it can publish
// under the stream's watch link.
func (s *Stream) Key() string { return s.key }

// Viewers is how many are watching now.
func (s *Stream) Viewers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.viewers
}

// Publish makes jpg the newest frame; jpg must never change afterwards.
func (s *Stream) Publish(jpg []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.frame = jpg
	s.seq++
	close(s.changed)
	s.changed = make(chan struct{})
}

// Close says the stream's publisher is gone. A resumable stream then
// waits the grace time for Resume, its viewers kept; any other ends now.
func (s *Stream) Close() {
	if s.key == "" {
		s.end(false)
		return
	}
	h := s.hub
	var oldest *Stream
	h.mu.Lock()
	s.mu.Lock()
	if !s.closed && s.detached == nil {
		s.detached = time.AfterFunc(h.limits.Grace, func() { s.end(true) })
		h.waiting = append(h.waiting, s)
		if len(h.waiting) > h.limits.Detached {
			oldest = h.waiting[0]
			h.waiting = h.waiting[1:]
		}
	}
	s.mu.Unlock()
	h.mu.Unlock()
	if oldest != nil {
		oldest.end(true)
	}
}

// Discard ends a stream that nobody was given a link to yet, at once:
// its client resumed an older one instead.
func (s *Stream) Discard() { s.end(false) }

// end closes the stream and its viewers' responses, which end cleanly;
// with ended, viewers first get the last frame marked as ended, so that
// a watcher knows the session is over rather than stalled. The stream
// leaves the hub in the same step as it closes (the hub's lock, then the
// stream's, as Close takes them): a viewer that saw the end and asks for
// the link again, or its snapshot, finds it gone.
func (s *Stream) end(ended bool) {
	var darkened []byte // made before the locks: an encode is milliseconds
	if ended {
		s.mu.Lock()
		last, watched, closed := s.frame, s.viewers > 0, s.closed
		s.mu.Unlock()
		if watched && !closed {
			darkened = endedFrame(last)
		}
	}
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	s.mu.Lock()
	if !s.closed {
		if s.detached != nil {
			s.detached.Stop()
			s.detached = nil
		}
		if darkened != nil {
			s.frame = darkened
			s.seq++
		}
		s.closed = true
		close(s.changed)
	}
	s.mu.Unlock()
	delete(h.streams, s.id)
	if s.key != "" {
		delete(h.byKey, s.key)
		h.stopWaiting(s)
	}
}

// newest is the newest frame, its number, a channel closed when either
// changes, and whether the stream ended.
func (s *Stream) newest() ([]byte, uint64, <-chan struct{}, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frame, s.seq, s.changed, s.closed
}

// Close ends every stream, for shutdown.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	streams := make([]*Stream, 0, len(h.streams))
	for _, s := range h.streams {
		streams = append(streams, s)
	}
	h.mu.Unlock()
	for _, s := range streams {
		s.end(true) // shutdown: nobody will resume them
	}
}

// Stats are the hub's counts now.
type Stats struct {
	Streams int `json:"streams"`
	Viewers int `json:"viewers"`
}

// Stats returns the counts.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	return Stats{Streams: len(h.streams), Viewers: h.viewers}
}

func (h *Hub) lookup(id string) *Stream {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.streams[id]
}

// join counts a viewer in, or says which limit refused it.
func (h *Hub) join(s *Stream) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case h.viewers >= h.limits.Viewers:
		return fmt.Sprintf("the server has %d viewers, its limit", h.limits.Viewers)
	case s.viewers >= h.limits.ViewersPerStream:
		return fmt.Sprintf("this session has %d viewers, its limit", h.limits.ViewersPerStream)
	}
	h.viewers++
	s.viewers++
	return ""
}

func (h *Hub) leave(s *Stream) {
	h.mu.Lock()
	h.viewers--
	h.mu.Unlock()
	s.mu.Lock()
	s.viewers--
	s.mu.Unlock()
}

// Handler serves GET /watch/{id} and GET /watch/{id}/snapshot.jpg.
func (h *Hub) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /watch/{id}", h.serveStream)
	mux.HandleFunc("GET /watch/{id}/snapshot.jpg", h.serveSnapshot)
	mux.HandleFunc("/watch/", func(w http.ResponseWriter, r *http.Request) {
		client.WriteHTTPError(w, client.CodeNotFound, "watch a session at GET /watch/{id} or /watch/{id}/snapshot.jpg")
	})
	return mux
}

func (h *Hub) serveSnapshot(w http.ResponseWriter, r *http.Request) {
	s := h.lookup(r.PathValue("id"))
	if s == nil {
		client.WriteHTTPError(w, client.CodeUnknownWatch, "no live session has this watch id")
		return
	}
	jpg, _, _, _ := s.newest()
	if jpg == nil {
		client.WriteHTTPError(w, client.CodeNoFrame, "the session has not been answered a frame yet")
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Length", strconv.Itoa(len(jpg)))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(jpg)
}

const boundary = "tryonframe"

type connKey struct{}

// ConnContext is for http.Server.ConnContext: it lets the stream handler
// shrink its connection's kernel send buffer. Without it, a viewer that
// reads slowly would have a few hundred kilobytes of old frames queued in
// the kernel, and see them before the newest.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// sendBuffer sizes a viewer connection's kernel send buffer to about one
// frame (Linux doubles the value asked for): a slow viewer then has at most
// about two old frames waiting in the kernel, and a viewer over a long
// round trip still gets a frame per round trip.
func sendBuffer(conn any, frameBytes int) {
	if c, ok := conn.(interface{ SetWriteBuffer(int) error }); ok {
		c.SetWriteBuffer(frameBytes/2 + 4096)
	}
}

func (h *Hub) serveStream(w http.ResponseWriter, r *http.Request) {
	s := h.lookup(r.PathValue("id"))
	if s == nil {
		client.WriteHTTPError(w, client.CodeUnknownWatch, "no live session has this watch id")
		return
	}
	h.ServeStream(w, r, s)
}

// ServeHTTP serves the stream as MJPEG, as GET /watch/{id} does, within
// its hub's viewer limits: for routes of their own (a video job's
// preview, pkg/jobs' Preview).
func (s *Stream) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.hub.ServeStream(w, r, s) }

// ServeStream serves s as MJPEG, as GET /watch/{id} does, for routes of
// their own, within the hub's viewer limits.
func (h *Hub) ServeStream(w http.ResponseWriter, r *http.Request, s *Stream) {
	if why := h.join(s); why != "" {
		client.WriteHTTPError(w, client.CodeTooManyViewers, why)
		return
	}
	defer h.leave(s)
	conn := r.Context().Value(connKey{})
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary="+boundary)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	// Each part is followed by the next boundary at once: a browser shows a
	// part only when it sees the boundary after it, and the next frame may
	// be long in coming.
	fmt.Fprintf(w, "--%s\r\n", boundary)
	rc.Flush()
	end := func() { // an empty last part and the closing boundary
		fmt.Fprintf(w, "\r\n--%s--\r\n", boundary)
		rc.Flush()
	}
	idle := time.NewTimer(h.limits.Idle)
	defer idle.Stop()
	var last uint64
	for {
		jpg, seq, changed, closed := s.newest()
		if closed && (seq == last || jpg == nil) {
			end() // the session ended, and its last frame was sent
			return
		}
		if seq != last && jpg != nil {
			last = seq
			sendBuffer(conn, len(jpg))
			rc.SetWriteDeadline(time.Now().Add(h.limits.WriteTimeout))
			_, err := fmt.Fprintf(w, "Content-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(jpg))
			if err == nil {
				_, err = w.Write(jpg)
			}
			if err == nil {
				_, err = fmt.Fprintf(w, "\r\n--%s\r\n", boundary)
			}
			if err == nil {
				err = rc.Flush()
			}
			if err != nil {
				return // the viewer left, or reads too slowly to keep
			}
			if !idle.Stop() {
				select {
				case <-idle.C:
				default:
				}
			}
			idle.Reset(h.limits.Idle)
		}
		select {
		case <-changed:
		case <-r.Context().Done():
			return
		case <-idle.C:
			end()
			return
		}
	}
}
