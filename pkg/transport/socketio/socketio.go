// Package socketio serves the try-on pipeline over Socket.IO, speaking the
// event protocol of the classic Flask-SocketIO webcam tutorial: the client
// emits "image" with a JPEG data URL, the server answers "response_back"
// with a JPEG data URL, and bad input gets an "error" event {code, message}.
// Engine.IO 3 is accepted, so pages using socket.io-client 2.x work as they
// are. It is a thin adapter over package client's Hub: events in, Messages
// out. See docs/protocol.md.
package socketio

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	eio "github.com/zishang520/engine.io/v2/engine"
	"github.com/zishang520/engine.io/v2/transports"
	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io/v2/socket"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/frame"
)

// Event names of the protocol.
const (
	EventImage     = "image"         // client → server: a frame
	EventConfig    = "config"        // client → server: this connection's settings
	EventResponse  = "response_back" // server → client: the processed frame
	EventLandmarks = "landmarks"     // server → client: faces and points, if asked for
	EventError     = "error"         // server → client: a refused frame or setting
	EventSession   = "session"       // server → client, on connect: ids and the watch link
)

// Options configure the transport.
type Options struct {
	// CORS, if set, answers cross-origin polling requests by reflecting
	// their Origin: the server's guard (publish.Access) has already refused
	// the origins it does not allow.
	CORS bool
	// Allow, if set, decides whether a client may connect, from its
	// handshake's headers, query and auth; a refused client gets a
	// connect_error "unauthorized".
	Allow func(headers http.Header, query map[string][]string, auth any) bool
	// Adapter, if set, replaces the in-process rooms with one shared by
	// every node (RedisAdapter, cluster.go).
	Adapter socket.AdapterConstructor
}

// Server is the Socket.IO adapter: it opens a session on the hub per
// connection and moves frames between the two.
type Server struct {
	io      *socket.Server
	handler http.Handler
	hub     *client.Hub
	opts    Options
	limits  frame.Limits
	conns   sync.Map // *conn → struct{}: the connected clients
	joined  sync.Map // Engine.IO session id → struct{}: those with a client
	ids     sync.Map // Socket.IO socket id → the session's id (the hub's)
	mu      sync.Mutex
	closed  bool           // Close has begun: no connection is set up any more
	ends    sync.WaitGroup // a connection's end to run
	gates   *readGates     // the hijacked WebSocket connections
}

// New creates the Socket.IO server, whose sessions open on hub (its
// admission is asked before Engine.IO makes a session for a handshake);
// mount Handler on /socket.io/.
func New(hub *client.Hub, opts Options) *Server {
	s := &Server{hub: hub, opts: opts, limits: hub.Limits()}
	log := hub.Common().Logger
	cfg := socket.DefaultServerOptions()
	cfg.SetServeClient(false) // the page serves its own pinned copy
	cfg.SetAllowEIO3(true)    // socket.io-client 2.x speaks Engine.IO 3
	// A message over this size closes the connection inside Engine.IO. It is
	// twice the largest frame the pipeline accepts, so that frames in between
	// reach the pipeline and get a polite too_large error instead.
	cfg.SetMaxHttpBufferSize(int64(2 * s.limits.MaxDataURLLen()))
	if opts.CORS {
		cfg.SetCors(&types.Cors{Origin: true, Credentials: true})
	}
	s.io = socket.NewServer(nil, nil)
	engineIO := s.io.ServeHandler(cfg)
	maxBody := cfg.MaxHttpBufferSize() + 64<<10
	gates := newReadGates()
	s.gates = gates
	admitted := &admissions{}
	s.handler = guardResponses(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Engine.IO checks Content-Length only; a chunked body has none, so
		// bound what any request may make the server read.
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if r.URL.Query().Get("sid") != "" {
			engineIO.ServeHTTP(w, r)
			return
		}
		// A handshake: Engine.IO makes a session (and goroutines, timers)
		// for it, so the session caps are asked first.
		leave, refused := hub.Admit(r)
		if refused != nil {
			log.Debug().Str("remote", r.RemoteAddr).Str("code", refused.Code).Msg("handshake refused")
			apierr.WriteHTTP(w, refused)
			return
		}
		admitted.hold(r, leave)
		defer admitted.drop(r) // the handshake failed if no session claimed it
		engineIO.ServeHTTP(w, r)
	}), gates)
	// Registered after Socket.IO's own listener, so it runs once Socket.IO
	// listens to the new session. Engine.IO emits it from inside the
	// handshake request's ServeHTTP.
	s.io.Engine().On("connection", func(args ...any) {
		sock, ok := args[0].(eio.Socket)
		if !ok {
			return
		}
		r := sock.Request().Request()
		gates.release(r.RemoteAddr)
		leave := admitted.claim(r)
		sock.Once("close", func(...any) { leave() })
		watchHeartbeat(sock, log)
	})
	// Clients are set up in a middleware rather than on "connection": the
	// connection event runs after the connect packet has gone out, and a
	// client that emits at once (the page sends config on connect) could
	// have its first events arrive before any handler listens.
	s.io.Use(func(sock *socket.Socket, next func(*socket.ExtendedError)) {
		h := sock.Handshake()
		if opts.Allow != nil && !opts.Allow(http.Header(h.Headers), h.Query, h.Auth) {
			log.Warn().Str("socket", string(sock.Id())).Str("remote", h.Address).Msg("refused: no access key")
			next(socket.NewExtendedError("unauthorized", map[string]any{"code": "unauthorized",
				"message": "this server needs its access key: open the link with ?key=..."}))
			return
		}
		// One client per Engine.IO session. Socket.IO would join the same
		// namespace again for each connect packet that arrives while the
		// first is joining, and each would be a pipeline session the
		// session gate never saw.
		if _, dup := s.joined.LoadOrStore(sock.Conn().Id(), struct{}{}); dup {
			log.Warn().Str("remote", h.Address).Msg("closing Engine.IO session: a second namespace connect")
			next(socket.NewExtendedError("bad_message", map[string]any{"code": "bad_message", "message": "one connect per connection"}))
			go sock.Conn().Close(true)
			return
		}
		c, err := s.onConnect(sock)
		if err != nil {
			next(socket.NewExtendedError(client.CodeShuttingDown, map[string]any{"code": client.CodeShuttingDown, "message": "the server is stopping"}))
			return
		}
		next(nil)
		// After next, which sends the connect packet: an event before it
		// would reach a client that has not joined yet.
		c.client.Hello()
	})
	s.setUpCluster() // after the guard above: a refused client joins no room
	return s
}

