// Package socketio serves the try-on pipeline over Socket.IO, speaking the
// event protocol of the classic Flask-SocketIO webcam tutorial: the client
// emits "image" with a JPEG data URL, the server answers "response_back"
// with a JPEG data URL, and bad input gets an "error" event {code, message}.
// Engine.IO 3 is accepted, so pages using socket.io-client 2.x work as they
// are. See docs/protocol.md.
package socketio

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"github.com/rs/zerolog"
	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io/v2/socket"

	"github.com/livetryon/server/pkg/frame"
	"github.com/livetryon/server/pkg/pipeline"
)

// Event names of the protocol.
const (
	EventImage    = "image"
	EventResponse = "response_back"
	EventError    = "error"
)

// Options configure the transport.
type Options struct {
	// CORSOrigin is sent as Access-Control-Allow-Origin for polling
	// requests; "*" lets pages served from another host connect.
	CORSOrigin string
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
	s.handler = guardResponses(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Engine.IO checks Content-Length only; a chunked body has none, so
		// bound what any request may make the server read.
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		engineIO.ServeHTTP(w, r)
	}))
	s.io.On("connection", func(args ...any) {
		if sock, ok := args[0].(*socket.Socket); ok {
			s.onConnect(sock)
		}
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

	mu      sync.Mutex
	outbox  string // newest answer not yet handed to the transport
	retry   *time.Timer
	closed  bool
	skipped uint64 // answers replaced in the outbox by newer ones
}

func (s *Server) onConnect(sock *socket.Socket) {
	c := &conn{sock: sock}
	c.log = s.opts.Logger.With().Str("client", string(sock.Id())).Logger()
	c.session = s.engine.NewSession(string(sock.Id()), c.deliver, s.opts.Effects()...)
	c.log.Info().Str("transport", sock.Conn().Transport().Name()).Str("remote", sock.Conn().RemoteAddress()).
		Int("eio", sock.Conn().Protocol()).Msg("connect")

	sock.On(EventImage, func(args ...any) {
		dataURL, ok := firstString(args)
		if !ok {
			c.sendError(&frame.Error{Code: frame.CodeBadPayload, Message: "image must be a JPEG data URL string"})
			return
		}
		if len(dataURL) > s.limits.MaxDataURLLen() {
			// Refuse here rather than queue: the newest-frame slot must not
			// be taken by a frame that will be refused anyway.
			c.sendError(&frame.Error{Code: frame.CodeTooLarge,
				Message: "frame data URL is " + itoa(len(dataURL)) + " characters; the limit is " + itoa(s.limits.MaxDataURLLen())})
			return
		}
		c.session.Submit(pipeline.Input{DataURL: dataURL})
	})
	sock.On("disconnect", func(args ...any) {
		c.close()
		reason, _ := firstString(args)
		c.log.Info().Str("reason", reason).Uint64("dropped", c.session.Dropped()).Msg("disconnect")
	})
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
	if r.Err != nil {
		c.sendError(r.Err)
		return
	}
	url := jpegDataURL(r.JPEG)
	r.Release()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if c.outbox != "" {
		c.skipped++
	}
	c.outbox = url
	c.flushLocked()
}

// flushLocked hands the outbox to the transport once it has finished writing
// what it had. Engine.IO queues without limit when a client reads slowly; by
// holding back here, at most one answer waits and it is always the newest.
func (c *conn) flushLocked() {
	if c.closed || c.outbox == "" {
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
	url := c.outbox
	c.outbox = ""
	c.sock.Emit(EventResponse, url)
}

func (c *conn) sendError(e *frame.Error) {
	c.log.Warn().Str("code", e.Code).Msg(e.Message)
	c.sock.Emit(EventError, map[string]any{"code": e.Code, "message": e.Message})
}

func (c *conn) close() {
	c.session.Close()
	c.mu.Lock()
	c.closed = true
	c.outbox = ""
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

func itoa(n int) string { return strconv.Itoa(n) }
