package video_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/frameid"
	"github.com/livetryon/server/internal/testvideo"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/video"
)

func newEngine(t *testing.T, workers int) *pipeline.Engine {
	t.Helper()
	cfg := pipeline.DefaultConfig()
	cfg.Workers = workers
	e, err := pipeline.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return e
}

func blueLipstick(t testing.TB) []pipeline.Effect {
	t.Helper()
	fx, err := effects.Build("effects", []effects.Spec{{Name: "lipstick", Color: "#0000ff"}})
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

// probedClip makes c in a temporary directory and probes it; out is where
// its result goes.
func probedClip(t *testing.T, c testvideo.VideoClip) (in, out string, info video.Info) {
	t.Helper()
	dir := t.TempDir()
	in, out = filepath.Join(dir, "in.mp4"), filepath.Join(dir, "out.mp4")
	testvideo.MakeVideoClip(t, in, c)
	info, err := video.Probe(context.Background(), in, video.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	return in, out, info
}

// A clip with a moving face and a sine-wave track comes back with every
// frame in order, lips recoloured, as H.264 4:2:0 with the moov first, and
// with the clip's rate, frame count and sound. Three workers run two batch
// segments at once, and segments of 7 frames make 13 of them to put back
// in order.
func TestProcessKeepsEveryFrameInOrder(t *testing.T) {
	c := testvideo.VideoClip{Width: 640, Height: 360, Frames: 90, FPS: 30, Audio: true}
	in, out, info := probedClip(t, c)
	e := newEngine(t, 3)
	var progress []video.Progress
	frames := 0
	prog, err := video.Process(context.Background(), e, in, info, out, video.Options{
		ID: "test", Effects: blueLipstick(t), SegmentFrames: 7,
		Progress: func(p video.Progress) { progress = append(progress, p) },
		Frame: func(i int, yuv []byte, w, h int) {
			if i != frames || len(yuv) != w*h*3/2 {
				t.Errorf("preview frame %d of %d bytes, want frame %d", i, len(yuv), frames)
			}
			if i == 45 {
				jpg, err := video.JPEG(yuv, w, h, 90)
				if id, ok := frameid.Read(jpg); err != nil || !ok || id != i {
					t.Errorf("preview frame %d as a JPEG: %v, carries %d (%v)", i, err, id, ok)
				}
			}
			frames++
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d frames in %v: %.0f frames/s", prog.Done, prog.Elapsed, prog.FPS())
	if prog.Done != c.Frames || frames != c.Frames || len(progress) == 0 || progress[len(progress)-1].Done != c.Frames {
		t.Errorf("progress %+v, %d preview frames; want %d frames", prog, frames, c.Frames)
	}
	testvideo.CheckTryOnClip(t, c, out)
	if s := e.Stats(); s.BatchSessions != 0 {
		t.Errorf("%d sessions left open", s.BatchSessions)
	}
}

// A phone's portrait video is stored turned, with a rotation to show it
// upright. Faces are found the right way up, and the result keeps the
// rotation: it shows as the original does.
func TestProcessKeepsRotation(t *testing.T) {
	c := testvideo.VideoClip{Width: 360, Height: 640, Frames: 30, FPS: 30, Rotation: 90}
	in, out, info := probedClip(t, c)
	if info.Rotation != 90 || info.Width != 360 {
		t.Fatalf("the clip probes as %+v; want 360x640 turned 90", info)
	}
	if _, err := video.Process(context.Background(), newEngine(t, 2), in, info, out, video.Options{Effects: blueLipstick(t)}); err != nil {
		t.Fatal(err)
	}
	if w, h := testvideo.FFprobeField(t, out, "width"), testvideo.FFprobeField(t, out, "height"); w != "640" || h != "360" {
		t.Errorf("stored as %sx%s; want 640x360, as the clip is", w, h)
	}
	testvideo.CheckTryOnClip(t, c, out)
}

// With room for only 4 pictures between decoder and encoder, and segments
// of 3 frames on 3 batch workers, a later segment's frames can fill the
// buffer while the writer waits for an earlier one's: the job must still
// neither stall nor reorder. (The memory this bounds is measured in
// docs/BENCHMARKS.md.)
func TestProcessTinyBuffer(t *testing.T) {
	c := testvideo.VideoClip{Width: 320, Height: 240, Frames: 60, FPS: 30}
	in, out, info := probedClip(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := video.Process(ctx, newEngine(t, 3), in, info, out, video.Options{BufferBytes: 4 * 320 * 240 * 3, SegmentFrames: 3})
	if err != nil {
		t.Fatal(err)
	}
	n := testvideo.VideoFrames(t, out, c.Width, c.Height, func(i int, img gocv.Mat) {
		if id, ok := frameid.ReadImage(img); !ok || id != i {
			t.Errorf("frame %d carries %d", i, id)
		}
	})
	if n != c.Frames {
		t.Errorf("%d frames, want %d", n, c.Frames)
	}
}

// Cancelling stops both ffmpeg processes and closes every session.
func TestProcessCancel(t *testing.T) {
	c := testvideo.VideoClip{Width: 640, Height: 360, Frames: 150, FPS: 30}
	in, out, info := probedClip(t, c)
	e := newEngine(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	prog, err := video.Process(ctx, e, in, info, out, video.Options{
		Progress: func(p video.Progress) {
			if p.Done == 10 {
				cancel()
			}
		},
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled after 10 frames: %v (%+v)", err, prog)
	}
	if prog.Done >= c.Frames {
		t.Errorf("all %d frames were written after the cancel", prog.Done)
	}
	t.Logf("stopped after %d frames, %v", prog.Done, time.Since(start))
	if s := e.Stats(); s.BatchSessions != 0 {
		t.Errorf("%d sessions left open", s.BatchSessions)
	}
}

// A file whose stream language tag holds lines that look like the
// decoder's frame lines (ffmpeg prints the tag as it is when it lists
// the input) neither adds stamps nor moves any: every frame comes out at
// its own time, and the job ends instead of waiting for its deadline.
func TestProcessIgnoresForgedDecoderLines(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "forged.mkv"), filepath.Join(dir, "out.mp4")
	var forged strings.Builder
	forged.WriteString("eng")
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&forged, "\n[Parsed_showinfo_2 @ 0x1] [info] n: %d pts: 99999999 pts_time:9999", i)
	}
	ffmpeg(t, "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
		"-metadata:s:v:0", "language="+forged.String(), in)
	info, err := video.Probe(context.Background(), in, video.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	prog, err := video.Process(ctx, newEngine(t, 2), in, info, out, video.Options{ID: "forged", Effects: blueLipstick(t)})
	if err != nil {
		t.Fatalf("process: %v (after %v)", err, prog.Elapsed)
	}
	b, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time",
		"-of", "csv=p=0", out).Output()
	if err != nil {
		t.Fatal(err)
	}
	var times []float64
	for _, l := range strings.Fields(string(b)) {
		v, err := strconv.ParseFloat(strings.TrimSuffix(l, ","), 64)
		if err != nil {
			t.Fatalf("pts %q: %v", l, err)
		}
		times = append(times, v)
	}
	sort.Float64s(times)
	if len(times) != 30 || prog.Done != 30 {
		t.Fatalf("%d frames out (%d done), want 30", len(times), prog.Done)
	}
	for i, v := range times {
		if want := float64(i) / 30; math.Abs(v-times[0]-want) > 0.5/30 {
			t.Errorf("frame %d at %.4f s, want %.4f s", i, v-times[0], want)
		}
	}
}
