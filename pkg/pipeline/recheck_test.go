package pipeline_test

import (
	"image"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/pkg/pipeline"
)

// faceCovered is the 640x480 portrait with the face's box (and a tenth
// more on each side) blended towards flat gray by alpha: the face goes
// away while every pixel outside its surroundings stays as it was.
func faceCovered(t testing.TB, face image.Rectangle, alpha float64) []byte {
	t.Helper()
	src, err := cvjpeg.Decode(portraitAt(t, 640, 480, true))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if alpha > 0 {
		m := face.Dx() / 10
		r := image.Rect(face.Min.X-m, face.Min.Y-m, face.Max.X+m, face.Max.Y+m).Intersect(image.Rect(0, 0, 640, 480))
		region := src.Region(r)
		gray := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(128, 128, 128, 0), r.Dy(), r.Dx(), gocv.MatTypeCV8UC3)
		gocv.AddWeighted(gray, alpha, region, 1-alpha, 0, &region)
		gray.Close()
		region.Close()
	}
	jpg, err := cvjpeg.EncodeBytes(src, cvjpeg.Options{Quality: 90})
	if err != nil {
		t.Fatal(err)
	}
	return jpg
}

// TestRecheckDropsAFaceThatLeft: on a still picture the periodic
// re-detections are rechecks around the tracked face (recheck.go). The
// face then fades to gray over 8 frames, too gradually for a scene change,
// and only inside its own surroundings, so nothing outside them changes
// and no whole-frame search is called for (none runs: asserted). The
// recheck alone must drop it:
// within RedetectEvery frames (+2 on a busy machine) of the first frame on
// which a detection on every frame no longer finds it, and no frame after
// carries its landmarks.
func TestRecheckDropsAFaceThatLeft(t *testing.T) {
	fresh := newEngine(t, func(c *pipeline.Config) { c.RedetectEvery = 1 })
	first := liveRun(t, fresh, [][]byte{portraitAt(t, 640, 480, true)})
	if len(first[0].Faces) != 1 {
		t.Fatalf("the portrait: %d faces, want 1", len(first[0].Faces))
	}
	face := first[0].Faces[0].Box
	// 28 frames at 30 fps: under wholeSearchMaxQuiet, so no whole-frame
	// search is due by time either.
	const still, fade, after = 10, 8, 10
	frames := make([][]byte, still+fade+after)
	for i := range frames {
		frames[i] = faceCovered(t, face, min(1, max(0, float64(i-still+1)/fade)))
	}
	gone := firstWithFaces(facesPerFrame(liveRun(t, fresh, frames)), 0)
	if gone < 0 {
		t.Fatal("a detection on every frame still finds the covered face")
	}
	e := newEngine(t, nil)
	found := facesPerFrame(pacedRun(t, e, frames, time.Second/30))
	dropped := firstWithFaces(found, 0)
	st := e.Stats()
	t.Logf("faces per frame %v; gone for the detector from frame %d, dropped at %d; %d rechecks, %d whole-frame searches beside the answers, %d on them",
		found, gone+1, dropped+1, st.Rechecks, st.BackgroundDetections, st.Detections)
	for i, n := range found[:still] {
		if n != 1 {
			t.Fatalf("frame %d: %d faces on the still picture", i+1, n)
		}
	}
	if st.Rechecks == 0 {
		t.Fatal("no recheck ran on a still picture")
	}
	if st.BackgroundDetections != 0 {
		t.Fatalf("%d whole-frame searches beside the answers: nothing outside the face changed, so only rechecks should run", st.BackgroundDetections)
	}
	every := pipeline.DefaultConfig().RedetectEvery
	if dropped < 0 || dropped-gone > every+2 {
		t.Fatalf("the covered face was dropped at frame %d, %d frames after the detector lost it; the bound is %d (+2)", dropped+1, dropped-gone, every)
	}
	for i := dropped; i < len(found); i++ {
		if found[i] != 0 {
			t.Errorf("frame %d: %d faces after the face was dropped", i+1, found[i])
		}
	}
}

// TestStillPictureSkipsRechecks: the same frame over and over is tracked on
// every frame, and the rechecks due on it are skipped (the detector would
// see the picture it saw); the whole-frame search still runs, at least
// once a second.
func TestStillPictureSkipsRechecks(t *testing.T) {
	frame := portraitAt(t, 640, 480, true)
	frames := make([][]byte, 45) // 1.5 s at 30 fps
	for i := range frames {
		frames[i] = frame
	}
	e := newEngine(t, nil)
	found := facesPerFrame(pacedRun(t, e, frames, time.Second/30))
	st := e.Stats()
	t.Logf("faces per frame %v; %d rechecks, %d skipped, %d whole-frame searches beside the answers, %d on them",
		found, st.Rechecks, st.RechecksSkipped, st.BackgroundDetections, st.Detections)
	for i, n := range found {
		if n != 1 {
			t.Fatalf("frame %d: %d faces on the still picture", i+1, n)
		}
	}
	if st.RechecksSkipped == 0 {
		t.Fatal("no recheck was skipped on a still picture")
	}
	if st.Rechecks != 0 {
		t.Errorf("%d rechecks ran on a still picture", st.Rechecks)
	}
	if st.BackgroundDetections == 0 {
		t.Error("no whole-frame search in 1.5 s of tracking")
	}
}
