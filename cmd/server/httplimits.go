package main

import (
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/livetryon/server/pkg/watch"
)

// Timeouts of the http.Servers. Only the header has a server-wide read
// timeout: a server-wide ReadTimeout or WriteTimeout would also cut the
// long-lived connections (WebSocket, Socket.IO, MJPEG), which keep their
// own deadlines per message or frame. limitRequests bounds the rest per
// request.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute // a keep-alive connection between requests
	responseTimeout   = 2 * time.Minute // writing an ordinary response to a client that does not read
	maxHeaderBytes    = 64 << 10
)

func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: readHeaderTimeout, IdleTimeout: idleTimeout,
		MaxHeaderBytes: maxHeaderBytes, ConnContext: watch.ConnContext}
}

// limitRequests gives every request body a deadline: it must arrive within
// bodyTimeout, or the read fails and the handler answers 400 bad_body. A
// stalled upload holds its connection no longer. Ordinary responses must
// be written within responseTimeout; the streaming routes set their own.
func limitRequests(next http.Handler, bodyTimeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if r.Body != nil && r.Body != http.NoBody && !upload(r) {
			rc.SetReadDeadline(time.Now().Add(bodyTimeout))
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
		}
		if !streaming(r) && !upload(r) {
			rc.SetWriteDeadline(time.Now().Add(responseTimeout))
		}
		next.ServeHTTP(w, r)
	})
}

// streaming reports the routes whose responses last: they set their own
// write deadlines (a video job's events, preview and result among them).
func streaming(r *http.Request) bool {
	p := r.URL.Path
	return p == "/ws" || strings.HasPrefix(p, "/socket.io/") || strings.HasPrefix(p, "/watch/") ||
		strings.HasPrefix(p, "/api/v1/videos/") || r.Header.Get("Upgrade") != ""
}

// upload reports a video upload, which may rightly take minutes from a
// phone: its body has a deadline per read instead, and its answer one from
// the end of the body (pkg/transport/videoapi).
func upload(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == "/api/v1/videos"
}

// deadlineBody lifts the body's read deadline once the body has been read
// whole: the server's watch for the client hanging up reads the same
// connection, and must not time out while the answer is being made.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
