// Package httpframe serves the try-on pipeline one HTTP request per frame,
// the simplest client there is (fetch in a loop):
//
//	POST   /api/v1/frames   JPEG in; the processed JPEG out, or with
//	                        Accept: application/json the faces as JSON
//	DELETE /api/v1/frames   end the session now rather than at its expiry
//
// A session id keeps tracking, smoothing, settings and the FPS meter across
// requests: the first answer gives it in X-Session-Id, and the client sends
// it back in the same header or as ?session=. Every answer carries the
// session's watch link in X-Watch-URL. Idle sessions expire. It is a thin
// adapter over package client's Hub. See docs/protocol.md.
package httpframe

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/frame"
)

// Options configure the transport. A zero field takes DefaultOptions'
// value.
type Options struct {
	// Idle ends a session after this long without a request.
	Idle time.Duration
	// MaxSessions bounds the sessions held at once.
	MaxSessions int
	// Timeout bounds the wait for one frame's answer.
	Timeout time.Duration
}

// DefaultOptions are the transport's defaults.
func DefaultOptions() Options {
	return Options{Idle: 60 * time.Second, MaxSessions: 256, Timeout: 30 * time.Second}
}

// Header names of the protocol.
const (
	HeaderSession = "X-Session-Id"
	HeaderWatch   = "X-Watch-URL"
	// HeaderWatchKey is the watch link's key, for config's watch_key on
	// the page's next session (docs/protocol.md, "Watching a session").
	HeaderWatchKey = "X-Watch-Key"
	HeaderConfig   = "X-Config"
	HeaderFrameID  = "X-Frame-Id"
)

// Server is the HTTP-per-frame adapter.
type Server struct {
	hub    *client.Hub
	opts   Options
	limits frame.Limits
	quit   chan struct{}
	done   chan struct{}

	mu       sync.Mutex
	sessions map[string]*session
	opening  int // sessions being opened, outside mu: they count against MaxSessions
	closed   bool
}

type session struct {
	id       string // the client's: X-Session-Id
	client   *client.Client
	ended    chan struct{} // closed by end: requests waiting are refused
	endOnce  sync.Once
	lastUsed atomic.Int64 // unix nanoseconds
}

// end closes the session's client (and its watch stream).
func (ss *session) end() {
	ss.endOnce.Do(func() {
		close(ss.ended)
		ss.client.Close() // gives back its admission too
	})
}

// New makes the adapter, whose sessions open on hub, and starts the
// expiry of idle sessions; Close stops it.
func New(hub *client.Hub, opts Options) *Server {
	d := DefaultOptions()
	if opts.Idle <= 0 {
		opts.Idle = d.Idle
	}
	if opts.MaxSessions <= 0 {
		opts.MaxSessions = d.MaxSessions
	}
	if opts.Timeout <= 0 {
		opts.Timeout = d.Timeout
	}
	s := &Server{hub: hub, opts: opts, limits: hub.Limits(), sessions: map[string]*session{},
		quit: make(chan struct{}), done: make(chan struct{})}
	go s.expire()
	return s
}

// Handler serves /api/v1/frames.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			s.post(w, r)
		case http.MethodDelete:
			s.delete(w, r)
		default:
			w.Header().Set("Allow", "POST, DELETE")
			client.WriteHTTPError(w, client.CodeMethod, "POST a JPEG frame; DELETE to end a session")
		}
	})
}

// Sessions is how many sessions are held now.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Close ends every session (requests waiting for a frame are answered
// shutting_down) and waits, until ctx is done, for the expiry goroutine.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.quit)
	}
	all := s.sessions
	s.sessions = map[string]*session{}
	s.mu.Unlock()
	for _, ss := range all {
		ss.end()
	}
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("httpframe: close: %w", ctx.Err())
	}
}

