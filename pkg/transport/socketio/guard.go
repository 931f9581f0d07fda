package socketio

import (
	"errors"
	"net/http"
	"strings"
	"sync"
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
func guardResponses(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(w, r)
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
