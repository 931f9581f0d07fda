// Package websocket serves the try-on pipeline over a raw WebSocket at /ws,
// the FastAPI/React pattern: a binary message is one JPEG frame, and the
// answer is one binary JPEG, with no base64 on either side. Text messages
// are JSON {event, data}, with data in the shapes of the Socket.IO events:
// config and its reply, landmarks, error with the same codes, session, and
// an optional id per frame. It is a thin adapter over package client's
// Hub. See docs/protocol.md.
package websocket

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rs/zerolog"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/frame"
)

// Options configure the transport. A zero field takes DefaultOptions'
// value.
type Options struct {
	// Allow, if set, decides from the upgrade request whether the client may
	// stay; a refused one is closed with 1008 and a reason.
	Allow func(r *http.Request) bool
	// CheckOrigin decides whether a browser page from r's Origin may
	// connect; nil allows same-origin pages and non-browser clients only.
	CheckOrigin func(r *http.Request) bool
	// PingInterval is how often the server pings; a client that answers
	// nothing for three intervals is closed.
	PingInterval time.Duration
	// WriteTimeout cuts off a client that takes longer to read one
	// message.
	WriteTimeout time.Duration
}

// DefaultOptions are the transport's defaults.
func DefaultOptions() Options {
	return Options{PingInterval: 20 * time.Second, WriteTimeout: 10 * time.Second}
}

// Close codes the server uses, with a reason text.
const (
	CloseTooBig        = websocket.CloseMessageTooBig     // 1009: a message over the read limit
	ClosePolicy        = websocket.ClosePolicyViolation   // 1008: no access key
	CloseGoingAway     = websocket.CloseGoingAway         // 1001: the server is stopping
	CloseInternalError = websocket.CloseInternalServerErr // 1011
)

// maxText bounds a text message: config and frame ids are small, and a
// frame as a data URL is allowed up to the frame limit.
const maxText = 64 << 10

// Server is the WebSocket adapter.
type Server struct {
	hub      *client.Hub
	opts     Options
	limits   frame.Limits
	log      zerolog.Logger
	upgrader websocket.Upgrader

	mu     sync.Mutex
	conns  map[*conn]struct{}
	closed bool
	serves sync.WaitGroup // each connection's serve, its pinger included
}

// New makes the adapter, whose sessions open on hub; mount Handler on /ws.
func New(hub *client.Hub, opts Options) *Server {
	d := DefaultOptions()
	if opts.PingInterval <= 0 {
		opts.PingInterval = d.PingInterval
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = d.WriteTimeout
	}
	s := &Server{hub: hub, opts: opts, limits: hub.Limits(), log: hub.Common().Logger, conns: map[*conn]struct{}{}}
	s.upgrader = websocket.Upgrader{ReadBufferSize: 32 << 10, WriteBufferSize: 32 << 10, CheckOrigin: opts.CheckOrigin,
		HandshakeTimeout: 10 * time.Second}
	return s
}

// readLimit is the largest message read before the connection is closed
// with 1009. It is twice the frame limit (and holds a data URL of the
// largest frame), so frames in between get a polite too_large error and the
// connection goes on, as on Socket.IO.
func (s *Server) readLimit() int { return max(2*s.limits.MaxBytes, s.limits.MaxDataURLLen()) }

// Handler upgrades requests to WebSocket connections.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !websocket.IsWebSocketUpgrade(r) {
			apierr.WriteHTTP(w, apierr.WithStatus(http.StatusUpgradeRequired, client.CodeBadMessage, "this endpoint speaks WebSocket only: connect with new WebSocket(url)"))
			return
		}
		leave, refused := s.hub.Admit(r)
		if refused != nil {
			apierr.WriteHTTP(w, refused)
			return
		}
		ws, err := s.upgrader.Upgrade(w, r, nil)
		if err != nil {
			leave()
			return // the upgrader has answered with an HTTP error
		}
		if s.opts.Allow != nil && !s.opts.Allow(r) {
			leave()
			s.log.Warn().Str("remote", r.RemoteAddr).Str("transport", "ws").Msg("refused: no access key")
			closeWith(ws, ClosePolicy, "unauthorized: this server needs its access key (?key=...)")
			return
		}
		s.serve(ws, r, leave)
	})
}

