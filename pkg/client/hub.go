package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/livetryon/server/pkg/frame"
	"github.com/livetryon/server/pkg/pipeline"
)

// Hub is the one place where live sessions open, whatever their
// transport: it makes each session's id, asks admission, gives the
// session its watch stream (through Common), logs the connect line, and
// knows every open client, so that Close ends them all and waits for
// their outbox writers. A transport holds a Hub, never the engine.
type Hub struct {
	engine *pipeline.Engine
	common Common
	limits frame.Limits

	mu      sync.Mutex
	clients map[*Client]struct{}
	closed  bool
	writers sync.WaitGroup // the outbox writer of every client opened
}

// ErrClosed is Open's answer once the hub is closing: the transport
// answers shutting_down.
var ErrClosed = errors.New("client: the hub is closed")

// NewHub makes the hub of engine's live sessions; common is what every
// client shares.
func NewHub(engine *pipeline.Engine, common Common) *Hub {
	return &Hub{engine: engine, common: common, limits: engine.Config().Limits, clients: map[*Client]struct{}{}}
}

// Limits are what a frame may be: for a transport's own read limits.
func (h *Hub) Limits() frame.Limits { return h.limits }

// RemoteAddr is where r comes from, for Request.Remote: Common.ClientAddr's
// answer when set (the client behind a trusted proxy), else the peer's.
func (h *Hub) RemoteAddr(r *http.Request) string {
	if r == nil {
		return ""
	}
	if h.common.ClientAddr != nil {
		if a := h.common.ClientAddr(r); a != "" {
			return a
		}
	}
	return r.RemoteAddr
}

// Common is what every client shares.
func (h *Hub) Common() Common { return h.common }

// Admit asks whether r may open a session, before the transport
// allocates anything for it (an upgrade, a handshake). An admitted
// request's leave is to be called once, when its session ends: pass it
// to Open in Request.Leave, or call it if no session is opened. A refused
// one is answered with apierr.WriteHTTP(w, refused).
func (h *Hub) Admit(r *http.Request) (leave func(), refused *Refusal) {
	return h.common.AdmitRequest(r)
}

// Request is what a transport knows of the session it opens.
type Request struct {
	// Remote is the peer's address, for the connect line.
	Remote string
	// Leave, if set, is called once when the session ends (Admit's).
	Leave func()
	// Encoder, if set, encodes the answers for a video track instead of
	// JPEG (Message.Video).
	Encoder pipeline.Encoder
	// Fields are more fields for the connect line (Socket.IO's Engine.IO
	// transport, say).
	Fields map[string]any
}

// Open opens a session for transport ("socketio", "ws", "http",
// "webrtc"): a new client whose messages go to sender, with its id, its
// watch stream and its outbox. It answers ErrClosed once the hub is
// closing, having called req.Leave.
func (h *Hub) Open(transport string, sender Sender, req Request) (*Client, error) {
	leave := req.Leave
	if leave == nil {
		leave = func() {}
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		leave()
		return nil, ErrClosed
	}
	h.writers.Add(1)
	h.mu.Unlock()
	id := NewSessionID(transport)
	c := New(h.engine, sender, Options{ID: id, LogID: ShortID(id), Transport: transport, Limits: h.limits, Encoder: req.Encoder,
		Common: h.common, ended: func(c *Client) {
			h.mu.Lock()
			delete(h.clients, c)
			h.mu.Unlock()
			leave()
		}, writerDone: h.writers.Done})
	h.mu.Lock()
	closing := h.closed
	if !closing {
		h.clients[c] = struct{}{}
	}
	h.mu.Unlock()
	if closing { // Close ran while the client was made: it missed this one
		c.Close()
		return nil, ErrClosed
	}
	h.common.Logger.Info().Str("client", ShortID(id)).Str("transport", transport).Str("remote", req.Remote).
		Fields(req.Fields).Msg("connect")
	return c, nil
}

// Sessions is how many sessions are open.
func (h *Hub) Sessions() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// Close refuses new sessions, closes every client still open, and waits,
// until ctx is done, for their outbox writers to stop. Transports close
// first, to say goodbye in their own way.
func (h *Hub) Close(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	open := make([]*Client, 0, len(h.clients))
	for c := range h.clients {
		open = append(open, c)
	}
	h.mu.Unlock()
	for _, c := range open {
		c.Close()
	}
	return Wait(ctx, &h.writers, "client hub")
}

// Wait is for Close methods: it waits for wg until ctx is done, and
// names what did not stop in time.
func Wait(ctx context.Context, wg *sync.WaitGroup, what string) error {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: close: %w", what, ctx.Err())
	}
}

// NewSessionID is the one generator of session ids: the transport's name
// and 128 random bits in hex, so an id is never reused and cannot be
// guessed (an HTTP-per-frame session or a WebRTC session is reached by
// its id alone).
func NewSessionID(transport string) string {
	b := make([]byte, 16)
	rand.Read(b)
	return transport + "-" + hex.EncodeToString(b)
}

// ShortID is the part of a session id that logs carry: enough to follow
// one client, not enough to act for it.
func ShortID(id string) string {
	for i := 0; i < len(id); i++ {
		if id[i] == '-' && len(id) > i+9 {
			return id[:i+9]
		}
	}
	return id
}
