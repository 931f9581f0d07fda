package webrtc_test

import (
	"context"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/livetryon/server/pkg/transport/webrtc"
)

// Close hangs up a live session and returns once every goroutine the
// transport started has ended (its RTCP and camera readers, pion's own
// for the PeerConnection); a second Close returns at once.
func TestCloseWaitsForItsGoroutines(t *testing.T) {
	s, base := newServer(t, webrtc.Options{})
	before := goleak.IgnoreCurrent() // the engine's workers and the HTTP server are not the transport's
	c := newPeerClient(t)
	c.connect(t, base, false)
	stop := make(chan struct{})
	wg := c.camera(t, 0, stop)
	c.waitFrames(t, 5)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// At once, not eventually: goleak retries for a while, so alone it
	// cannot tell a Close that waits from one whose goroutines end soon
	// after it returns.
	if running := goroutinesIn("livetryon/server/pkg/transport/webrtc."); len(running) > 0 {
		t.Errorf("%d goroutines of the transport still run after Close:\n%s", len(running), strings.Join(running, "\n\n"))
	}
	if n := s.Sessions(); n != 0 {
		t.Errorf("%d sessions after Close", n)
	}
	if err := s.Close(ctx); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	close(stop)
	wg.Wait()
	c.pc.Close() // the test's own peer, and its HTTP connection
	http.DefaultClient.CloseIdleConnections()
	goleak.VerifyNone(t, before)
}

// goroutinesIn returns the stacks of the goroutines, but this one, with a
// function of pkg in them.
func goroutinesIn(pkg string) []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var found []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i > 0 && strings.Contains(g, pkg) && !strings.Contains(g, "_test.") {
			found = append(found, g)
		}
	}
	return found
}
