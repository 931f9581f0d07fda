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
func landmarksOf(t *testing.T, clip [][]byte, redetectEvery int) [][]landmarks.Face {
	t.Helper()
	e := newEngine(t, func(c *pipeline.Config) { c.Workers = 1; c.RedetectEvery = redetectEvery })
	c := newCollector()
	s := e.NewSession("t", c.deliver)
	defer s.Close()
	for _, f := range clip {
		s.Submit(pipeline.Input{JPEG: f, NoImage: true})
		c.wait(t, 1)
	}
	res, _ := c.results()
	out := make([][]landmarks.Face, len(res))
	for i, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		out[i] = r.Faces
	}
	return out
}

// TestTrackingMatchesDetection checks that landmarks tracked between
// detections stay where fresh detection on every frame puts them, on a
// moving clip.
func TestTrackingMatchesDetection(t *testing.T) {
	clips := map[string][][]byte{"pan-zoom": testmedia.PanZoomClip(t, 60)}
	if shared := testmedia.SharedWebcamClip(3); shared != nil {
		clips["shared webcam"] = shared[:min(len(shared), 100)]
	}
	for name, clip := range clips {
		t.Run(name, func(t *testing.T) {
			fresh := landmarksOf(t, clip, 1)
			tracked := landmarksOf(t, clip, 5)
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