// Close closes every connection with 1001 and waits, until ctx is done,
// for their goroutines (reader, pinger) to stop; their clients' outbox
// writers are the hub's to wait for.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		closeWith(c.ws, CloseGoingAway, "server shutting down")
	}
	return client.Wait(ctx, &s.serves, "websocket")
}

func closeWith(ws *websocket.Conn, code int, reason string) {
	ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	ws.Close()
}

// conn is one WebSocket client.
type conn struct {
	s      *Server
	ws     *websocket.Conn
	client *client.Client
}

// envelope is every text message, both ways.
type envelope struct {
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data,omitempty"`
}

func (s *Server) serve(ws *websocket.Conn, r *http.Request, leave func()) {
	c := &conn{s: s, ws: ws}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		leave()
		closeWith(ws, CloseGoingAway, "server shutting down")
		return
	}
	s.conns[c] = struct{}{}
	s.serves.Add(1)
	s.mu.Unlock()
	defer s.serves.Done()
	var err error
	if c.client, err = s.hub.Open("ws", c, client.Request{Remote: s.hub.RemoteAddr(r), Leave: leave}); err != nil {
		closeWith(ws, CloseGoingAway, "server shutting down")
		s.forget(c)
		return
	}
	stopPing := make(chan struct{})
	var pinger sync.WaitGroup
	defer func() {
		close(stopPing)
		c.client.Close()
		ws.Close()
		pinger.Wait()
		s.forget(c)
	}()
	c.client.Hello()

	wait := 3 * s.opts.PingInterval
	ws.SetReadDeadline(time.Now().Add(wait))
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(time.Now().Add(wait)) })
	pinger.Add(1)
	go func() {
		defer pinger.Done()
		t := time.NewTicker(s.opts.PingInterval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				if ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(s.opts.WriteTimeout)) != nil {
					return
				}
			case <-stopPing:
				return
			}
		}
	}()
	c.readLoop()
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// readLoop reads messages until the connection ends. A frame's id comes in
// a "frame" text message just before its binary message.
func (c *conn) readLoop() {
	limit := c.s.readLimit()
	var nextID any
	for {
		kind, r, err := c.ws.NextReader()
		if err != nil {
			return
		}
		c.ws.SetReadDeadline(time.Now().Add(3 * c.s.opts.PingInterval))
		max := limit
		if kind == websocket.TextMessage {
			max = maxText
		}
		// A new buffer per message: the pipeline holds it until a worker
		// has decoded it (one waiting frame per client at most).
		var buf bytes.Buffer
		n, err := io.Copy(&buf, io.LimitReader(r, int64(max)+1))
		if err != nil {
			return
		}
		if n > int64(max) {
			c.s.log.Warn().Str("client", client.ShortID(c.client.ID())).Int("limit", max).Msg("message over the read limit; closing")
			c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(CloseTooBig,
				fmt.Sprintf("message over the %d-byte limit", max)), time.Now().Add(time.Second))
			// Read on a little, discarding: closing with the client's bytes
			// unread would reset the connection, and the reset can reach
			// the client before it reads the close frame and its reason.
			c.ws.SetReadDeadline(time.Now().Add(2 * time.Second))
			io.CopyN(io.Discard, r, 4*int64(max))
			c.ws.Close()
			return
		}
		switch kind {
		case websocket.BinaryMessage:
			c.client.SubmitJPEG(c.client.NewFrame(nextID), nil, buf.Bytes())
			nextID = nil
		case websocket.TextMessage:
			nextID = c.onText(buf.Bytes(), nextID)
		}
	}
}

