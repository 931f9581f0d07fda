package httpframe_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/livetryon/server/internal/leakcheck"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/transport/httpframe"
)

// Close ends every session (a new one is refused shutting_down after it,
// an ended one is unknown) and returns only once the expiry goroutine has stopped;
// the hub's Close then waits for the sessions' outbox writers.
func TestCloseEndsSessionsAndExpiry(t *testing.T) {
	engine, err := pipeline.New(pipeline.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close(context.Background())
	before := goleak.IgnoreCurrent()
	hub := client.NewHub(engine, client.Common{})
	frames := httpframe.New(hub, httpframe.Options{Idle: time.Minute})
	srv := httptest.NewServer(frames.Handler())
	jpg := testmedia.WebcamJPEG(t)
	post := func(session string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(jpg))
		req.Header.Set("Content-Type", "image/jpeg")
		if session != "" {
			req.Header.Set(httpframe.HeaderSession, session)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := post("")
	session := resp.Header.Get(httpframe.HeaderSession)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(session, "http-") {
		t.Fatalf("first frame: %d, session %q", resp.StatusCode, session)
	}
	if frames.Sessions() != 1 || hub.Sessions() != 1 {
		t.Fatalf("%d sessions in the transport, %d in the hub; want 1 each", frames.Sessions(), hub.Sessions())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := frames.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if left := leakcheck.RunningOutsideHandlers("github.com/livetryon/server/pkg/transport/httpframe"); len(left) > 0 {
		t.Errorf("after Close, the transport's goroutines still run:\n%s", strings.Join(left, "\n"))
	}
	if hub.Sessions() != 0 {
		t.Errorf("%d sessions still open in the hub after Close", hub.Sessions())
	}
	if resp := post(""); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a new session's frame after Close: %d, want 503 shutting_down", resp.StatusCode)
	}
	if resp := post(session); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the ended session's frame after Close: %d, want 404 unknown_session", resp.StatusCode)
	}
	if err := hub.Close(ctx); err != nil {
		t.Fatalf("hub Close: %v", err)
	}
	srv.Close()
	http.DefaultClient.CloseIdleConnections()
	goleak.VerifyNone(t, before)
}
