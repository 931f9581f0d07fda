package pipeline_test

import (
	"image"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/testvideo"
	"github.com/livetryon/server/pkg/landmarks"
	"github.com/livetryon/server/pkg/pipeline"
)

// shotRun is what one session made of one shot of the multi-face clip.
type shotRun struct {
	firstFound int // frame of the shot the first face was found on; -1: none
	detections uint64
	detect     time.Duration // time spent detecting, summed
	faces      [][]landmarks.Face
}

// runMultiFaceClip sends the multi-face clip's frames, uncompressed, to a
// new session one at a time, each when the previous one is answered, and
// sums per shot.
func runMultiFaceClip(t *testing.T, e *pipeline.Engine, batch bool) []shotRun {
	t.Helper()
	c := newCollector()
	opts := pipeline.SessionOptions{ID: t.Name(), Output: pipeline.OutputLandmarks, Batch: batch}
	if batch {
		opts.Queue = pipeline.Ordered
	}
	s := e.NewSession(opts, c)
	defer s.Close()
	runs := make([]shotRun, len(testvideo.MultiFaceShots))
	for k := range runs {
		runs[k].firstFound = -1
	}
	start := time.Unix(1e9, 0)
	img := gocv.NewMat()
	defer img.Close()
	for i := range testvideo.MultiFaceFrames() {
		testvideo.MultiFaceFrame(t, i, &img)
		pic := img.Clone()
		before := e.Stats().Detections
		if err := s.Submit(ctx, pipeline.Input{Image: &pic, Captured: start.Add(time.Duration(i) * time.Second / testvideo.MultiFaceFPS)}); err != nil {
			t.Fatal(err)
		}
		c.wait(t, 1)
		res, _ := c.results()
		r := res[len(res)-1]
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		k, j := testvideo.MultiFaceShotAt(i)
		run := &runs[k]
		run.faces = append(run.faces, r.Faces)
		run.detections += e.Stats().Detections - before
		run.detect += r.Timings.Detect
		if len(r.Faces) > 0 && run.firstFound < 0 {
			run.firstFound = j
		}
	}
	return runs
}

// photoFaces are the faces the photo API finds on frame i of the clip.
func photoFaces(t *testing.T, e *pipeline.Engine, i int) []landmarks.Face {
	t.Helper()
	img := gocv.NewMat()
	defer img.Close()
	testvideo.MultiFaceFrame(t, i, &img)
	jpg, err := cvjpeg.EncodeBytes(img, cvjpeg.Options{Quality: 95})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := e.Process(ctx, pipeline.Input{JPEG: jpg}, pipeline.PhotoOptions{Output: pipeline.OutputLandmarks})
	if err != nil || ref.Err != nil {
		t.Fatalf("photo API: %v %v", err, ref.Err)
	}
	ref.Release()
	return ref.Faces
}

// overlaps says whether some face of faces has a box overlapping b by at
// least a third (intersection over union).
func overlaps(faces []landmarks.Face, b image.Rectangle) bool {
	for _, f := range faces {
		in := f.Box.Intersect(b)
		if in.Empty() {
			continue
		}
		i := float64(in.Dx() * in.Dy())
		if i/(float64(f.Box.Dx()*f.Box.Dy()+b.Dx()*b.Dy())-i) >= 1.0/3 {
			return true
		}
	}
	return false
}

// On the multi-face clip, as a video file's session and as a live
// camera's: every face the photo API finds, at least an eighth of the
// frame wide (the smallest the server promises) and wholly in the
// picture, is found by SearchLagAfterCut frames after the cut that brought
// it, and still there in the middle of the shot; the small face (under an
// eighth) is found as soon too; the empty scenes show no face, and cost
// the budgeted searches only, fewer still when seen again.
func TestSearchOnMultiFaceClip(t *testing.T) {
	e := newEngine(t, nil)
	minFace := int(e.Config().MinFace * testvideo.MultiFaceWidth)
	frame := image.Rect(0, 0, testvideo.MultiFaceWidth, testvideo.MultiFaceHeight).Inset(2)
	first := 0
	var firsts []int
	for _, s := range testvideo.MultiFaceShots {
		firsts = append(firsts, first)
		first += s.Frames
	}
	for _, batch := range []bool{true, false} {
		name := "live"
		if batch {
			name = "video"
		}
		t.Run(name, func(t *testing.T) {
			runs := runMultiFaceClip(t, e, batch)
			for k, shot := range testvideo.MultiFaceShots {
				run := runs[k]
				t.Logf("%-16s %3d frames: first face on frame %2d, %2d detections, %5.1f ms detecting",
					shot.Name, shot.Frames, run.firstFound, run.detections, float64(run.detect.Microseconds())/1000)
				for _, j := range []int{pipeline.SearchLagAfterCut, shot.Frames / 2} {
					for _, f := range photoFaces(t, e, firsts[k]+j) {
						if f.Box.Dx() >= minFace && f.Box.In(frame) && !overlaps(run.faces[j], f.Box) {
							t.Errorf("%s, frame %d: the photo API's face %v is not among the session's %d", shot.Name, j, f.Box, len(run.faces[j]))
						}
					}
				}
			}
			shot := func(name string) shotRun {
				for k, s := range testvideo.MultiFaceShots {
					if s.Name == name {
						return runs[k]
					}
				}
				t.Fatalf("no shot %q", name)
				return shotRun{}
			}
			if r := shot("small and turned"); r.firstFound < 0 || r.firstFound > pipeline.SearchLagAfterCut {
				t.Errorf("the small face was found on frame %d of its shot, want by %d", r.firstFound, pipeline.SearchLagAfterCut)
			}
			for _, name := range []string{"dogs", "dogs again"} {
				r := shot(name)
				if r.firstFound >= 0 {
					t.Errorf("%s: a face on frame %d of a scene with none", name, r.firstFound)
				}
				if n := uint64(len(r.faces)); r.detections >= n/2 {
					t.Errorf("%s: %d detections in %d frames with no face; the search has a budget", name, r.detections, n)
				}
			}
			if a, b := shot("dogs again"), shot("dogs"); a.detections*uint64(len(b.faces)) >= b.detections*uint64(len(a.faces)) {
				t.Errorf("the known-empty scene seen again: %d detections in %d frames; the first time %d in %d",
					a.detections, len(a.faces), b.detections, len(b.faces))
			}
		})
	}
}
