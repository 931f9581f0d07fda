package socketio_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/livetryon/server/internal/leakcheck"
	"github.com/livetryon/server/internal/sioclient"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/transport/socketio"
)

// Close tells each client shutting_down, disconnects it, and returns once
// every connection's end has run; the hub's Close then finds no client
// left and no outbox writer running.
func TestCloseEndsEveryConnection(t *testing.T) {
	engine, err := pipeline.New(pipeline.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close(context.Background())
	before := goleak.IgnoreCurrent()
	hub := client.NewHub(engine, client.Common{})
	sio := socketio.New(hub, socketio.Options{})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", sio.Handler())
	srv := httptest.NewServer(mux)
	c, err := sioclient.Dial(srv.URL, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	goodbye := make(chan string, 4)
	c.On("error", func(args []json.RawMessage) {
		var e client.ErrorBody
		if len(args) > 0 && json.Unmarshal(args[0], &e) == nil {
			goodbye <- e.Code
		}
	})
	answered := make(chan struct{}, 1)
	c.On(socketio.EventResponse, func([]json.RawMessage) { answered <- struct{}{} })
	c.Emit(socketio.EventImage, testmedia.DataURL(testmedia.WebcamJPEG(t)))
	select {
	case <-answered:
	case <-time.After(30 * time.Second):
		t.Fatal("no answer to the frame")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := sio.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if n := hub.Sessions(); n != 0 {
		t.Errorf("%d sessions still open after Close", n)
	}
	if err := hub.Close(ctx); err != nil {
		t.Fatalf("hub Close: %v", err)
	}
	if left := leakcheck.Running("github.com/livetryon/server/pkg/client", "github.com/livetryon/server/pkg/transport/socketio"); len(left) > 0 {
		t.Errorf("after Close, goroutines still run:\n%s", strings.Join(left, "\n"))
	}
	select {
	case code := <-goodbye:
		if code != client.CodeShuttingDown {
			t.Errorf("told %q before the disconnect, want shutting_down", code)
		}
	case <-time.After(5 * time.Second):
		t.Error("the client was not told shutting_down")
	}
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Error("the client was not disconnected")
	}
	c.Close()
	srv.Close()
	goleak.VerifyNone(t, before)
}