// onText handles one text message and returns the id the next binary
// frame gets.
func (c *conn) onText(b []byte, nextID any) any {
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil || env.Event == "" {
		c.refuse(client.CodeBadMessage, `text messages are JSON {"event": "config"|"frame"|"image", "data": ...}`)
		return nextID
	}
	switch env.Event {
	case "config":
		c.client.Configure(env.Data, nil)
	case "frame":
		var d struct {
			ID any `json:"id"`
		}
		if json.Unmarshal(env.Data, &d) != nil || d.ID == nil {
			c.refuse(client.CodeBadMessage, `a frame message is {"event":"frame","data":{"id":...}}, followed by the binary JPEG`)
			return nextID
		}
		return d.ID
	case "image":
		// A frame as a data URL in text, as Socket.IO sends it: for clients
		// that cannot send binary.
		var d struct {
			ID    any    `json:"id"`
			Image string `json:"image"`
		}
		var s string
		switch {
		case json.Unmarshal(env.Data, &s) == nil:
			c.client.SubmitDataURL(c.client.NewFrame(nil), nil, s)
		case json.Unmarshal(env.Data, &d) == nil && d.Image != "":
			c.client.SubmitDataURL(c.client.NewFrame(d.ID), nil, d.Image)
		default:
			f := c.client.NewFrame(d.ID)
			c.client.Refuse(f, nil, &frame.Error{Code: frame.CodeBadPayload, Message: "image data must be a JPEG data URL string, or {id, image} with one"})
		}
	default:
		c.refuse(client.CodeBadMessage, fmt.Sprintf("unknown event %q; known: config, frame, image", apierr.Clip(env.Event, 32)))
	}
	return nextID
}

func (c *conn) refuse(code, message string) {
	c.client.Refuse(nil, nil, &frame.Error{Code: code, Message: message})
}

// wsError is the error event's data: the ErrorBody and the frame's id.
type wsError struct {
	client.ErrorBody
	ID any `json:"id,omitempty"`
}

// Send writes m as WebSocket messages; each write must finish within the
// write timeout, or the connection is closed.
func (c *conn) Send(m client.Message) error {
	switch {
	case m.Session != nil:
		return c.text("session", m.Session)
	case m.Config != nil:
		return c.text("config", m.Config) // the reply carries the error, if any
	case m.Reply != nil:
		if m.Error != nil {
			return c.text("error", wsError{ErrorBody: *m.Error, ID: m.Reply.ID})
		}
		if m.Reply.ID != nil || m.Reply.Error != nil {
			if err := c.text("answer", m.Reply); err != nil {
				return err
			}
		}
		if m.Image != nil {
			c.ws.SetWriteDeadline(time.Now().Add(c.s.opts.WriteTimeout))
			if err := c.ws.WriteMessage(websocket.BinaryMessage, m.Image); err != nil {
				return c.fail(err)
			}
		}
		if m.WantLandmarks && m.Landmarks != nil {
			return c.text("landmarks", m.Landmarks)
		}
	case m.Error != nil:
		return c.text("error", wsError{ErrorBody: *m.Error})
	}
	return nil
}

func (c *conn) text(event string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	msg, _ := json.Marshal(envelope{Event: event, Data: raw})
	c.ws.SetWriteDeadline(time.Now().Add(c.s.opts.WriteTimeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, msg); err != nil {
		return c.fail(err)
	}
	return nil
}

// Disconnect closes the connection with 1008 and the reason, for a client
// the client layer gave up on. The close frame is given a second.
func (c *conn) Disconnect(code, reason string) { closeWith(c.ws, ClosePolicy, code+": "+reason) }

// fail closes a connection whose write failed or timed out, so its reader
// ends too.
func (c *conn) fail(err error) error {
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		c.client.CloseSlow(fmt.Sprintf("one message took over %v to write", c.s.opts.WriteTimeout))
	}
	c.ws.Close()
	return err
}
