// Package socketio serves the try-on pipeline over Socket.IO, speaking the
// event protocol of the classic Flask-SocketIO webcam tutorial: the client
// emits "image" with a JPEG data URL, the server answers "response_back"
// with a JPEG data URL, and bad input gets an "error" event {code, message}.
// Engine.IO 3 is accepted, so pages using socket.io-client 2.x work as they
// are. See docs/protocol.md.
package socketio

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/rs/zerolog"
	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io/v2/socket"

	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/frame"
	"github.com/livetryon/server/pkg/landmarks"
	"github.com/livetryon/server/pkg/pipeline"
)

// Event names of the protocol.
const (
	EventImage     = "image"         // client → server: a frame
	EventConfig    = "config"        // client → server: this connection's settings
	EventResponse  = "response_back" // server → client: the processed frame
	EventLandmarks = "landmarks"     // server → client: faces and points, if asked for
	EventError     = "error"         // server → client: a refused frame or setting
)

// Error codes this transport adds to those of package frame.
const (
	CodeBadConfig = "bad_config" // a config event with a bad field
	CodeDropped   = "dropped"    // in an ack: a newer frame replaced this one
)

// Options configure the transport.
type Options struct {
	// CORSOrigin is sent as Access-Control-Allow-Origin for polling
	// requests; "*" lets pages served from another host connect.
	CORSOrigin string
	// Allow, if set, decides whether a client may connect, from its
	// handshake's headers, query and auth; a refused client gets a
	// connect_error "unauthorized".
	Allow func(headers http.Header, query map[string][]string, auth any) bool
	// Effects returns the effects a new connection starts with.
	Effects func() []pipeline.Effect
	Logger  zerolog.Logger
}

// Server is the Socket.IO adapter: it opens a pipeline session per
// connection and moves frames between the two.
type Server struct {
	io      *socket.Server
	handler http.Handler
	engine  *pipeline.Engine
	opts    Options
	limits  frame.Limits
}

// New creates the Socket.IO server; mount Handler on /socket.io/.
func New(engine *pipeline.Engine, opts Options) *Server {
	if opts.Effects == nil {
		opts.Effects = func() []pipeline.Effect { return nil }
	}
	s := &Server{engine: engine, opts: opts, limits: engine.Config().Limits}
	cfg := socket.DefaultServerOptions()
	cfg.SetServeClient(false) // the page serves its own pinned copy
	cfg.SetAllowEIO3(true)    // socket.io-client 2.x speaks Engine.IO 3
	// A message over this size closes the connection inside Engine.IO. It is
	// twice the largest frame the pipeline accepts, so that frames in between
	// reach the pipeline and get a polite too_large error instead.
	cfg.SetMaxHttpBufferSize(int64(2 * s.limits.MaxDataURLLen()))
	if opts.CORSOrigin != "" {
		cfg.SetCors(&types.Cors{Origin: opts.CORSOrigin, Credentials: opts.CORSOrigin != "*"})
	}
	s.io = socket.NewServer(nil, nil)
	engineIO := s.io.ServeHandler(cfg)
	maxBody := cfg.MaxHttpBufferSize() + 64<<10
	gates := &readGates{}
	s.handler = guardResponses(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Engine.IO checks Content-Length only; a chunked body has none, so
		// bound what any request may make the server read.
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		engineIO.ServeHTTP(w, r)
	}), gates)
	// Registered after Socket.IO's own listener, so it runs once Socket.IO
	// listens to the new session.
	s.io.Engine().On("connection", func(args ...any) {
		if conn, ok := args[0].(interface{ Request() *types.HttpContext }); ok {
			gates.release(conn.Request().Request().RemoteAddr)
		}
	})
	// Clients are set up in a middleware rather than on "connection": the
	// connection event runs after the connect packet has gone out, and a
	// client that emits at once (the page sends config on connect) could
	// have its first events arrive before any handler listens.
	s.io.Use(func(sock *socket.Socket, next func(*socket.ExtendedError)) {
		h := sock.Handshake()
		if opts.Allow != nil && !opts.Allow(http.Header(h.Headers), h.Query, h.Auth) {
			opts.Logger.Warn().Str("client", string(sock.Id())).Str("remote", h.Address).Msg("refused: no access key")
			next(socket.NewExtendedError("unauthorized", map[string]any{"code": "unauthorized",
				"message": "this server needs its access key: open the link with ?key=..."}))
			return
		}
		s.onConnect(sock)
		next(nil)
	})
	return s
}

