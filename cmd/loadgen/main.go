// Command loadgen drives a try-on server with N clients sending real JPEG
// frames over Socket.IO, a raw WebSocket or HTTP per frame (--transport),
// closed loop or at a fixed FPS, and prints answered fps, round-trip
// percentiles, drops, latency drift, bytes on the wire per frame and, with
// --server-pid, the server's CPU time per answered frame, as text
// and, with --json, as JSON. It measures this server and an unmodified
// tutorial-protocol server alike (--protocol seed).
//
//	go run ./cmd/loadgen --url http://127.0.0.1:9990 --transport ws --clients 4 --fps 30 --duration 30s
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/livetryon/server/internal/loadgen"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run() error {
	var cfg loadgen.Config
	var jsonOut string
	flag.StringVar(&cfg.URL, "url", "http://127.0.0.1:9990", "server to load")
	flag.StringVar(&cfg.Transport, "transport", "socketio", "socketio (Engine.IO 4 over WebSocket), ws (binary frames at /ws) or http (POST /api/v1/frames, keep-alive)")
	flag.BoolVar(&cfg.HTTPNewConnEachFrame, "http-no-keepalive", false, "with --transport http: a new TCP connection for every frame")
	flag.IntVar(&cfg.Clients, "clients", 1, "simulated pages")
	flag.Float64Var(&cfg.FPS, "fps", 0, "frames a second each client sends; 0 is a closed loop: the next frame when the answer arrives")
	flag.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long to send")
	flag.StringVar(&cfg.Protocol, "protocol", "ack", "seed: answers matched by a number stamped in the pixels (the tutorial's image → response_back); ack: by the frame's id (this server)")
	flag.StringVar(&cfg.Source, "image", "testdata/obama-480p.jpg", "JPEG to send, framed as a camera of --size would frame it")
	flag.StringVar(&cfg.Video, "video", "", fmt.Sprintf("Motion-JPEG file (concatenated JPEGs) to send instead of --image: its frames in order, looping, each framed at --size and stamped; at most its first %d frames are taken", loadgen.MaxVideoFrames))
	flag.Func("size", "frame size WxH, e.g. 1280x720 (default 640x480): the image's largest centred region of that aspect, scaled, so the face keeps its share of the width", func(v string) error {
		_, err := fmt.Sscanf(v, "%dx%d", &cfg.Size.X, &cfg.Size.Y)
		if err == nil && (cfg.Size.X < 16 || cfg.Size.Y < 16 || cfg.Size.X > 4096 || cfg.Size.Y > 4096) {
			err = fmt.Errorf("want 16..4096 on each side")
		}
		return err
	})
	flag.IntVar(&cfg.Quality, "quality", 50, "JPEG quality of the frames sent, 1..100 (a browser's 0.5 is 50)")
	flag.IntVar(&cfg.ServerPID, "server-pid", 0, "the server's pid: sample its resident memory, and report its CPU time (utime+stime from /proc) per answered frame")
	flag.StringVar(&jsonOut, "json", "", "also write the report as JSON to this file (- for stdout)")
	flag.StringVar(&cfg.Settings, "config", "", `settings every client sends first, as the config event, e.g. '{"look":"bold"}' (socketio and http)`)
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := loadgen.Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Print(rep.Text())
	if jsonOut == "" {
		return nil
	}
	b, _ := json.MarshalIndent(rep, "", "  ")
	b = append(b, '\n')
	if jsonOut == "-" {
		_, err = os.Stdout.Write(b)
		return err
	}
	return os.WriteFile(jsonOut, b, 0o644)
}
