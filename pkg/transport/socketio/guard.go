package socketio

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/livetryon/server/pkg/client"
)

// errResponseFinished is returned for writes after the handler returned.
var errResponseFinished = errors.New("socketio: response already finished")

// guardResponses works around a race in Engine.IO's long-polling transport
// (github.com/zishang520/engine.io v2.5.0): it writes a poll's answer from
// another goroutine, and when the client aborts that poll the handler
// returns while the write is still going on. net/http then recycles the
// connection's buffers for another request, and the late write lands in
// them. The guard makes the handler wait for a write in progress and drops
// writes that come after it returned. WebSocket upgrades are passed through:
// they need the real ResponseWriter to hijack the connection.
func guardResponses(next http.Handler, gates *readGates) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(gates.wrap(w, r), r)
			return
		}
		g := &guardedWriter{w: w, header: http.Header{}}
		for k, v := range w.Header() {
			g.header[k] = v
		}
		defer g.finish()
		next.ServeHTTP(g, r)
	})
}

type guardedWriter struct {
	w      http.ResponseWriter
	header http.Header // written only by the goroutine producing the response

	mu          sync.Mutex
	wroteHeader bool
	finished    bool
}

func (g *guardedWriter) Header() http.Header { return g.header }

func (g *guardedWriter) WriteHeader(code int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.finished && !g.wroteHeader {
		g.writeHeaderLocked(code)
	}
}

func (g *guardedWriter) writeHeaderLocked(code int) {
	dst := g.w.Header()
	for k, v := range g.header {
		dst[k] = v
	}
	g.w.WriteHeader(code)
	g.wroteHeader = true
}

func (g *guardedWriter) Write(b []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.finished {
		return 0, errResponseFinished
	}
	if !g.wroteHeader {
		g.writeHeaderLocked(http.StatusOK)
	}
	return g.w.Write(b)
}

// finish waits for a write in progress and refuses any later one.
func (g *guardedWriter) finish() {
	g.mu.Lock()
	g.finished = true
	g.mu.Unlock()
}

// readGates hold back what a new WebSocket client sends until Socket.IO
// listens. Engine.IO (github.com/zishang520/engine.io v2.5.0) sends its open
// packet while creating the session and only afterwards emits "connection",
// on which Socket.IO starts listening; a client that answers the open
// packet at once (socket.io-client over WebSocket sends its namespace
// connect straight away) can be heard in between, by nobody, and then waits
// for ever. The hijacked connection's reads wait for that "connection"
// event, keyed by the client's address, or for a second at most.
//
// They also keep every connection a WebSocket upgrade hijacked, gated or
// not, so that the server's Close can close them and wait until no read of
// theirs is still running: Engine.IO closes a WebSocket from its own
// goroutines and does not wait for its reader to leave.
type readGates struct {
	mu     sync.Mutex
	gates  map[string]chan struct{}
	conns  map[*gatedConn]struct{}
	closed bool
	shut   chan struct{} // closed by closeAll: a read waiting at a gate goes on
	reads  sync.WaitGroup
}

const gateTimeout = time.Second

func newReadGates() *readGates {
	return &readGates{gates: map[string]chan struct{}{}, conns: map[*gatedConn]struct{}{}, shut: make(chan struct{})}
}

func (g *readGates) open(addr string) chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	ch := make(chan struct{})
	g.gates[addr] = ch
	return ch
}

// release lets addr's reads through; it is safe for unknown addresses.
func (g *readGates) release(addr string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if ch, ok := g.gates[addr]; ok {
		close(ch)
		delete(g.gates, addr)
	}
}

// alreadyOpen is the gate of an upgrade of a polling session, whose
// Socket.IO client already listens.
var alreadyOpen = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()

// wrap keeps the connection a WebSocket upgrade of r will hijack, and gates
// it if r starts a new Engine.IO session (upgrades of polling sessions have
// a sid and their Socket.IO client already listens).
func (g *readGates) wrap(w http.ResponseWriter, r *http.Request) http.ResponseWriter {
	h, ok := w.(http.Hijacker)
	if !ok {
		return w
	}
	if r.URL.Query().Get("sid") != "" {
		return &gatedResponse{ResponseWriter: w, hijacker: h, gates: g, ready: alreadyOpen, expire: func() {}}
	}
	addr := r.RemoteAddr
	return &gatedResponse{ResponseWriter: w, hijacker: h, gates: g, ready: g.open(addr), expire: func() { g.release(addr) }}
}

// closeAll closes every hijacked connection, refuses later hijacks and
// reads, and waits until no read is running or ctx ends.
func (g *readGates) closeAll(ctx context.Context) error {
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		close(g.shut)
	}
	conns := make([]*gatedConn, 0, len(g.conns))
	for c := range g.conns {
		conns = append(conns, c)
	}
	g.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
	return client.Wait(ctx, &g.reads, "socketio: WebSocket reads")
}

// startRead counts a read of c, unless closeAll has run: reads are only
// counted while the WaitGroup may still grow.
func (g *readGates) startRead() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.reads.Add(1)
	return true
}

type gatedResponse struct {
	http.ResponseWriter
	hijacker http.Hijacker
	gates    *readGates
	ready    chan struct{}
	expire   func()
}

func (g *gatedResponse) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := g.hijacker.Hijack()
	if err != nil {
		return nil, nil, err
	}
	c := &gatedConn{Conn: conn, gates: g.gates, ready: g.ready, expire: g.expire}
	g.gates.mu.Lock()
	closed := g.gates.closed
	if !closed {
		g.gates.conns[c] = struct{}{}
	}
	g.gates.mu.Unlock()
	if closed {
		conn.Close()
		return nil, nil, net.ErrClosed
	}
	return c, brw, nil
}

type gatedConn struct {
	net.Conn
	gates  *readGates
	ready  chan struct{}
	expire func()
	once   sync.Once
}

func (c *gatedConn) Read(p []byte) (int, error) {
	if !c.gates.startRead() {
		return 0, net.ErrClosed
	}
	defer c.gates.reads.Done()
	c.once.Do(func() {
		select {
		case <-c.ready:
		case <-c.gates.shut:
		case <-time.After(gateTimeout):
			c.expire() // the session never started; do not keep its gate
		}
	})
	return c.Conn.Read(p)
}

func (c *gatedConn) Close() error {
	c.gates.mu.Lock()
	delete(c.gates.conns, c)
	c.gates.mu.Unlock()
	return c.Conn.Close()
}
