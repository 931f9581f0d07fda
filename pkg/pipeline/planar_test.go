package pipeline_test

import (
	"fmt"
	"image"
	"testing"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/pipeline"
)

// A live 4:2:0 frame goes through the pipeline as its planes, BGR only
// where the effects draw (cvjpeg.Planes). Where they draw, its answer is
// the whole frame's planes made BGR, drawn on with the same effects on the
// same faces and the same FPS, and made planes again; elsewhere it is the
// client's planes as they came, not even rounded through BGR. And it is
// close to the answer of the BGR path (libjpeg's decode to BGR and encode
// from it), which smooths the chroma once more and clamps it to BGR's
// colours everywhere.
func TestPlanarFrameIsTheBGRFrame(t *testing.T) {
	look, ok := effects.LookByName("bold")
	if !ok {
		t.Fatal("no look bold")
	}
	specs := append(look.Effects, effects.Spec{Name: "glasses", Style: "aviator"})
	fx, err := effects.Build("effects", specs)
	if err != nil {
		t.Fatal(err)
	}
	var pfx []pipeline.Effect
	for _, e := range fx {
		pfx = append(pfx, e)
	}
	e := newEngine(t, nil)
	for _, size := range []image.Point{{640, 480}, {1280, 720}} {
		t.Run(fmt.Sprintf("%dx%d", size.X, size.Y), func(t *testing.T) {
			in := testmedia.PortraitAt(t, size.X, size.Y)
			c := newCollector()
			s := e.NewSession(pipeline.SessionOptions{ID: "planar", Effects: pfx}, c)
			defer s.Close()
			s.Submit(ctx, pipeline.Input{JPEG: in})
			c.wait(t, 1)
			res, jpgs := c.results()
			r := res[0]
			if r.Err != nil || len(r.Faces) != 1 {
				t.Fatalf("err %v, %d faces", r.Err, len(r.Faces))
			}
			got, err := cvjpeg.Decode(jpgs[0])
			if err != nil {
				t.Fatal(err)
			}
			defer got.Close()

			want, err := cvjpeg.Decode(in)
			if err != nil {
				t.Fatal(err)
			}
			defer want.Close()
			orig := want.Clone()
			defer orig.Close()
			for _, e := range fx {
				e.Apply(&want, r.Faces)
			}
			effects.DrawFPS(&want, r.FPS)
			wantJPEG, err := cvjpeg.EncodeBytes(want, cvjpeg.Options{Quality: pipeline.DefaultConfig().JPEGQuality})
			if err != nil {
				t.Fatal(err)
			}
			want.Close()
			if want, err = cvjpeg.Decode(wantJPEG); err != nil {
				t.Fatal(err)
			}

			// The whole frame through its planes.
			var planes cvjpeg.Planes
			defer planes.Close()
			if err := cvjpeg.DecodePlanes(in, &planes); err != nil {
				t.Fatal(err)
			}
			whole := image.Rectangle{Max: size}
			all := gocv.NewMatWithSize(size.Y, size.X, gocv.MatTypeCV8UC3)
			defer all.Close()
			if err := planes.ToBGR(&all, whole); err != nil {
				t.Fatal(err)
			}
			for _, e := range fx {
				e.Apply(&all, r.Faces)
			}
			effects.DrawFPS(&all, r.FPS)
			if err := planes.FromBGR(all, whole); err != nil {
				t.Fatal(err)
			}
			viaPlanes := answerOf(t, &planes)
			defer viaPlanes.Close()

			// The client's planes, encoded as they came.
			var clients cvjpeg.Planes
			defer clients.Close()
			if err := cvjpeg.DecodePlanes(in, &clients); err != nil {
				t.Fatal(err)
			}
			untouched := answerOf(t, &clients)
			defer untouched.Close()

			stamp := effects.FPSArea(size, r.FPS)
			corner := image.Rect(size.X-64, size.Y-64, size.X, size.Y) // far from the face
			for name, region := range map[string]image.Rectangle{"face": r.Faces[0].Box, "FPS stamp": stamp, "corner": corner} {
				g, w, o := got.Region(region), want.Region(region), orig.Region(region)
				ref := viaPlanes.Region(region)
				if name == "corner" {
					ref.Close()
					ref = untouched.Region(region)
				}
				dRef, dBGR, drawn := meanDiff(g, ref), meanDiff(g, w), meanDiff(w, o)
				g.Close()
				w.Close()
				o.Close()
				ref.Close()
				t.Logf("%s: %.3f levels from its reference, %.2f from the BGR path's answer; the effects changed it by %.2f",
					name, dRef, dBGR, drawn)
				if dRef > 0.01 {
					t.Errorf("%s: %.3f levels from its reference", name, dRef)
				}
				if dBGR > 2.5 {
					t.Errorf("%s: %.2f levels from the BGR path's answer", name, dBGR)
				}
				if name != "corner" && drawn < 5 {
					t.Errorf("%s: the effects changed it by only %.2f levels", name, drawn)
				}
			}
		})
	}
}

// answerOf is planes encoded at the pipeline's default quality, and
// decoded to BGR as a client would see them.
func answerOf(t *testing.T, planes *cvjpeg.Planes) gocv.Mat {
	t.Helper()
	buf, err := cvjpeg.EncodePlanes(planes, cvjpeg.Options{Quality: pipeline.DefaultConfig().JPEGQuality})
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Close()
	m, err := cvjpeg.Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// meanDiff is the mean absolute difference of two BGR Mats, per channel.
func meanDiff(a, b gocv.Mat) float64 {
	d := gocv.NewMat()
	defer d.Close()
	gocv.AbsDiff(a, b, &d)
	m := d.Mean()
	return (m.Val1 + m.Val2 + m.Val3) / 3
}