func (s *Server) expire() {
	defer close(s.done)
	t := time.NewTicker(max(s.opts.Idle/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case now := <-t.C:
			var idle []*session
			s.mu.Lock()
			for id, ss := range s.sessions {
				if now.Sub(time.Unix(0, ss.lastUsed.Load())) > s.opts.Idle {
					idle = append(idle, ss)
					delete(s.sessions, id)
				}
			}
			s.mu.Unlock()
			for _, ss := range idle {
				ss.end()
			}
		}
	}
}

func sessionID(r *http.Request) string {
	if id := r.Header.Get(HeaderSession); id != "" {
		return id
	}
	return r.URL.Query().Get("session")
}

// lookup finds the request's session, or opens one when it names none.
// A session is opened outside the mutex (admission, the client, its
// watch stream), so a slow open holds up no other request.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) (*session, bool) {
	id := sessionID(r)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		client.WriteHTTPError(w, client.CodeShuttingDown, "the server is stopping")
		return nil, false
	}
	if id != "" {
		ss, ok := s.sessions[id]
		s.mu.Unlock()
		if !ok {
			client.WriteHTTPError(w, client.CodeUnknownSession, "no session has this id; it may have expired: send the frame without one to start a new session")
			return nil, false
		}
		ss.lastUsed.Store(time.Now().UnixNano())
		return ss, true
	}
	if len(s.sessions)+s.opening >= s.opts.MaxSessions {
		s.mu.Unlock()
		client.WriteHTTPError(w, client.CodeTooManySessions, fmt.Sprintf("the server holds %d sessions, its limit; try again later", s.opts.MaxSessions))
		return nil, false
	}
	s.opening++
	s.mu.Unlock()
	ss, ok := s.open(w, r)
	s.mu.Lock()
	s.opening--
	if ok && s.closed {
		ok = false
		defer ss.end()
		client.WriteHTTPError(w, client.CodeShuttingDown, "the server is stopping")
	}
	if ok {
		s.sessions[ss.id] = ss
	}
	s.mu.Unlock()
	return ss, ok
}

// open opens a session on the hub; on failure it has answered.
func (s *Server) open(w http.ResponseWriter, r *http.Request) (*session, bool) {
	leave, refused := s.hub.Admit(r)
	if refused != nil {
		apierr.WriteHTTP(w, refused)
		return nil, false
	}
	c, err := s.hub.Open("http", waiters{}, client.Request{Remote: s.hub.RemoteAddr(r), Leave: leave})
	if err != nil {
		client.WriteHTTPError(w, client.CodeShuttingDown, "the server is stopping")
		return nil, false
	}
	ss := &session{id: c.ID(), client: c, ended: make(chan struct{})}
	ss.lastUsed.Store(time.Now().UnixNano())
	return ss, true
}

func (s *Server) post(w http.ResponseWriter, r *http.Request) {
	if id := sessionID(r); id != "" {
		// Refuse an unknown session before reading a body for it.
		s.mu.Lock()
		_, ok := s.sessions[id]
		s.mu.Unlock()
		if !ok {
			client.WriteHTTPError(w, client.CodeUnknownSession, "no session has this id; it may have expired: send the frame without one to start a new session")
			return
		}
	}
	raw, err := configOf(r)
	if err != nil {
		client.WriteHTTPError(w, client.CodeBadEffects, err.Error())
		return
	}
	jpg, ok := client.ReadJPEG(w, r, s.limits.MaxBytes)
	if !ok {
		return
	}
	ss, ok := s.lookup(w, r)
	if !ok {
		return
	}
	h := w.Header()
	h.Set(HeaderSession, ss.id)
	h.Set("Access-Control-Expose-Headers", "X-Session-Id, X-Watch-URL, X-Watch-Key, X-Frame-Id, X-Faces, X-FPS, X-Dropped, X-Tracked, Server-Timing")
	if raw != nil {
		if _, err := ss.client.Configure(raw, nil); err != nil {
			client.WriteHTTPError(w, client.CodeBadConfig, err.Error())
			return
		}
	}
	// After the config, which may have resumed an earlier watch link.
	if info := ss.client.Info(); info.Watch != "" {
		h.Set(HeaderWatch, info.Watch)
		h.Set(HeaderWatchKey, info.WatchKey)
	}
	var id any
	if fid := r.Header.Get(HeaderFrameID); fid != "" {
		id = fid
		h.Set(HeaderFrameID, fid)
	}
	wt := &waiter{answer: make(chan client.Message, 1)}
	ss.client.SubmitJPEG(ss.client.NewFrame(id), wt, jpg)
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
	defer cancel()
	var m client.Message
	select {
	case m = <-wt.answer:
	case <-ss.ended:
		client.WriteHTTPError(w, client.CodeShuttingDown, "the session ended before its frame was answered (the server is stopping, or it was deleted)")
		return
	case <-ctx.Done():
		client.WriteHTTPError(w, client.CodeTimeout, "the server is too busy to answer this frame in time")
		return
	}
	ss.lastUsed.Store(time.Now().UnixNano())
	s.write(w, r, m)
}

