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
// adapter over package client. See docs/protocol.md.
package httpframe

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
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
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/frame"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/transport/httpapi"
)

// Options configure the transport.
type Options struct {
	// Common sets up each session's client; its Admit is asked before a
	// session is opened.
	client.Common
	// Idle ends a session after this long without a request; default 60 s.
	Idle time.Duration
	// MaxSessions bounds the sessions held at once; default 256.
	MaxSessions int
	// Timeout bounds the wait for one frame's answer; default 30 s.
	Timeout time.Duration
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
	engine *pipeline.Engine
	opts   Options
	limits frame.Limits
	quit   chan struct{}
	done   chan struct{}

	mu       sync.Mutex
	sessions map[string]*session
	closed   bool
}

type session struct {
	id       string
	client   *client.Client
	leave    func()        // gives back its admission
	ended    chan struct{} // closed by end: requests waiting are refused
	endOnce  sync.Once
	lastUsed atomic.Int64 // unix nanoseconds
}

// end closes the session's client (and its watch stream).
func (ss *session) end() {
	ss.endOnce.Do(func() {
		close(ss.ended)
		ss.client.Close()
		ss.leave()
	})
}

// New makes the adapter and starts the expiry of idle sessions; Close
// stops it.
func New(engine *pipeline.Engine, opts Options) *Server {
	if opts.Idle <= 0 {
		opts.Idle = 60 * time.Second
	}
	if opts.MaxSessions <= 0 {
		opts.MaxSessions = 256
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	s := &Server{engine: engine, opts: opts, limits: engine.Config().Limits, sessions: map[string]*session{},
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

// Close ends every session and the expiry.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	all := s.sessions
	s.sessions = map[string]*session{}
	s.mu.Unlock()
	close(s.quit)
	<-s.done
	for _, ss := range all {
		ss.end()
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
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) (*session, bool) {
	id := sessionID(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		client.WriteHTTPError(w, client.CodeShuttingDown, "the server is stopping")
		return nil, false
	}
	if id != "" {
		ss, ok := s.sessions[id]
		if !ok {
			client.WriteHTTPError(w, client.CodeUnknownSession, "no session has this id; it may have expired: send the frame without one to start a new session")
			return nil, false
		}
		ss.lastUsed.Store(time.Now().UnixNano())
		return ss, true
	}
	if len(s.sessions) >= s.opts.MaxSessions {
		client.WriteHTTPError(w, client.CodeTooManySessions, fmt.Sprintf("the server holds %d sessions, its limit; try again later", s.opts.MaxSessions))
		return nil, false
	}
	leave, refused := s.opts.AdmitRequest(r)
	if refused != nil {
		apierr.WriteHTTP(w, refused)
		return nil, false
	}
	b := make([]byte, 16)
	rand.Read(b)
	ss := &session{id: hex.EncodeToString(b), leave: leave, ended: make(chan struct{})}
	ss.client = client.New(s.engine, waiters{}, client.Options{ID: "http-" + ss.id[:8], Transport: "http", Limits: s.limits, Common: s.opts.Common})
	ss.lastUsed.Store(time.Now().UnixNano())
	s.sessions[ss.id] = ss
	s.opts.Logger.Info().Str("client", ss.client.ID()).Str("transport", "http").Str("remote", r.RemoteAddr).Msg("connect")
	return ss, true
}

// configOf is the request's settings as a config message: ?config= or the
// X-Config header (JSON, as the config event), or ?effects= and ?look= (as
// the photo API). Empty when it sets none.
func configOf(r *http.Request) ([]byte, error) {
	if c := r.URL.Query().Get("config"); c != "" {
		return []byte(c), nil
	}
	if c := r.Header.Get(HeaderConfig); c != "" {
		return []byte(c), nil
	}
	if q, look := r.URL.Query().Get("effects"), r.URL.Query().Get("look"); q != "" || look != "" {
		var sel effects.Selection
		if q != "" {
			var err error
			if sel, err = client.ParseEffectsParam(q); err != nil {
				return nil, err
			}
		}
		if look != "" {
			if sel.Look != "" && sel.Look != look {
				return nil, &effects.FieldError{Field: "look", Message: "two looks given"}
			}
			sel.Look = look
		}
		cfg := map[string]any{"effects": sel.Effects}
		if sel.Look != "" {
			cfg["look"] = sel.Look
		}
		if sel.Effects == nil && sel.Look != "" {
			delete(cfg, "effects")
		}
		return json.Marshal(cfg)
	}
	return nil, nil
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
	jpg, ok := httpapi.ReadJPEG(w, r, s.limits.MaxBytes)
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
		client.WriteHTTPError(w, frame.CodeInternal, "no answer")
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
