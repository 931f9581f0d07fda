package socketio

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
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
type readGates struct {
	mu    sync.Mutex
	gates map[string]chan struct{}
}

const gateTimeout = time.Second

func (g *readGates) open(addr string) chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gates == nil {
		g.gates = map[string]chan struct{}{}
	}
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

// wrap gates the connection a WebSocket upgrade of r will hijack, if r
// starts a new Engine.IO session (upgrades of polling sessions have a sid
// and their Socket.IO client already listens).
func (g *readGates) wrap(w http.ResponseWriter, r *http.Request) http.ResponseWriter {
	h, ok := w.(http.Hijacker)
	if !ok || r.URL.Query().Get("sid") != "" {
		return w
	}
	addr := r.RemoteAddr
	return &gatedResponse{ResponseWriter: w, hijacker: h, ready: g.open(addr), expire: func() { g.release(addr) }}
}

type gatedResponse struct {
	http.ResponseWriter
	hijacker http.Hijacker
	ready    chan struct{}
	expire   func()
}

func (g *gatedResponse) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := g.hijacker.Hijack()
	if err != nil {
		return nil, nil, err
	}
	return &gatedConn{Conn: conn, ready: g.ready, expire: g.expire}, brw, nil
}

type gatedConn struct {
	net.Conn
	ready  chan struct{}
	expire func()
	once   sync.Once
}

func (c *gatedConn) Read(p []byte) (int, error) {
	c.once.Do(func() {
		select {
		case <-c.ready:
		case <-time.After(gateTimeout):
			c.expire() // the session never started; do not keep its gate
		}
	})
	return c.Conn.Read(p)
}