// Handler serves Engine.IO's polling and WebSocket endpoints.
func (s *Server) Handler() http.Handler { return s.handler }

// goodbyeTime is how long Close gives clients to receive the error that
// tells them why they are disconnected.
const goodbyeTime = 250 * time.Millisecond

// Close tells every client the server is stopping (an error event,
// shutting_down), disconnects them, and waits, until ctx is done, for
// each connection's end to have run (its client closed).
func (s *Server) Close(ctx context.Context) error {
	n := 0
	s.conns.Range(func(k, _ any) bool {
		k.(*conn).client.Goodbye()
		n++
		return true
	})
	if n > 0 {
		time.Sleep(goodbyeTime)
	}
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.io.Close(nil)
	if err := client.Wait(ctx, &s.ends, "socketio"); err != nil {
		return err
	}
	return s.gates.closeAll(ctx)
}

// conn is one connected client's Socket.IO side: it sends the client
// layer's Messages as events and acknowledgements.
type conn struct {
	sock   *socket.Socket
	client *client.Client
	// drained is signalled when the Engine.IO transport has written what it
	// was given; Send waits for it, so the client layer's outbox, not
	// Engine.IO's unbounded buffer, holds what a slow client has not read.
	drained chan struct{}
	gone    chan struct{}
	once    sync.Once
	// binary is whether the latest frame came as a binary attachment: a
	// response_back (the seed protocol has no acknowledgement to say which
	// frame it answers) is then the JPEG's bytes rather than a data URL.
	binary atomic.Bool
}

func (s *Server) onConnect(sock *socket.Socket) (*conn, error) {
	c := &conn{sock: sock, drained: make(chan struct{}, 1), gone: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, client.ErrClosed
	}
	s.ends.Add(1)
	s.mu.Unlock()
	var err error
	// The admission is the Engine.IO session's (New's handler), given back
	// when that session closes: the client has none of its own.
	c.client, err = s.hub.Open("socketio", c, client.Request{Remote: s.hub.RemoteAddr(sock.Request().Request()), Fields: map[string]any{
		"socket": string(sock.Id()), "engineio": sock.Conn().Transport().Name(), "eio": sock.Conn().Protocol()}})
	if err != nil {
		s.ends.Done()
		return nil, err
	}
	// The session's id names a room too, beside Socket.IO's own id, so a
	// notice may be sent to the id the client was told (Broadcast).
	sock.Join(socket.Room(c.client.ID()))
	s.ids.Store(sock.Id(), c.client.ID())
	c.watchDrain(sock.Conn().Transport())
	sock.Conn().On("upgrade", func(...any) { c.watchDrain(sock.Conn().Transport()) })

	sock.On(EventImage, func(args ...any) { c.onImage(args) })
	sock.On(EventConfig, func(args ...any) {
		args, ack := splitAck(args)
		var v any
		if len(args) > 0 {
			v = args[0]
		}
		c.client.ConfigureValue(v, ackOrNil(ack))
	})
	s.conns.Store(c, struct{}{})
	end := func(...any) {
		c.once.Do(func() {
			s.conns.Delete(c)
			s.joined.Delete(sock.Conn().Id())
			s.ids.Delete(sock.Id())
			close(c.gone)
			c.client.Close()
			s.ends.Done()
		})
	}
	sock.On("disconnect", end)
	// Socket.IO emits no disconnect for a socket whose connection closed
	// while it was joining (a client that sends its connect and hangs up
	// at once): the Engine.IO session's own close ends the client then.
	sock.Conn().Once("close", end)
	if sock.Conn().ReadyState() == "closed" {
		end()
	}
	return c, nil
}

