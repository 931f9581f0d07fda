package websocket_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/livetryon/server/internal/leakcheck"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/transport/websocket"
)

// Close disconnects every client with 1001 and returns only once each
// connection's goroutines (reader, pinger) have stopped; the hub's Close
// then waits for their outbox writers. A client that stopped reading is
// among them: its writer is stuck in a write until the connection closes.
func TestCloseWaitsForConnections(t *testing.T) {
	engine, err := pipeline.New(pipeline.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close(context.Background())
	before := goleak.IgnoreCurrent() // the engine's workers are not the transport's
	hub := client.NewHub(engine, client.Common{})
	ws := websocket.New(hub, websocket.Options{PingInterval: 50 * time.Millisecond})
	srv := httptest.NewServer(ws.Handler())
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	jpg := testmedia.WebcamJPEG(t)

	reader, _, err := gorilla.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	// One answered frame: the connection is fully served.
	reader.WriteMessage(gorilla.BinaryMessage, jpg)
	for answered := false; !answered; {
		reader.SetReadDeadline(time.Now().Add(30 * time.Second))
		kind, _, err := reader.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for the answer: %v", err)
		}
		answered = kind == gorilla.BinaryMessage
	}
	// A second client sends frames and never reads.
	silent, _, err := gorilla.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	for range 20 {
		silent.WriteMessage(gorilla.BinaryMessage, jpg)
	}
	if n := hub.Sessions(); n != 2 {
		t.Fatalf("%d sessions open, want 2", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := ws.Close(ctx); err != nil {
		t.Fatalf("websocket Close: %v", err)
	}
	if left := leakcheck.Running("github.com/livetryon/server/pkg/transport/websocket"); len(left) > 0 {
		t.Errorf("after Close, the transport's goroutines still run:\n%s", strings.Join(left, "\n"))
	}
	if err := hub.Close(ctx); err != nil {
		t.Fatalf("hub Close: %v", err)
	}
	if left := leakcheck.Running("github.com/livetryon/server/pkg/client"); len(left) > 0 {
		t.Errorf("after the hub's Close, outbox writers still run:\n%s", strings.Join(left, "\n"))
	}
	reader.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := reader.ReadMessage(); err != nil {
			if !gorilla.IsCloseError(err, gorilla.CloseGoingAway) {
				t.Errorf("the client was closed with %v, want 1001 going away", err)
			}
			break
		}
	}
	reader.Close()
	silent.Close()
	srv.Close()
	goleak.VerifyNone(t, before)
}
