package loadgen_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/livetryon/server/internal/loadgen"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/transport/socketio"
)

func startServer(t *testing.T, delay time.Duration) string {
	t.Helper()
	cfg := pipeline.DefaultConfig()
	cfg.Delay = delay
	engine, err := pipeline.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sio := socketio.New(engine, socketio.Options{Effects: func() []pipeline.Effect { return []pipeline.Effect{effects.DefaultLipstick} }})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", sio.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); sio.Close(); engine.Close() })
	return srv.URL
}

// These runs check correctness only: every answer is matched to a frame,
// none is malformed, and drops are counted. They assert no timings.
func TestLoadgenAgainstRealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("load runs: skipped with -short")
	}
	base := loadgen.Config{Clients: 2, Duration: 2 * time.Second, Source: testmedia.Path("obama-480p.jpg"), Quality: 50, Variants: 64}

	t.Run("seed closed loop", func(t *testing.T) {
		cfg := base
		cfg.URL, cfg.Protocol = startServer(t, 0), "seed"
		rep, err := loadgen.Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("\n%s", rep.Text())
		if rep.Answered == 0 || rep.Malformed != 0 || rep.Errors != 0 || rep.Unanswered != 0 || rep.Answered != rep.Sent {
			t.Errorf("closed loop: want every frame answered and matched: %+v", rep)
		}
	})

	t.Run("ack open loop over capacity", func(t *testing.T) {
		cfg := base
		// 2 clients at 30 fps against a server slowed to about 20 frames/s
		// in all: the server must drop, and say so.
		cfg.URL, cfg.Protocol, cfg.FPS = startServer(t, 100*time.Millisecond), "ack", 30
		rep, err := loadgen.Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("\n%s", rep.Text())
		if rep.Answered == 0 || rep.ServerDropped == 0 || rep.Malformed != 0 || rep.Errors != 0 {
			t.Errorf("want answers and counted drops, nothing malformed: %+v", rep)
		}
		if got := rep.Answered + rep.ServerDropped + rep.Unanswered; got != rep.Sent {
			t.Errorf("answered %d + dropped %d + unanswered %d != sent %d", rep.Answered, rep.ServerDropped, rep.Unanswered, rep.Sent)
		}
	})
}