// write answers with the frame's JPEG, or JSON when the client accepts it.
func (s *Server) write(w http.ResponseWriter, r *http.Request, m client.Message) {
	rep := m.Reply
	if rep == nil {
		client.WriteHTTPError(w, apierr.CodeInternal, "no answer")
		return
	}
	if rep.Error != nil {
		client.WriteHTTPError(w, rep.Error.Code, rep.Error.Message)
		return
	}
	h := w.Header()
	h.Set("X-Faces", strconv.Itoa(rep.Faces))
	h.Set("X-FPS", strconv.FormatFloat(rep.FPS, 'f', 1, 64))
	h.Set("X-Dropped", strconv.FormatUint(rep.Dropped, 10))
	h.Set("X-Tracked", strconv.FormatBool(rep.Tracked))
	if t := rep.Timings; t != nil {
		h.Set("Server-Timing", fmt.Sprintf("queue;dur=%.2f, decode;dur=%.2f, detect;dur=%.2f, landmarks;dur=%.2f, effects;dur=%.2f, encode;dur=%.2f, total;dur=%.2f",
			t.Queue, t.Decode, t.Detect, t.Landmarks, t.Effects, t.Encode, t.Total))
	}
	if strings.Contains(r.Header.Get("Accept"), "application/json") || m.Image == nil {
		reply := jsonAnswer{FrameReply: *rep}
		if m.Landmarks != nil {
			reply.Width, reply.Height, reply.Faces = m.Landmarks.Width, m.Landmarks.Height, m.Landmarks.Faces
		}
		if m.Image != nil && wantsImage(r) {
			reply.Image = "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(m.Image)
		}
		h.Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(reply)
		return
	}
	h.Set("Content-Type", "image/jpeg")
	h.Set("Content-Length", strconv.Itoa(len(m.Image)))
	w.Write(m.Image)
}

func wantsImage(r *http.Request) bool {
	v := r.URL.Query().Get("image")
	return v == "1" || v == "true"
}

// jsonAnswer is the JSON answer: the acknowledgement's fields and the
// landmarks event's.
type jsonAnswer struct {
	client.FrameReply
	Width  int `json:"width"`
	Height int `json:"height"`
	Faces  any `json:"faces"`
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request) {
	id := sessionID(r)
	s.mu.Lock()
	ss, ok := s.sessions[id]
	delete(s.sessions, id)
	s.mu.Unlock()
	if !ok {
		client.WriteHTTPError(w, client.CodeUnknownSession, "no session has this id")
		return
	}
	ss.end()
	w.WriteHeader(http.StatusNoContent)
}

// waiter is one request waiting for its frame's answer.
type waiter struct{ answer chan client.Message }

// waiters is the Sender of an HTTP session: it hands each frame's message
// to the request waiting for it, and never blocks. Messages nobody waits
// for (the greeting, config replies, answers to requests that gave up)
// are dropped.
type waiters struct{}

func (waiters) Send(m client.Message) error {
	if w, ok := m.Ack.(*waiter); ok {
		select {
		case w.answer <- m:
		default:
		}
	}
	return nil
}