// Handler serves Engine.IO's polling and WebSocket endpoints.
func (s *Server) Handler() http.Handler { return s.handler }

// Close disconnects every client.
func (s *Server) Close() { s.io.Close(nil) }

// conn is one connected client.
type conn struct {
	sock    *socket.Socket
	session *pipeline.Session
	log     zerolog.Logger
	frames  atomic.Uint64 // images received, numbering frames without an id

	mu       sync.Mutex
	settings settings
	outbox   *answer // newest answer not yet handed to the transport
	retry    *time.Timer
	closed   bool
	skipped  uint64 // answers replaced in the outbox by newer ones
}

// answer is a response_back and, if asked for, its landmarks event.
type answer struct {
	image     string
	landmarks *landmarksEvent
}

// frameTag travels with a frame through the pipeline.
type frameTag struct {
	id  any        // the client's id, from {id, image}
	seq uint64     // the server's count, when the client gave no id
	ack socket.Ack // the client's acknowledgement callback, if any
}

func (t *frameTag) frameID() any {
	if t.id != nil {
		return t.id
	}
	return t.seq
}

func (s *Server) onConnect(sock *socket.Socket) {
	c := &conn{sock: sock}
	c.log = s.opts.Logger.With().Str("client", string(sock.Id())).Logger()
	fx := s.opts.Effects()
	c.settings = settings{Specs: effects.SpecsOf(fx), Output: "image", effects: fx}
	c.session = s.engine.NewSession(string(sock.Id()), c.deliver, fx...)
	c.log.Info().Str("transport", sock.Conn().Transport().Name()).Str("remote", sock.Conn().RemoteAddress()).
		Int("eio", sock.Conn().Protocol()).Msg("connect")

	sock.On(EventImage, func(args ...any) { s.onImage(c, args) })
	sock.On(EventConfig, func(args ...any) { c.onConfig(args) })
	sock.On("disconnect", func(args ...any) {
		c.close()
		reason, _ := firstString(args)
		c.mu.Lock()
		skipped := c.skipped
		c.mu.Unlock()
		c.log.Info().Str("reason", reason).Uint64("dropped", c.session.Dropped()).
			Uint64("answers_skipped", skipped).Msg("disconnect")
	})
}

// onImage runs on the socket's reader: it only checks what is cheap and
// hands the frame to the pipeline.
func (s *Server) onImage(c *conn, args []any) {
	args, ack := splitAck(args)
	tag := &frameTag{seq: c.frames.Add(1), ack: ack}
	var dataURL string
	ok := false
	if len(args) > 0 {
		switch v := args[0].(type) {
		case string:
			dataURL, ok = v, true
		case map[string]any:
			tag.id = v["id"]
			dataURL, ok = v["image"].(string)
		}
	}
	if !ok {
		c.sendError(tag, &frame.Error{Code: frame.CodeBadPayload, Message: "image must be a JPEG data URL string, or {id, image} with one"})
		return
	}
	if len(dataURL) > s.limits.MaxDataURLLen() {
		// Refuse here rather than queue: the newest-frame slot must not be
		// taken by a frame that will be refused anyway.
		c.sendError(tag, &frame.Error{Code: frame.CodeTooLarge, Message: "frame data URL is " +
			strconv.Itoa(len(dataURL)) + " characters; the limit is " + strconv.Itoa(s.limits.MaxDataURLLen())})
		return
	}
	c.mu.Lock()
	noImage := c.settings.Output == "landmarks"
	c.mu.Unlock()
	c.session.Submit(pipeline.Input{DataURL: dataURL, Tag: tag, NoImage: noImage})
}

func (c *conn) onConfig(args []any) {
	args, ack := splitAck(args)
	var raw []byte
	if len(args) > 0 {
		raw, _ = json.Marshal(args[0])
	}
	c.mu.Lock()
	next, err := applyConfig(c.settings, raw)
	if err == nil {
		c.settings = next
		c.session.SetEffects(next.effects...)
	}
	c.mu.Unlock()
	if err != nil {
		var fe *effects.FieldError
		body := errorBody{Code: CodeBadConfig, Message: err.Error()}
		if asType(err, &fe) {
			body.Field, body.Message = fe.Field, fe.Message
		}
		c.log.Warn().Str("code", body.Code).Str("field", body.Field).Msg(body.Message)
		if ack != nil {
			ack([]any{map[string]any{"ok": false, "error": body}}, nil)
		} else {
			c.sock.Emit(EventError, body)
		}
		return
	}
	c.log.Debug().Interface("settings", next).Msg("config")
	if ack != nil {
		ack([]any{map[string]any{"ok": true, "config": next}}, nil)
	}
}

