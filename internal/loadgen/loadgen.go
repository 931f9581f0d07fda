// Package loadgen drives a try-on server with many clients sending real JPEG
// frames over Socket.IO, a raw WebSocket or HTTP per frame, and reports how
// fast and how fresh the answers are, and what each frame costs on the wire.
//
// Every answer is matched to the frame it answers: by its id (protocol
// "ack": the Socket.IO acknowledgement, the WebSocket `answer` message, the
// HTTP X-Frame-Id header), or, for a server that speaks only the tutorial's
// seed protocol, by a frame number stamped into the image's pixels (package
// frameid). That lets the same tool measure an unmodified tutorial server
// and this one alike.
package loadgen

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"os"
	"sync"
	"time"

	"github.com/livetryon/server/internal/cvimage"
	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/frameid"
)

// Config is one load run.
type Config struct {
	URL       string
	Transport string // "socketio" (the default), "ws" or "http"
	// HTTPNewConnEachFrame turns keep-alive off for transport http: a new
	// TCP connection per frame, as a client that cannot reuse one pays.
	HTTPNewConnEachFrame bool
	Clients              int
	FPS                  float64 // frames a second per client; 0 is a closed loop (next frame when the answer arrives)
	Duration             time.Duration
	Protocol             string // "seed": answers matched by their pixels; "ack": by their id (see the package doc)
	Source               string // a JPEG: the portrait
	// Size is the frames' size: Source framed as a camera with that aspect
	// would frame it (the largest centred region of that aspect), scaled,
	// so the face keeps its share of the frame's width. Zero: 640x480.
	Size     image.Point
	Quality  int // JPEG quality of the frames sent, 1..100
	Variants int // distinct stamped frames to cycle through (at most frameid.Modulo)
	// Video, if set, is a Motion-JPEG file (concatenated JPEGs) sent instead
	// of Source: the variants are its frames in order, each framed at Size,
	// stamped with its index and encoded at Quality, so each client sends
	// the video in order, looping. At most MaxVideoFrames (and Variants)
	// frames are taken: a longer video is cut to its first ones.
	Video string
	// AnswerTimeout ends a closed loop's wait for an answer that never comes.
	AnswerTimeout time.Duration
	// ServerPID, if set, is the server's process: its peak resident memory
	// is sampled, and its CPU time over the run is divided by the frames
	// answered.
	ServerPID int
	// Settings, if set, is a config message (JSON, as the config event)
	// each client sends before its first frame, e.g. {"look":"bold"}:
	// over Socket.IO as the config event, waiting for its reply; over HTTP
	// as the X-Config header of every request. Not supported over ws.
	Settings string
}

// answerInfo is what an answer says of its frame besides the picture.
type answerInfo struct {
	faces   int // -1: not said
	timings map[string]float64
}

type sample struct {
	sent time.Time
	age  time.Duration
}

// variant is one stamped frame, ready to send as bytes or as a data URL.
type variant struct {
	jpeg    []byte
	dataURL string
}

// makeFrames encodes the source once per variant, each with its number
// stamped in.
func makeFrames(cfg Config) ([]variant, int, error) {
	src, err := cvimage.ReadFile(cfg.Source)
	if err != nil {
		return nil, 0, fmt.Errorf("cannot read %s", cfg.Source)
	}
	defer src.Close()
	size := cfg.Size
	if size == (image.Point{}) {
		size = image.Pt(640, 480)
	}
	frame := cvimage.CameraFrame(src, size)
	defer frame.Close()
	var f []variant
	largest := 0
	for i := 0; i < cfg.Variants; i++ {
		img := frame.Clone()
		frameid.Stamp(&img, i)
		buf, err := cvjpeg.Encode(img, cvjpeg.Options{Quality: cfg.Quality})
		img.Close()
		if err != nil {
			return nil, 0, err
		}
		jpg := append([]byte(nil), buf.Bytes()...)
		buf.Close()
		largest = max(largest, len(jpg))
		f = append(f, variant{jpeg: jpg, dataURL: "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(jpg)})
	}
	return f, largest, nil
}

// Run performs the load and returns its report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Clients < 1 || cfg.Duration <= 0 {
		return nil, errors.New("loadgen: need at least one client and a duration")
	}
	if cfg.Protocol != "seed" && cfg.Protocol != "ack" {
		return nil, fmt.Errorf("loadgen: protocol %q: want seed or ack", cfg.Protocol)
	}
	if cfg.Transport == "" {
		cfg.Transport = "socketio"
	}
	if cfg.Transport == "http" && cfg.Protocol == "seed" {
		return nil, errors.New("loadgen: HTTP answers each request: use protocol ack")
	}
	if cfg.Variants <= 0 || cfg.Variants > frameid.Modulo {
		cfg.Variants = frameid.Modulo
	}
	if cfg.Quality <= 0 {
		cfg.Quality = 50
	}
	if cfg.AnswerTimeout <= 0 {
		cfg.AnswerTimeout = 5 * time.Second
	}
	makeFn := makeFrames
	if cfg.Video != "" {
		makeFn = makeVideoFrames
	}
	fr, size, err := makeFn(cfg)
	if err != nil {
		return nil, err
	}
	var w wire
	clients := make([]*client, cfg.Clients)
	for i := range clients {
		c := newClient(cfg, fr)
		l, err := dial(cfg, c, &w)
		if err != nil {
			for _, c := range clients[:i] {
				c.link.close()
			}
			return nil, err
		}
		c.link = l
		clients[i] = c
	}
	var rss rssSampler
	var cpuStart time.Duration
	if cfg.ServerPID > 0 {
		go rss.run(ctx, cfg.ServerPID)
		if cpuStart, err = processCPU(cfg.ServerPID); err != nil {
			for _, c := range clients {
				c.link.close()
			}
			return nil, err
		}
	}

	ownStart, ownErr := processCPU(os.Getpid())
	start := time.Now()
	end := start.Add(cfg.Duration)
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.run(ctx, end)
		}()
	}
	wg.Wait()
	// Give answers in flight a moment before counting what never came.
	grace := time.NewTimer(min(cfg.AnswerTimeout, 2*time.Second))
	select {
	case <-grace.C:
	case <-ctx.Done():
	}
	up, down := w.up.Load(), w.down.Load() // before closing, which costs bytes too
	var own time.Duration
	if ownEnd, err := processCPU(os.Getpid()); err == nil && ownErr == nil {
		own = ownEnd - ownStart
	}
	var cpu time.Duration
	if cfg.ServerPID > 0 {
		// Before closing too: tearing sessions down is not a frame's cost.
		cpuEnd, err := processCPU(cfg.ServerPID)
		if err == nil {
			cpu = cpuEnd - cpuStart
		}
	}
	for _, c := range clients {
		c.link.close()
	}
	r := report(cfg, start, size, clients, rss.peak())
	r.WireBytesUp, r.WireBytesDown = up, down
	if r.Sent > 0 {
		r.UpBytesPerFrame = float64(up) / float64(r.Sent)
	}
	if r.Answered > 0 {
		r.DownBytesPerFrame = float64(down) / float64(r.Answered)
	}
	if own > 0 && r.Sent > 0 {
		r.LoadCPUSeconds = own.Seconds()
		r.LoadCPUPerSent = ms(own) / float64(r.Sent)
	}
	if cpu > 0 {
		r.ServerCPUSeconds = cpu.Seconds()
		if r.Answered > 0 {
			r.ServerCPUPerAnswered = ms(cpu) / float64(r.Answered)
		}
	}
	return r, nil
}
