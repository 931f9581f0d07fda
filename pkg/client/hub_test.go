package client_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetryon/server/internal/leakcheck"
	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/pipeline"
)

func newEngine(t *testing.T) *pipeline.Engine {
	t.Helper()
	e, err := pipeline.New(pipeline.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return e
}

// stalledSender is a connection whose first write never finishes until
// released, as a client that stops reading.
type stalledSender struct {
	release chan struct{}
	sending chan struct{}
	once    sync.Once
}

func (s *stalledSender) Send(client.Message) error {
	s.once.Do(func() { close(s.sending) })
	<-s.release
	return errors.New("connection closed")
}

// The hub's Close closes every client and waits for their outbox writers:
// while a writer is stuck in a write, Close answers ctx's error; once the
// write ends, Close returns nil and no writer runs.
func TestHubCloseWaitsForOutboxWriters(t *testing.T) {
	hub := client.NewHub(newEngine(t), client.Common{})
	s := &stalledSender{release: make(chan struct{}), sending: make(chan struct{})}
	c, err := hub.Open("test", s, client.Request{})
	if err != nil {
		t.Fatal(err)
	}
	c.Hello()
	<-s.sending
	short, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := hub.Close(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close with a writer stuck in a write: %v, want the deadline's error", err)
	}
	close(s.release)
	if err := hub.Close(context.Background()); err != nil {
		t.Fatalf("Close once the write ended: %v", err)
	}
	if left := leakcheck.Running("github.com/livetryon/server/pkg/client"); len(left) > 0 {
		t.Errorf("after Close, outbox writers still run:\n%s", strings.Join(left, "\n"))
	}
}

type nopSender struct{}

func (nopSender) Send(client.Message) error { return nil }

// Each session gets a new id of its transport, unguessable; the log
// carries its short form only, in one connect line and one disconnect
// line; the admission is given back once, when the client closes; a
// closed hub opens nothing and gives the admission back at once.
func TestHubOpensSessions(t *testing.T) {
	var logs bytes.Buffer
	hub := client.NewHub(newEngine(t), client.Common{Logger: zerolog.New(&logs)})
	seen := map[string]bool{}
	left := 0
	for range 3 {
		c, err := hub.Open("ws", nopSender{}, client.Request{Remote: "127.0.0.1:1", Leave: func() { left++ }})
		if err != nil {
			t.Fatal(err)
		}
		id := c.ID()
		if !strings.HasPrefix(id, "ws-") || len(id) != len("ws-")+32 || seen[id] {
			t.Errorf("session id %q: want ws- and 32 hex digits, never repeated", id)
		}
		seen[id] = true
		c.Close()
		c.Close()
		if strings.Contains(logs.String(), id) {
			t.Errorf("the whole id %s is in the log", id)
		}
		short := client.ShortID(id)
		for _, msg := range []string{"connect", "disconnect"} {
			if n := strings.Count(logs.String(), `"client":"`+short+`"`); n < 2 || !strings.Contains(logs.String(), `"message":"`+msg+`"`) {
				t.Errorf("%s: %d log lines with client %s, want its connect and disconnect lines:\n%s", msg, n, short, logs.String())
			}
		}
	}
	if left != 3 || hub.Sessions() != 0 {
		t.Errorf("admissions given back %d times for 3 sessions; %d sessions still open", left, hub.Sessions())
	}
	if err := hub.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	gaveBack := false
	if _, err := hub.Open("ws", nopSender{}, client.Request{Leave: func() { gaveBack = true }}); !errors.Is(err, client.ErrClosed) || !gaveBack {
		t.Errorf("Open on a closed hub: %v, admission given back %v; want ErrClosed and given back", err, gaveBack)
	}
}

// The connect line names the client behind a trusted proxy, as the
// server's ClientAddr finds it, not the proxy; without one, the peer.
func TestHubRemoteAddr(t *testing.T) {
	r := httptest.NewRequest("GET", "/ws", nil)
	r.RemoteAddr = "127.0.0.1:4242" // nginx
	r.Header.Set("X-Real-IP", "203.0.113.7")
	plain := client.NewHub(newEngine(t), client.Common{})
	if got := plain.RemoteAddr(r); got != "127.0.0.1:4242" {
		t.Errorf("without ClientAddr: %q, want the peer", got)
	}
	proxied := client.NewHub(newEngine(t), client.Common{ClientAddr: func(r *http.Request) string { return r.Header.Get("X-Real-IP") }})
	if got := proxied.RemoteAddr(r); got != "203.0.113.7" {
		t.Errorf("behind a proxy: %q, want the client's", got)
	}
}
