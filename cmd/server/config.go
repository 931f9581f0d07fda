package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetryon/server/pkg/frame"
	"github.com/livetryon/server/pkg/landmarks"
	"github.com/livetryon/server/pkg/pipeline"
)

// Config is everything the command line sets.
type Config struct {
	Addr       string
	PprofAddr  string
	LogLevel   string
	LogFormat  string
	CORSOrigin string
	Pipeline   pipeline.Config
}

func parseFlags(args []string) (Config, error) {
	def := pipeline.DefaultConfig()
	var c Config
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.StringVar(&c.Addr, "addr", ":9990", "address to listen on")
	fs.StringVar(&c.Pipeline.ModelPath, "model", landmarks.DefaultModelPath, "dlib 68-point shape predictor (Debian package libdlib-data)")
	fs.StringVar(&c.PprofAddr, "pprof-addr", "", "serve Go's profiler (net/http/pprof) on this address, e.g. 127.0.0.1:6060; off when empty")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", "console", "console (for people) or json (for log collectors)")
	fs.StringVar(&c.CORSOrigin, "cors-origin", "*", "Access-Control-Allow-Origin for Socket.IO, so pages served elsewhere can connect")
	fs.IntVar(&c.Pipeline.Workers, "workers", def.Workers, "frames processed in parallel (default: the number of CPUs)")
	fs.IntVar(&c.Pipeline.DetectWidth, "detect-width", def.DetectWidth, "scale frames to this width for face detection; 0 for full resolution")
	fs.IntVar(&c.Pipeline.RedetectEvery, "redetect-every", def.RedetectEvery, "run the face detector on every n-th frame of a client and track faces by their landmarks in between; 1 detects on every frame")
	fs.BoolVar(&c.Pipeline.NoSmoothing, "no-smoothing", false, "turn off the temporal filter on landmarks (One Euro)")
	fs.IntVar(&c.Pipeline.JPEGQuality, "jpeg-quality", def.JPEGQuality, "JPEG quality of answered frames, 1..100")
	fs.IntVar(&c.Pipeline.Limits.MaxBytes, "max-frame-bytes", frame.DefaultLimits.MaxBytes, "largest JPEG a client may send, in bytes")
	fs.IntVar(&c.Pipeline.Limits.MaxPixels, "max-pixels", frame.DefaultLimits.MaxPixels, "largest frame a client may send, in pixels")
	fs.IntVar(&c.Pipeline.Limits.MaxSide, "max-side", frame.DefaultLimits.MaxSide, "largest frame width or height a client may send")
	fs.DurationVar(&c.Pipeline.Delay, "debug-delay", 0, "add this delay to every frame, to try a slow server (testing only)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return c, c.Validate()
}

// Validate checks the values; its message names the bad flag.
func (c Config) Validate() error {
	if _, err := zerolog.ParseLevel(c.LogLevel); err != nil || c.LogLevel == "" {
		return fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.LogFormat != "console" && c.LogFormat != "json" {
		return fmt.Errorf("--log-format %q: want console or json", c.LogFormat)
	}
	if _, err := os.Stat(c.Pipeline.ModelPath); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("--model %s: file not found; install it with `apt-get install libdlib-data` (or `go tool task deps`), or pass the path of shape_predictor_68_face_landmarks.dat", c.Pipeline.ModelPath)
		}
		return fmt.Errorf("--model: %w", err)
	}
	switch p := c.Pipeline; {
	case p.Workers < 1:
		return fmt.Errorf("--workers %d: want at least 1", p.Workers)
	case p.RedetectEvery < 1:
		return fmt.Errorf("--redetect-every %d: want 1 or more", p.RedetectEvery)
	case p.DetectWidth < 0:
		return fmt.Errorf("--detect-width %d: want 0 or more", p.DetectWidth)
	case p.JPEGQuality < 1 || p.JPEGQuality > 100:
		return fmt.Errorf("--jpeg-quality %d: want 1..100", p.JPEGQuality)
	case p.Limits.MaxBytes < 1024:
		return fmt.Errorf("--max-frame-bytes %d: want at least 1024", p.Limits.MaxBytes)
	case p.Limits.MaxPixels < 64*64:
		return fmt.Errorf("--max-pixels %d: want at least 4096", p.Limits.MaxPixels)
	case p.Limits.MaxSide < 64:
		return fmt.Errorf("--max-side %d: want at least 64", p.Limits.MaxSide)
	case p.Delay < 0 || p.Delay > 10*time.Second:
		return fmt.Errorf("--debug-delay %v: want 0..10s", p.Delay)
	}
	return nil
}

func (c Config) logger() zerolog.Logger {
	level, _ := zerolog.ParseLevel(c.LogLevel)
	zerolog.TimeFieldFormat = time.RFC3339Nano
	var l zerolog.Logger
	if c.LogFormat == "json" {
		l = zerolog.New(os.Stderr)
	} else {
		l = zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: "15:04:05.000"})
	}
	return l.Level(level).With().Timestamp().Logger()
}