func (c *conn) watchDrain(t transports.Transport) {
	t.On("drain", func(...any) {
		select {
		case c.drained <- struct{}{}:
		default:
		}
	})
}

// onImage runs on the socket's reader: it only checks the payload's shape
// and hands the frame on; base64 is decoded on a pipeline worker.
//
// The image is a data URL (the classic page) or the JPEG's bytes as a
// Socket.IO binary attachment (a page that sends an ArrayBuffer or Blob).
// A binary frame is answered in binary: its acknowledgement's image, or its
// response_back, is the JPEG itself, with no base64 either way.
func (c *conn) onImage(args []any) {
	args, ack := splitAck(args)
	var id, image any
	if len(args) > 0 {
		image = args[0]
		if v, ok := args[0].(map[string]any); ok {
			id, image = v["id"], v["image"]
		}
	}
	f := c.client.NewFrame(id)
	switch v := image.(type) {
	case string:
		c.binary.Store(false)
		c.client.SubmitDataURL(f, ackOrNil(ack), v)
	case types.BufferInterface:
		c.binary.Store(true)
		var a any
		if ack != nil {
			a = binaryAck(ack)
		}
		c.client.SubmitJPEG(f, a, v.Bytes())
	default:
		c.client.Refuse(f, ackOrNil(ack), &frame.Error{Code: frame.CodeBadPayload, Message: "image must be a JPEG data URL string or binary JPEG, or {id, image} with one"})
	}
}

// binaryAck is the acknowledgement of a frame sent in binary: its answer's
// image goes back in binary too.
type binaryAck socket.Ack

// ackOrNil keeps a nil socket.Ack a nil interface, so the client layer
// sees "no acknowledgement".
func ackOrNil(a socket.Ack) any {
	if a == nil {
		return nil
	}
	return a
}

// Disconnect hangs up on a client the client layer gave up on. It cannot
// be told why: it does not read.
// Its session is closed discarding what is buffered: a graceful close
// would wait for a drain that never comes.
func (c *conn) Disconnect(code, reason string) { c.sock.Conn().Close(true) }

// drainCheck is how often Send looks at the transport itself while it
// waits for a drain signal, in case one was missed during an upgrade.
const drainCheck = time.Second

var errGone = errors.New("socketio: client disconnected")

// Send emits m and waits until Engine.IO has written it.
func (c *conn) Send(m client.Message) error {
	select {
	case <-c.drained: // a stale signal from before this message
	default:
	}
	ack, _ := m.Ack.(socket.Ack)
	binAck, binary := m.Ack.(binaryAck)
	if binary {
		ack = socket.Ack(binAck)
	}
	switch {
	case m.Session != nil:
		c.sock.Emit(EventSession, m.Session)
	case m.Config != nil:
		if ack != nil {
			ack([]any{m.Config}, nil)
		} else if m.Error != nil {
			c.sock.Emit(EventError, m.Error)
		}
	case m.Reply != nil:
		if m.Error != nil {
			c.sock.Emit(EventError, m.Error)
		}
		reply := *m.Reply
		switch {
		case ack != nil && binary:
			// The client paces itself by its acknowledgements: each frame
			// gets one, with the image in it.
			ack([]any{binaryReply(reply, m.Image)}, nil)
		case ack != nil:
			if m.Image != nil {
				reply.Image = jpegDataURL(m.Image)
			}
			ack([]any{reply}, nil)
		case m.Image != nil && c.binary.Load():
			c.sock.Emit(EventResponse, m.Image)
		case m.Image != nil:
			c.sock.Emit(EventResponse, jpegDataURL(m.Image))
		}
		if m.WantLandmarks && m.Landmarks != nil {
			c.sock.Emit(EventLandmarks, m.Landmarks)
		}
	case m.Error != nil:
		c.sock.Emit(EventError, m.Error)
	default:
		return nil
	}
	for {
		select {
		case <-c.drained:
			return nil
		case <-c.gone:
			return errGone
		case <-time.After(drainCheck):
			if c.sock.Conn().Transport().Writable() {
				return nil
			}
		}
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

// binaryReply is reply as a map with the JPEG's bytes as its image, which
// Socket.IO sends as a binary attachment: its encoder looks for bytes in
// maps and lists, not in structs. The other fields go through reply's own
// JSON so that their names are said once, in client.FrameReply.
func binaryReply(reply client.FrameReply, jpg []byte) map[string]any {
	reply.Image = ""
	b, _ := json.Marshal(reply) // a struct of plain fields: cannot fail
	m := map[string]any{}
	_ = json.Unmarshal(b, &m)
	if jpg != nil {
		m["image"] = jpg
	}
	return m
}

// jpegDataURL builds "data:image/jpeg;base64,..." in one allocation.
func jpegDataURL(jpg []byte) string {
	const prefix = "data:image/jpeg;base64,"
	b := make([]byte, len(prefix)+base64.StdEncoding.EncodedLen(len(jpg)))
	copy(b, prefix)
	base64.StdEncoding.Encode(b[len(prefix):], jpg)
	return unsafe.String(unsafe.SliceData(b), len(b)) // b is never written again
}