func splitAck(args []any) ([]any, socket.Ack) {
	if n := len(args); n > 0 {
		if ack, ok := args[n-1].(socket.Ack); ok {
			return args[:n-1], ack
		}
	}
	return args, nil
}

func firstString(args []any) (string, bool) {
	if len(args) == 0 {
		return "", false
	}
	s, ok := args[0].(string)
	return s, ok
}

// deliver runs on a pipeline worker and must not block.
func (c *conn) deliver(r pipeline.Result) {
	tag, _ := r.Tag.(*frameTag)
	if tag == nil {
		r.Release()
		return
	}
	switch {
	case r.Dropped:
		// A frame replaced before processing is answered only where an
		// answer was promised: to an acknowledgement.
		if tag.ack != nil {
			tag.ack([]any{frameAck{ID: tag.id, Dropped: c.session.Dropped(),
				Error: &errorBody{Code: CodeDropped, Message: "a newer frame replaced this one before it was processed"}}}, nil)
		}
		return
	case r.Err != nil:
		c.sendError(tag, r.Err)
		return
	}
	a := &answer{}
	if r.JPEG != nil {
		a.image = jpegDataURL(r.JPEG)
	}
	r.Release()
	c.mu.Lock()
	wantLandmarks := c.settings.Landmarks
	c.mu.Unlock()
	if wantLandmarks {
		a.landmarks = &landmarksEvent{Frame: tag.frameID(), Width: r.Width, Height: r.Height, Faces: nonNil(r.Faces)}
	}
	if tag.ack != nil {
		// The client paces itself by its acknowledgements: answer each one.
		tag.ack([]any{frameAck{ID: tag.id, Image: a.image, Faces: len(r.Faces), FPS: r.FPS,
			Dropped: c.session.Dropped(), Timings: msOf(r.Timings)}}, nil)
		if a.landmarks != nil {
			c.sock.Emit(EventLandmarks, a.landmarks)
		}
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if c.outbox != nil {
		c.skipped++
	}
	c.outbox = a
	c.flushLocked()
}

// flushLocked hands the outbox to the transport once it has finished writing
// what it had. Engine.IO queues without limit when a client reads slowly; by
// holding back here, at most one answer waits and it is always the newest.
func (c *conn) flushLocked() {
	if c.closed || c.outbox == nil {
		return
	}
	if !c.sock.Conn().Transport().Writable() {
		if c.retry == nil {
			c.retry = time.AfterFunc(2*time.Millisecond, func() {
				c.mu.Lock()
				c.retry = nil
				c.flushLocked()
				c.mu.Unlock()
			})
		}
		return
	}
	a := c.outbox
	c.outbox = nil
	if a.image != "" {
		c.sock.Emit(EventResponse, a.image)
	}
	if a.landmarks != nil {
		c.sock.Emit(EventLandmarks, a.landmarks)
	}
}

func (c *conn) sendError(tag *frameTag, e *frame.Error) {
	c.log.Warn().Str("code", e.Code).Msg(e.Message)
	body := errorBody{Code: e.Code, Message: e.Message}
	c.sock.Emit(EventError, body)
	if tag != nil && tag.ack != nil {
		tag.ack([]any{frameAck{ID: tag.id, Dropped: c.session.Dropped(), Error: &body}}, nil)
	}
}

func (c *conn) close() {
	c.session.Close()
	c.mu.Lock()
	c.closed = true
	c.outbox = nil
	if c.retry != nil {
		c.retry.Stop()
		c.retry = nil
	}
	c.mu.Unlock()
}

// jpegDataURL builds "data:image/jpeg;base64,..." in one allocation.
func jpegDataURL(jpg []byte) string {
	const prefix = "data:image/jpeg;base64,"
	b := make([]byte, len(prefix)+base64.StdEncoding.EncodedLen(len(jpg)))
	copy(b, prefix)
	base64.StdEncoding.Encode(b[len(prefix):], jpg)
	return unsafe.String(unsafe.SliceData(b), len(b)) // b is never written again
}

func asType[T error](err error, target *T) bool { return errors.As(err, target) }

// nonNil makes "no faces" an empty JSON list rather than null.
func nonNil(f []landmarks.Face) []landmarks.Face {
	if f == nil {
		return []landmarks.Face{}
	}
	return f
}
