package loadgen_test

import (
	"context"
	"image"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/livetryon/server/internal/cvimage"
	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/loadgen"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/transport/httpframe"
	"github.com/livetryon/server/pkg/transport/socketio"
	"github.com/livetryon/server/pkg/transport/websocket"
)

// startServer serves the three live transports over one engine, as
// cmd/server does; delay slows every frame.
func startServer(t *testing.T, delay time.Duration) string {
	t.Helper()
	cfg := pipeline.DefaultConfig()
	cfg.Delay = delay
	engine, err := pipeline.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	lipstick := client.Common{Effects: func() []pipeline.Effect { return []pipeline.Effect{effects.DefaultLipstick} }}
	hub := client.NewHub(engine, lipstick)
	sio := socketio.New(hub, socketio.Options{})
	ws := websocket.New(hub, websocket.Options{})
	frames := httpframe.New(hub, httpframe.Options{})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", sio.Handler())
	mux.Handle("/ws", ws.Handler())
	mux.Handle("/api/v1/frames", frames.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		ctx := context.Background()
		sio.Close(ctx)
		ws.Close(ctx)
		frames.Close(ctx)
		hub.Close(ctx)
		engine.Close(context.Background())
	})
	return srv.URL
}

// These runs check correctness only: every answer is matched to the frame
// it answers, none is malformed, drops are counted, and the bytes on the
// wire are counted. They assert no timings.
func TestLoadgenAgainstRealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("load runs: skipped with -short")
	}
	base := loadgen.Config{Clients: 2, Duration: 2 * time.Second, Source: testmedia.Path("obama-480p.jpg"), Quality: 50, Variants: 64, AnswerTimeout: time.Second}
	closedLoop := func(t *testing.T, rep *loadgen.Report) {
		t.Helper()
		t.Logf("\n%s", rep.Text())
		if rep.Answered == 0 || rep.Malformed != 0 || rep.Errors != 0 || rep.Unanswered != 0 || rep.Answered != rep.Sent {
			t.Errorf("closed loop: want every frame answered and matched: %+v", rep)
		}
		// A frame goes up whole and comes back whole, so each way costs at
		// least the frame's bytes on average.
		if rep.UpBytesPerFrame < float64(rep.FrameBytes)/2 || rep.DownBytesPerFrame < float64(rep.FrameBytes)/2 {
			t.Errorf("bytes on the wire per frame: %.0f up, %.0f down, for frames of up to %d bytes", rep.UpBytesPerFrame, rep.DownBytesPerFrame, rep.FrameBytes)
		}
	}

	url := startServer(t, 0)
	for _, run := range []struct{ transport, protocol string }{
		{"socketio", "seed"}, {"socketio", "ack"}, {"ws", "seed"}, {"ws", "ack"}, {"http", "ack"},
	} {
		t.Run(run.transport+" "+run.protocol+" closed loop", func(t *testing.T) {
			cfg := base
			// The server runs in this process: its CPU is this process's.
			cfg.URL, cfg.Transport, cfg.Protocol, cfg.ServerPID = url, run.transport, run.protocol, os.Getpid()
			rep, err := loadgen.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			closedLoop(t, rep)
			if rep.ServerCPUSeconds <= 0 || rep.ServerCPUPerAnswered <= 0 || rep.PeakRSSMB <= 0 {
				t.Errorf("with ServerPID: cpu %.2f s, %.2f ms a frame, peak RSS %.0f MB; want each above zero", rep.ServerCPUSeconds, rep.ServerCPUPerAnswered, rep.PeakRSSMB)
			}
			if rep.LoadCPUSeconds <= 0 || rep.LoadCPUPerSent <= 0 || !strings.Contains(rep.Text(), "loadgen cpu") {
				t.Errorf("load tool's own cpu %.2f s, %.2f ms a frame sent; want both above zero, and reported", rep.LoadCPUSeconds, rep.LoadCPUPerSent)
			}
			if run.protocol == "ack" && rep.ServerStagesP50["total"] <= 0 {
				t.Errorf("no server timings read from the answers: %v", rep.ServerStagesP50)
			}
			// The faces the server found, from every answer that says.
			if run.protocol == "ack" && rep.FacesPerAnswer["1"] != rep.Answered {
				t.Errorf("faces per answer %v, want one face in each of %d", rep.FacesPerAnswer, rep.Answered)
			}
		})
	}

	// --config: every client's settings are sent first and taken (a bad
	// one fails the run, saying so), over Socket.IO and HTTP.
	for _, transport := range []string{"socketio", "http"} {
		t.Run(transport+" with settings", func(t *testing.T) {
			cfg := base
			cfg.URL, cfg.Transport, cfg.Protocol, cfg.Settings = url, transport, "ack", `{"look":"bold"}`
			rep, err := loadgen.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			closedLoop(t, rep)
		})
	}
	t.Run("refused settings", func(t *testing.T) {
		cfg := base
		cfg.URL, cfg.Transport, cfg.Protocol, cfg.Settings = url, "socketio", "ack", `{"look":"party"}`
		if _, err := loadgen.Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "look") {
			t.Errorf("a refused config: %v, want an error naming the look", err)
		}
	})

	// --size frames the portrait as a 1280x720 camera would: the face is
	// found in every answer, and the frames are bigger.
	t.Run("1280x720", func(t *testing.T) {
		cfg := base
		cfg.URL, cfg.Transport, cfg.Protocol, cfg.Clients, cfg.Size = url, "ws", "ack", 1, image.Pt(1280, 720)
		rep, err := loadgen.Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		closedLoop(t, rep)
		if rep.FrameWidth != 1280 || rep.FrameHeight != 720 || rep.FacesPerAnswer["1"] != rep.Answered {
			t.Errorf("%dx%d frames, faces per answer %v of %d answered", rep.FrameWidth, rep.FrameHeight, rep.FacesPerAnswer, rep.Answered)
		}
	})

	// --video: the frames of a Motion-JPEG file (a slow pan over the
	// portrait), in order and looping, each answered and matched by its id
	// and by its stamp alike.
	t.Run("video", func(t *testing.T) {
		video := panMJPEG(t, 12)
		for _, run := range []struct{ transport, protocol string }{{"ws", "ack"}, {"socketio", "seed"}} {
			cfg := base
			cfg.URL, cfg.Transport, cfg.Protocol, cfg.Clients, cfg.Duration, cfg.Video = url, run.transport, run.protocol, 1, time.Second, video
			rep, err := loadgen.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			closedLoop(t, rep)
			if rep.Sent <= 12 || rep.FrameWidth != 640 || rep.FrameHeight != 480 {
				t.Errorf("%s %s: %d sent (want the 12 frames looped), %dx%d", run.transport, run.protocol, rep.Sent, rep.FrameWidth, rep.FrameHeight)
			}
			if run.protocol == "ack" && rep.FacesPerAnswer["1"] != rep.Answered {
				t.Errorf("faces per answer %v, want one face in each of %d", rep.FacesPerAnswer, rep.Answered)
			}
		}
		bad := filepath.Join(t.TempDir(), "bad.mjpeg")
		os.WriteFile(bad, []byte("not a video"), 0o644)
		cfg := base
		cfg.URL, cfg.Transport, cfg.Protocol, cfg.Video = url, "ws", "ack", bad
		if _, err := loadgen.Run(context.Background(), cfg); err == nil {
			t.Error("a file with no JPEG as --video: no error")
		}
	})

	// Base64 costs a third more: the same frames over Socket.IO cost more
	// bytes than over the raw WebSocket.
	t.Run("base64 costs bytes", func(t *testing.T) {
		reps := map[string]*loadgen.Report{}
		for _, tr := range []string{"socketio", "ws"} {
			cfg := base
			cfg.URL, cfg.Transport, cfg.Protocol, cfg.Clients, cfg.Duration = url, tr, "ack", 1, time.Second
			rep, err := loadgen.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			reps[tr] = rep
		}
		up, down := reps["ws"].UpBytesPerFrame/reps["socketio"].UpBytesPerFrame, reps["ws"].DownBytesPerFrame/reps["socketio"].DownBytesPerFrame
		t.Logf("WebSocket/Socket.IO bytes per frame: %.2f up, %.2f down", up, down)
		if up > 0.8 || down > 0.8 {
			t.Errorf("WebSocket/Socket.IO bytes per frame %.2f up, %.2f down: want at most 0.8 (no base64)", up, down)
		}
	})

	for _, tr := range []string{"socketio", "ws", "http"} {
		t.Run(tr+" open loop over capacity", func(t *testing.T) {
			cfg := base
			// 2 clients at 30 fps against a server slowed to about 20
			// frames/s in all: the server must drop, and say so.
			cfg.URL, cfg.Transport, cfg.Protocol, cfg.FPS = startServer(t, 100*time.Millisecond), tr, "ack", 30
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
}

// panMJPEG writes a Motion-JPEG file of n frames panning over the portrait
// and returns its path.
func panMJPEG(t *testing.T, n int) string {
	t.Helper()
	src, err := cvimage.ReadFile(testmedia.Path("obama-480p.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var data []byte
	for i := 0; i < n; i++ {
		x := (src.Cols()-640)/2 + (i-n/2)*4
		crop := src.Region(image.Rect(x, 0, x+640, 480))
		jpg, err := cvjpeg.EncodeBytes(crop, cvjpeg.Options{Quality: 70})
		crop.Close()
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, jpg...)
	}
	p := filepath.Join(t.TempDir(), "pan.mjpeg")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
