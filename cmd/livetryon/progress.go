package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/livetryon/server/pkg/video"
)

// logEvery is how often a plain progress line is written when stderr is
// not a terminal.
const logEvery = 5 * time.Second

// progressReport shows video.Process's progress: a bar on a terminal, a
// plain line every logEvery otherwise. The rate and the time left are
// video.Progress's own (frames written over the time since Process
// started), not the bar's: the bar's clock starts at its first update, so
// its first rate was the frames of a whole segment over a few
// microseconds (22,226 frames/s was seen).
type progressReport struct {
	w     io.Writer
	name  string
	quiet bool
	bar   *progressbar.ProgressBar // nil when stderr is not a terminal

	mu      sync.Mutex
	last    video.Progress
	written time.Time // of the last plain line
}

func newProgressReport(w io.Writer, name string, frames int, quiet bool) *progressReport {
	// The first plain line comes after logEvery, not at the first frame,
	// whose rate counts ffmpeg's and the detector's start-up.
	r := &progressReport{w: w, name: name, quiet: quiet, written: time.Now()}
	if quiet || !isTerminal(w) {
		return r
	}
	r.bar = progressbar.NewOptions(frames,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(name),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionFullWidth(),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
	return r
}

// isTerminal reports whether w is a character device, as a terminal is.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// rate describes p's speed and time left, or says it is starting.
func rate(p video.Progress) string {
	if p.Done == 0 || p.Elapsed < 200*time.Millisecond {
		return "starting"
	}
	return fmt.Sprintf("%.0f frames/s, %s left", p.FPS(), p.Left().Round(time.Second))
}

func (r *progressReport) update(p video.Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last = p
	if r.quiet {
		return
	}
	if r.bar != nil {
		if p.Total != r.bar.GetMax() {
			r.bar.ChangeMax(p.Total)
		}
		r.bar.Describe(r.name + " " + rate(p))
		r.bar.Set(p.Done)
		return
	}
	if now := time.Now(); now.Sub(r.written) >= logEvery {
		r.written = now
		fmt.Fprintf(r.w, "%s: %d/%d frames, %s\n", r.name, p.Done, p.Total, rate(p))
	}
}

// finish closes the bar, or writes the last plain line.
func (r *progressReport) finish(p video.Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.quiet:
	case r.bar != nil:
		r.bar.Describe(r.name + fmt.Sprintf(" %.0f frames/s", p.FPS()))
		r.bar.Finish()
	default:
		fmt.Fprintf(r.w, "%s: %d/%d frames, done in %.1f s, %.0f frames/s\n", r.name, p.Done, p.Done, p.Elapsed.Seconds(), p.FPS())
	}
}

// abort ends the bar's line so that an error message starts on its own.
func (r *progressReport) abort() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bar != nil {
		r.bar.Exit()
		fmt.Fprintln(r.w)
	}
}
