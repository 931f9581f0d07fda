package webrtc_test

import (
	"context"
	"net/http"
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
