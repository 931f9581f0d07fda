// Command livetryon applies try-on effects to video files offline, with
// the server's own pipeline (pkg/video, pkg/pipeline):
//
//	livetryon process IN OUT [--effects lipstick,glasses:aviator] [--look evening] [flags]
//
// OUT is an H.264 MP4 (yuv420p, moov first) with each of IN's frames at
// its time (a variable frame rate kept), IN's rotation and sound. Progress
// shows as a bar in a terminal, with frames/s and the time left; when
// stderr is not a terminal (a log, a pipe) it is a plain line every few
// seconds instead, so logs get no carriage returns.
//
// Exit codes, for scripts:
//
//	0  done
//	1  the processing failed (ffmpeg, the model, the disk)
//	2  bad usage: flags, arguments, effects
//	3  IN was refused: not a video, damaged, or over the limits (the message says which)
//	130 interrupted (Ctrl-C)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/landmarks"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/video"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitRefused     = 3
	exitInterrupted = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: livetryon process IN OUT [flags]

Applies try-on effects to every frame of the video IN and writes OUT, an
H.264 MP4 with IN's frame times, rotation and sound.

Flags:
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "process" {
		fmt.Fprint(stderr, usage)
		new(options).flags(stderr).PrintDefaults()
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return exitOK
		}
		return exitUsage
	}
	var o options
	fs := o.flags(stderr)
	// Flags may come before or after the two paths.
	var paths []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		paths = append(paths, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(paths) != 2 {
		fmt.Fprintf(stderr, "livetryon process: want IN and OUT, got %d paths\n", len(paths))
		return exitUsage
	}
	in, out := paths[0], paths[1]
	// Checked before the probe and the model load, so a typo in OUT fails
	// at once with its own message rather than as a broken pipe from
	// ffmpeg after the bar has started.
	if err := checkWritable(out); err != nil {
		fmt.Fprintf(stderr, "livetryon: cannot write %s: %v\n", out, err)
		return exitUsage
	}
	if o.effects == "" && o.look == "" {
		o.effects = "lipstick"
	}
	fx, err := client.BuildEffectsParam(o.look, o.effects)
	if err != nil {
		fmt.Fprintf(stderr, "livetryon: --look %q --effects %q: %v\n", o.look, o.effects, err)
		return exitUsage
	}

	// A file of the user's own: slow motion and long clips are fine; the
	// pixel limit still bounds what a decoder allocates.
	lim := video.Limits{MaxSide: o.maxSide, MaxPixels: o.maxSide * o.maxSide, MaxDuration: o.maxDuration, MaxFPS: 1000, MaxFrames: 10_000_000}
	info, err := video.Probe(ctx, in, lim)
	var verr *video.Error
	switch {
	case ctx.Err() != nil:
		return exitInterrupted
	case errors.As(err, &verr):
		fmt.Fprintf(stderr, "livetryon: %s: %s (%s)\n", in, verr.Message, verr.Code)
		return exitRefused
	case err != nil:
		fmt.Fprintf(stderr, "livetryon: %v\n", err)
		return exitRefused
	}

	cfg := pipeline.DefaultConfig()
	cfg.ModelPath, cfg.Workers = o.model, o.workers
	// The limits of a client's frames do not apply to a local user's file.
	cfg.Limits.MaxSide, cfg.Limits.MaxPixels = max(cfg.Limits.MaxSide, o.maxSide), max(cfg.Limits.MaxPixels, o.maxSide*o.maxSide)
	engine, err := pipeline.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "livetryon: %v\n", err)
		return exitFailed
	}
	defer engine.Close(context.Background())

	report := newProgressReport(stderr, filepath.Base(in), info.Frames, o.quiet)
	// Written beside OUT and renamed at the end: OUT is never half a file.
	part := out + ".part.mp4"
	prog, err := video.Process(ctx, engine, in, info, part, video.Options{
		ID: "cli", Effects: fx, Preset: o.preset, CRF: o.crf, Limits: lim,
		Progress: report.update,
	})
	if err == nil {
		err = os.Rename(part, out)
	}
	if err != nil {
		os.Remove(part)
		report.abort()
		switch {
		case ctx.Err() != nil:
			fmt.Fprintln(stderr, "livetryon: interrupted")
			return exitInterrupted
		case errors.As(err, &verr):
			fmt.Fprintf(stderr, "livetryon: %s: %s (%s)\n", in, verr.Message, verr.Code)
			return exitRefused
		default:
			fmt.Fprintf(stderr, "livetryon: %v\n", err)
			return exitFailed
		}
	}
	report.finish(prog)
	fmt.Fprintf(stdout, "%s: %d frames in %.1f s, %.0f frames/s\n", out, prog.Done, prog.Elapsed.Seconds(), prog.FPS())
	return exitOK
}

// options are the flags' values, one set per run.
type options struct {
	effects     string
	look        string
	model       string
	workers     int
	preset      string
	crf         int
	maxSide     int
	maxDuration time.Duration
	quiet       bool
}

func (o *options) flags(out io.Writer) *flag.FlagSet {
	def := pipeline.DefaultConfig()
	fs := flag.NewFlagSet("livetryon process", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.effects, "effects", "", "the effects, as the server's effects parameter: a shorthand such as lipstick:#b0123a:gloss,glasses:aviator, or a JSON list (default lipstick; with --look, changes to the look)")
	fs.StringVar(&o.look, "look", "", "a built-in look: "+strings.Join(effects.LookNames(), ", ")+"; --effects then changes it, field by field")
	fs.StringVar(&o.model, "model", landmarks.DefaultModelPath, "dlib 68-point shape predictor (Debian package libdlib-data)")
	fs.IntVar(&o.workers, "workers", def.Workers, "frames processed in parallel (default: the number of CPUs)")
	fs.StringVar(&o.preset, "preset", "veryfast", "x264's speed preset: ultrafast … veryslow (slower: smaller files)")
	fs.IntVar(&o.crf, "crf", 20, "x264's quality, 0 (lossless) … 51 (worst)")
	fs.IntVar(&o.maxSide, "max-side", 4096, "refuse videos wider or taller than this")
	fs.DurationVar(&o.maxDuration, "max-duration", 24*time.Hour, "refuse videos longer than this")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress")
	return fs
}

// checkWritable reports whether a file can be made beside path: its
// folder exists, is a folder, and takes a new file.
func checkWritable(path string) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return fmt.Errorf("the folder %s does not exist", dir)
		}
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a folder", path)
	}
	f, err := os.CreateTemp(dir, ".livetryon-check-*")
	if err != nil {
		return fmt.Errorf("the folder %s takes no new file: %w", dir, errors.Unwrap(err))
	}
	f.Close()
	return os.Remove(f.Name())
}
