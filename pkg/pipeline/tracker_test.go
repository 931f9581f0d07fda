package pipeline_test

import (
	"math"
	"testing"

	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/landmarks"
	"github.com/livetryon/server/pkg/pipeline"
)

// landmarksOf runs a clip through one session, frame by frame, and returns
// each frame's faces.
// The frames are stamped 1/30 s apart, as a camera would take them.
func landmarksOf(t *testing.T, clip [][]byte, redetectEvery int, smooth bool) [][]landmarks.Face {
	t.Helper()
	e := newEngine(t, func(c *pipeline.Config) { c.Workers = 1; c.RedetectEvery = redetectEvery; c.NoSmoothing = !smooth })
	res := liveRun(t, e, clip)
	out := make([][]landmarks.Face, len(res))
	for i, r := range res {
		out[i] = r.Faces
	}
	return out
}

// TestTrackingMatchesDetection checks that landmarks tracked between
// detections stay where fresh detection on every frame puts them, on a
// moving clip.
func TestTrackingMatchesDetection(t *testing.T) {
	loop := testmedia.PanZoomClip(t, 30)
	clips := map[string][][]byte{
		"pan-zoom": testmedia.PanZoomClip(t, 60),
		// A clip that loops, as Chromium's fake camera does: the face jumps
		// back 40 px at once, which tracking alone would follow slowly.
		"looped": append(append([][]byte{}, loop...), loop...),
	}
	if shared := testmedia.SharedWebcamClip(3); shared != nil {
		clips["shared webcam"] = shared[:min(len(shared), 100)]
	}
	for name, clip := range clips {
		t.Run(name, func(t *testing.T) {
			fresh := landmarksOf(t, clip, 1, false)
			tracked := landmarksOf(t, clip, 5, false)
			var sum, worst float64
			n := 0
			for i := range clip {
				if len(fresh[i]) != 1 || len(tracked[i]) != 1 {
					t.Fatalf("frame %d: %d faces detected fresh, %d tracked", i, len(fresh[i]), len(tracked[i]))
				}
				a, b := fresh[i][0].Points, tracked[i][0].Points
				var d float64
				for k := range a {
					d += math.Hypot(float64(a[k].X-b[k].X), float64(a[k].Y-b[k].Y))
				}
				e := d / float64(len(a)) / a.InterOcular()
				sum += e
				worst = math.Max(worst, e)
				n++
			}
			mean := sum / float64(n)
			t.Logf("%d frames: tracked landmarks differ from fresh detection by %.2f%% of the inter-ocular distance on average, %.2f%% at worst", n, 100*mean, 100*worst)
			if mean > 0.03 || worst > 0.08 {
				t.Errorf("tracking drifts: mean %.2f%%, worst %.2f%%", 100*mean, 100*worst)
			}
		})
	}
}

// meanMove is the mean distance a landmark moves from one frame to the
// next, over all points and frames, in pixels.
func meanMove(faces [][]landmarks.Face) float64 {
	var sum float64
	n := 0
	for i := 1; i < len(faces); i++ {
		a, b := faces[i-1][0].Points, faces[i][0].Points
		for k := range a {
			sum += math.Hypot(float64(a[k].X-b[k].X), float64(a[k].Y-b[k].Y))
			n++
		}
	}
	return sum / float64(n)
}

// TestSmoothingStillsJitterWithoutLag: on a still face with camera noise the
// filter removes most of the frame-to-frame trembling; on a moving face it
// stays close to the unfiltered landmarks.
func TestSmoothingStillsJitterWithoutLag(t *testing.T) {
	still := testmedia.StillClip(t, 60)
	raw := landmarksOf(t, still, 5, false)
	smoothed := landmarksOf(t, still, 5, true)
	rawJitter, smoothJitter := meanMove(raw), meanMove(smoothed)
	t.Logf("still clip, 60 frames at 30 fps: landmark jitter %.3f px/frame raw, %.3f px/frame smoothed (x%.2f)", rawJitter, smoothJitter, smoothJitter/rawJitter)
	if rawJitter == 0 {
		t.Fatal("the still clip shows no jitter to remove; its noise is too weak")
	}
	if smoothJitter > 0.6*rawJitter {
		t.Errorf("smoothing left %.3f of %.3f px/frame of jitter", smoothJitter, rawJitter)
	}

	moving := testmedia.PanZoomClip(t, 60)
	rawMoving := landmarksOf(t, moving, 5, false)
	smoothMoving := landmarksOf(t, moving, 5, true)
	var lag float64
	for i := range moving {
		a, b := rawMoving[i][0].Points, smoothMoving[i][0].Points
		var d float64
		for k := range a {
			d += math.Hypot(float64(a[k].X-b[k].X), float64(a[k].Y-b[k].Y))
		}
		lag += d / float64(len(a)) / a.InterOcular()
	}
	lag /= float64(len(moving))
	t.Logf("moving clip: smoothed landmarks %.2f%% of the inter-ocular distance from the raw ones on average", 100*lag)
	if lag > 0.02 {
		t.Errorf("smoothing lags a moving face by %.2f%% of the inter-ocular distance", 100*lag)
	}
}

// poseMove is the mean change of the head pose from one frame to the next,
// in degrees, over yaw, pitch and roll.
func poseMove(t *testing.T, faces [][]landmarks.Face) float64 {
	t.Helper()
	var sum float64
	for i := 1; i < len(faces); i++ {
		a, b := faces[i-1][0].Pose, faces[i][0].Pose
		if a == nil || b == nil {
			t.Fatalf("frame %d: a face without a pose", i)
		}
		sum += (math.Abs(a.Yaw-b.Yaw) + math.Abs(a.Pitch-b.Pitch) + math.Abs(a.Roll-b.Roll)) / 3
	}
	return sum / float64(len(faces)-1)
}

// TestPoseSmoothedOnAStillFace: every face of a live session has a pose,
// and on a still face with camera noise the smoothed pose trembles far
// less than the raw one, so glasses drawn with it do not jitter.
func TestPoseSmoothedOnAStillFace(t *testing.T) {
	still := testmedia.StillClip(t, 60)
	raw, smoothed := poseMove(t, landmarksOf(t, still, 5, false)), poseMove(t, landmarksOf(t, still, 5, true))
	t.Logf("still clip: pose moves %.3f°/frame raw, %.3f°/frame smoothed", raw, smoothed)
	if raw == 0 {
		t.Fatal("the still clip's pose does not tremble at all; nothing to smooth")
	}
	if smoothed > 0.2*raw {
		t.Errorf("smoothing left %.3f of %.3f °/frame of pose jitter", smoothed, raw)
	}
}
