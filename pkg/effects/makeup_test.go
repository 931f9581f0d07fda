package effects_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/landmarks"
)

// webcamFace is a frame of the shared webcam clip (640x480, the face about
// 200 px wide, as a laptop camera sees it), with its face found by the real
// detector and model.
func webcamFace(t testing.TB) (gocv.Mat, []landmarks.Face) {
	t.Helper()
	jpg, err := os.ReadFile(testmedia.Path("webcam-face-640x480.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	faces := testmedia.Faces(t, jpg)
	if len(faces) != 1 {
		t.Fatalf("want one face, got %d", len(faces))
	}
	img, err := cvjpeg.Decode(jpg)
	if err != nil {
		t.Fatal(err)
	}
	return img, faces
}

// testFace is a real face to put makeup on, with its landmarks from the
// real detector and model.
type testFace struct {
	name string
	img  gocv.Mat
	face landmarks.Face
}

// makeupFaces are the faces the region tests run on: the two portraits in
// testdata/ and every face of the VOC photos in ../shared/media/faces with
// eyes at least minIOD pixels apart (smaller ones leave an eyeliner of a
// pixel, too few to measure).
func makeupFaces(t *testing.T) []testFace {
	t.Helper()
	const minIOD = 30
	var out []testFace
	add := func(name string, jpg []byte, up int) {
		img, err := cvjpeg.Decode(jpg)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for i, f := range testmedia.FacesUpsampled(t, jpg, up) {
			if f.Points.InterOcular() < minIOD || !faceArea(f).In(image.Rect(0, 0, img.Cols(), img.Rows())) {
				continue
			}
			n++
			out = append(out, testFace{fmt.Sprintf("%s#%d", name, i), img.Clone(), f})
		}
		img.Close()
	}
	for _, name := range []string{"obama-480p.jpg", "webcam-face-640x480.jpg"} {
		jpg, err := os.ReadFile(testmedia.Path(name))
		if err != nil {
			t.Fatal(err)
		}
		add(name, jpg, 0)
	}
	photos, _ := filepath.Glob(testmedia.RepoPath("../shared/media/faces/*.jpg"))
	if len(photos) == 0 {
		photos, _ = filepath.Glob(testmedia.Path("faces/*.jpg"))
	}
	for _, p := range photos {
		jpg, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		add(filepath.Base(p), jpg, 1)
	}
	t.Cleanup(func() {
		for _, f := range out {
			f.img.Close()
		}
	})
	if len(out) < 4 {
		t.Fatalf("only %d faces to test on", len(out))
	}
	return out
}

// Regions of a face for measuring, drawn from the same 68 points as the
// effects but independently of their code.

func pts(s *landmarks.Shape, idx ...int) []image.Point {
	out := make([]image.Point, len(idx))
	for i, k := range idx {
		out[i] = s[k]
	}
	return out
}

// up is the face's upward unit vector, perpendicular to the eye line.
func up(s *landmarks.Shape) (float64, float64) {
	dx, dy := float64(s[45].X-s[36].X), float64(s[45].Y-s[36].Y)
	n := math.Hypot(dx, dy)
	return dy / n, -dx / n
}

func shift(p image.Point, ux, uy, d float64) image.Point {
	return image.Pt(p.X+int(math.Round(ux*d)), p.Y+int(math.Round(uy*d)))
}

// lidBand is the strip from the upper lid up by frac of the eye's width.
func lidBand(s *landmarks.Shape, right bool, frac float64) []image.Point {
	lid := pts(s, 36, 37, 38, 39)
	if !right {
		lid = pts(s, 42, 43, 44, 45)
	}
	w := math.Hypot(float64(lid[3].X-lid[0].X), float64(lid[3].Y-lid[0].Y))
	ux, uy := up(s)
	poly := append([]image.Point{}, lid...)
	for i := len(lid) - 1; i >= 0; i-- {
		poly = append(poly, shift(lid[i], ux, uy, frac*w))
	}
	return poly
}

// lidToBrow is the lid from the upper eye contour halfway to the brow.
func lidToBrow(s *landmarks.Shape, right bool) []image.Point {
	lid, brow := pts(s, 36, 37, 38, 39), pts(s, 21, 20, 19, 18, 17)
	if !right {
		lid, brow = pts(s, 42, 43, 44, 45), pts(s, 26, 25, 24, 23, 22)
	}
	poly := append([]image.Point{}, lid...)
	for i := range brow {
		l := lid[min(len(lid)-1, (len(brow)-1-i)*len(lid)/len(brow))]
		poly = append(poly, image.Pt((brow[i].X+l.X)/2, (brow[i].Y+l.Y)/2))
	}
	return poly
}

func browBand(s *landmarks.Shape, right bool) []image.Point {
	brow := pts(s, 17, 18, 19, 20, 21)
	if !right {
		brow = pts(s, 22, 23, 24, 25, 26)
	}
	ux, uy := up(s)
	iod := s.InterOcular()
	poly := []image.Point{}
	for _, p := range brow {
		poly = append(poly, shift(p, ux, uy, -0.02*iod))
	}
	for i := len(brow) - 1; i >= 0; i-- {
		poly = append(poly, shift(brow[i], ux, uy, -0.16*iod))
	}
	return poly
}

func cheek(s *landmarks.Shape, right bool) []image.Point {
	if right {
		return pts(s, 1, 2, 3, 4, 48, 31, 40, 41, 36)
	}
	return pts(s, 15, 14, 13, 12, 54, 35, 47, 46, 45)
}

func hull(s *landmarks.Shape) []image.Point {
	pv := gocv.NewPointVectorFromPoints(s[:])
	defer pv.Close()
	h := gocv.NewMat()
	defer h.Close()
	gocv.ConvexHull(pv, &h, true, false)
	var out []image.Point
	for i := 0; i < h.Rows(); i++ {
		out = append(out, s[h.GetIntAt(i, 0)])
	}
	return out
}

// regionMask fills polys into a frame-sized mask, grown (or shrunk, if
// negative) by grow pixels.
func regionMask(img gocv.Mat, grow int, polys ...[]image.Point) gocv.Mat {
	m := gocv.NewMatWithSize(img.Rows(), img.Cols(), gocv.MatTypeCV8UC1)
	pv := gocv.NewPointsVectorFromPoints(polys)
	defer pv.Close()
	gocv.FillPoly(&m, pv, color.RGBA{255, 255, 255, 0})
	if grow != 0 {
		k := gocv.GetStructuringElement(gocv.MorphEllipse, image.Pt(2*abs(grow)+1, 2*abs(grow)+1))
		defer k.Close()
		if grow > 0 {
			gocv.Dilate(m, &m, k)
		} else {
			gocv.Erode(m, &m, k)
		}
	}
	return m
}

func abs(v int) int { return max(v, -v) }

// outsideOf is the face (the landmarks' hull) without the region grown by
// margin: "the rest of the face".
func outsideOf(img gocv.Mat, s *landmarks.Shape, region gocv.Mat, margin int) gocv.Mat {
	face := regionMask(img, 0, hull(s))
	k := gocv.GetStructuringElement(gocv.MorphEllipse, image.Pt(2*margin+1, 2*margin+1))
	defer k.Close()
	grown := gocv.NewMat()
	defer grown.Close()
	gocv.Dilate(region, &grown, k)
	gocv.Subtract(face, grown, &face)
	return face
}

// eyesMask is both eyes' own pixels, shrunk by a pixel so the polygon's
// rasterisation does not matter.
func eyesMask(img gocv.Mat, s *landmarks.Shape) gocv.Mat {
	return regionMask(img, -1, pts(s, 36, 37, 38, 39, 40, 41), pts(s, 42, 43, 44, 45, 46, 47))
}

func build(t testing.TB, specs ...effects.Spec) []effects.Effect {
	t.Helper()
	fx, err := effects.Build("effects", specs)
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

func applied(f testFace, fx []effects.Effect) gocv.Mat {
	out := f.img.Clone()
	for _, e := range fx {
		e.Apply(&out, []landmarks.Face{f.face})
	}
	return out
}

// TestMakeupRegions puts each effect on every test face and measures the
// mean change inside its region and on the rest of the face: the region
// must change clearly, the rest barely, and no eye effect may touch the
// eye itself.
func TestMakeupRegions(t *testing.T) {
	faces := makeupFaces(t)
	type region func(s *landmarks.Shape) [][]image.Point
	for _, tc := range []struct {
		spec          effects.Spec
		region        region
		minIn, maxOut float64
		margin        float64 // of the outside, in inter-ocular distances
		eyesUntouched bool
	}{
		{effects.Spec{Name: "eyeliner"}, func(s *landmarks.Shape) [][]image.Point {
			return [][]image.Point{lidBand(s, true, 0.1), lidBand(s, false, 0.1)}
		}, 1.5, 0.05, 0.25, true},
		{effects.Spec{Name: "eyeshadow"}, func(s *landmarks.Shape) [][]image.Point {
			return [][]image.Point{lidToBrow(s, true), lidToBrow(s, false)}
		}, 2.5, 0.05, 0.3, true},
		{effects.Spec{Name: "brows"}, func(s *landmarks.Shape) [][]image.Point {
			return [][]image.Point{browBand(s, true), browBand(s, false)}
		}, 1.2, 0.05, 0.15, true},
		{effects.Spec{Name: "blush"}, func(s *landmarks.Shape) [][]image.Point {
			return [][]image.Point{cheek(s, true), cheek(s, false)}
		}, 1.5, 0.05, 0.2, true},
		{effects.Spec{Name: "lipstick", Finish: "matte"}, func(s *landmarks.Shape) [][]image.Point {
			return [][]image.Point{pts(s, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59)}
		}, 12, 0.05, 0.15, true},
	} {
		t.Run(tc.spec.Name, func(t *testing.T) {
			fx := build(t, tc.spec)
			var ins, outs []float64
			for _, f := range faces {
				out := applied(f, fx)
				s := &f.face.Points
				in := regionMask(f.img, 0, tc.region(s)...)
				if tc.spec.Name == "lipstick" {
					hole := regionMask(f.img, 0, pts(s, 60, 61, 62, 63, 64, 65, 66, 67))
					gocv.Subtract(in, hole, &in)
					hole.Close()
				}
				eyes := eyesMask(f.img, s)
				gocv.Subtract(in, eyes, &in)
				rest := outsideOf(f.img, s, in, int(tc.margin*s.InterOcular()))
				dIn, nIn := regionDiff(t, f.img, out, in)
				dOut, nOut := regionDiff(t, f.img, out, rest)
				dEye, _ := regionDiff(t, f.img, out, eyes)
				t.Logf("%s (eyes %.0f px apart): region %.2f over %d px, rest of the face %.3f over %d px, eyes %.3f",
					f.name, s.InterOcular(), dIn, nIn, dOut, nOut, dEye)
				if dIn < tc.minIn {
					t.Errorf("%s: region changed by %.2f, want >= %g", f.name, dIn, tc.minIn)
				}
				if dOut > tc.maxOut {
					t.Errorf("%s: rest of the face changed by %.3f, want <= %g", f.name, dOut, tc.maxOut)
				}
				if tc.eyesUntouched && dEye != 0 {
					t.Errorf("%s: the eyes changed by %.3f, want 0", f.name, dEye)
				}
				ins, outs = append(ins, dIn), append(outs, dOut)
				for _, m := range []gocv.Mat{out, in, eyes, rest} {
					m.Close()
				}
			}
			t.Logf("%s on %d faces: region %v, rest %v", tc.spec.Name, len(faces), ins, outs)
		})
	}
}

// laplacianVar is the variance of the Laplacian of img's grey levels inside
// mask: how much fine texture (pores, noise, sharp detail) the region has.
func laplacianVar(t testing.TB, img, mask gocv.Mat) float64 {
	t.Helper()
	gray := toGray(img)
	defer gray.Close()
	lap := gocv.NewMat()
	defer lap.Close()
	gocv.Laplacian(gray, &lap, gocv.MatTypeCV32F, 3, 1, 0, gocv.BorderReplicate)
	m, _ := mask.DataPtrUint8()
	l, _ := lap.DataPtrFloat32()
	var sum, sq float64
	n := 0
	for i, v := range m {
		if v != 0 {
			x := float64(l[i])
			sum, sq, n = sum+x, sq+x*x, n+1
		}
	}
	if n == 0 {
		t.Fatal("empty mask")
	}
	mean := sum / float64(n)
	return sq/float64(n) - mean*mean
}

// Foundation softens the cheeks' fine texture and leaves the eyes as
// sharp as they were, on every test face.
func TestFoundationSmoothsSkinKeepsEyes(t *testing.T) {
	fx := build(t, effects.Spec{Name: "foundation"})
	for _, f := range makeupFaces(t) {
		out := applied(f, fx)
		s := &f.face.Points
		cheeks := regionMask(f.img, -2, cheek(s, true), cheek(s, false))
		eyes := regionMask(f.img, -2, pts(s, 36, 37, 38, 39, 40, 41), pts(s, 42, 43, 44, 45, 46, 47))
		before, after := laplacianVar(t, f.img, cheeks), laplacianVar(t, out, cheeks)
		eyeBefore, eyeAfter := laplacianVar(t, f.img, eyes), laplacianVar(t, out, eyes)
		dEye, _ := regionDiff(t, f.img, out, eyesMask(f.img, s))
		t.Logf("%s: cheeks' Laplacian variance %.1f -> %.1f (%.0f%%), eyes' %.1f -> %.1f", f.name, before, after, 100*after/before, eyeBefore, eyeAfter)
		if after > 0.8*before {
			t.Errorf("%s: the cheeks' fine texture went from %.1f to %.1f, want at least 20%% less", f.name, before, after)
		}
		if eyeAfter != eyeBefore || dEye != 0 {
			t.Errorf("%s: the eyes changed (Laplacian variance %.2f -> %.2f, mean change %.3f)", f.name, eyeBefore, eyeAfter, dEye)
		}
		for _, m := range []gocv.Mat{out, cheeks, eyes} {
			m.Close()
		}
	}
}

// lipLumas are the luminances of the lips' pixels (the outer contour minus
// the mouth, shrunk by a pixel), sorted.
func lipLumas(t testing.TB, img gocv.Mat, s *landmarks.Shape) []float64 {
	t.Helper()
	lips := regionMask(img, -1, pts(s, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59))
	defer lips.Close()
	hole := regionMask(img, 1, pts(s, 60, 61, 62, 63, 64, 65, 66, 67))
	defer hole.Close()
	gocv.Subtract(lips, hole, &lips)
	m, _ := lips.DataPtrUint8()
	px, _ := img.DataPtrUint8()
	var out []float64
	for i, v := range m {
		if v != 0 {
			out = append(out, 0.114*float64(px[3*i])+0.587*float64(px[3*i+1])+0.299*float64(px[3*i+2]))
		}
	}
	sort.Float64s(out)
	return out
}

// Each lipstick finish looks different from matte on the lips, keeps the
// teeth, and gloss's brightest lip pixels are brighter than matte's.
func TestLipstickFinishes(t *testing.T) {
	for _, f := range makeupFaces(t) {
		s := &f.face.Points
		matte := applied(f, build(t, effects.Spec{Name: "lipstick", Finish: "matte"}))
		lips := regionMask(f.img, 0, pts(s, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59))
		hole := regionMask(f.img, 0, pts(s, 60, 61, 62, 63, 64, 65, 66, 67))
		gocv.Subtract(lips, hole, &lips)
		top := func(l []float64) float64 { return l[len(l)*98/100] } // the 98th percentile
		matteTop := top(lipLumas(t, matte, s))
		for _, finish := range []string{"satin", "gloss", "shimmer"} {
			out := applied(f, build(t, effects.Spec{Name: "lipstick", Finish: finish}))
			d, _ := regionDiff(t, matte, out, lips)
			outTop := top(lipLumas(t, out, s))
			t.Logf("%s %s: differs from matte by %.2f on the lips; brightest lips %.0f (matte %.0f)", f.name, finish, d, outTop, matteTop)
			if d < 2 {
				t.Errorf("%s: %s differs from matte by %.2f on the lips, want >= 2", f.name, finish, d)
			}
			teeth := regionMask(f.img, -3, pts(s, 60, 61, 62, 63, 64, 65, 66, 67))
			if gocv.CountNonZero(teeth) > 20 {
				if dt, _ := regionDiff(t, f.img, out, teeth); dt > 2 {
					t.Errorf("%s: %s changed the teeth by %.2f, want <= 2", f.name, finish, dt)
				}
			}
			teeth.Close()
			if finish == "gloss" && outTop < matteTop+15 {
				t.Errorf("%s: gloss's brightest lip pixels are %.0f, matte's %.0f; want gloss brighter by 15 or more", f.name, outTop, matteTop)
			}
			out.Close()
		}
		for _, m := range []gocv.Mat{matte, lips, hole} {
			m.Close()
		}
	}
}

// Every built-in look builds, changes the face, and leaves the eyes alone.
func TestLooksChangeTheFace(t *testing.T) {
	faces := makeupFaces(t)
	if len(effects.Looks()) < 3 {
		t.Fatalf("%d looks, want at least natural, evening and bold", len(effects.Looks()))
	}
	for _, l := range effects.Looks() {
		fx := build(t, l.Effects...)
		for _, f := range faces[:2] {
			out := applied(f, fx)
			s := &f.face.Points
			face := regionMask(f.img, 0, hull(s))
			d, _ := regionDiff(t, f.img, out, face)
			dEye, _ := regionDiff(t, f.img, out, eyesMask(f.img, s))
			t.Logf("%s on %s: face changed by %.2f, eyes %.3f", l.Name, f.name, d, dEye)
			if d < 1 || dEye != 0 {
				t.Errorf("%s on %s: face changed by %.2f (want >= 1), eyes by %.3f (want 0)", l.Name, f.name, d, dEye)
			}
			out.Close()
			face.Close()
		}
	}
}

// Strength 0 is no change, for every makeup effect.
func TestMakeupZeroStrengthIsNoOp(t *testing.T) {
	img, faces := webcamFace(t)
	defer img.Close()
	all := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(255, 0, 0, 0), img.Rows(), img.Cols(), gocv.MatTypeCV8UC1)
	defer all.Close()
	zero := 0.0
	for _, name := range []string{"eyeliner", "eyeshadow", "brows", "blush", "foundation", "lipstick"} {
		out := img.Clone()
		for _, e := range build(t, effects.Spec{Name: name, Strength: &zero}) {
			e.Apply(&out, faces)
		}
		if d, _ := regionDiff(t, img, out, all); d != 0 {
			t.Errorf("%s at strength 0 changed the frame by %.3f", name, d)
		}
		out.Close()
	}
}

// Bad fields are refused with the field named.
func TestMakeupBuildErrors(t *testing.T) {
	two, neg := 2.0, -0.1
	for _, tc := range []struct {
		spec  effects.Spec
		field string
	}{
		{effects.Spec{Name: "lipstick", Finish: "glitter"}, "effects[0].finish"},
		{effects.Spec{Name: "eyeliner", Color: "black"}, "effects[0].color"},
		{effects.Spec{Name: "eyeliner", Thickness: &two}, "effects[0].thickness"},
		{effects.Spec{Name: "eyeliner", Wing: &neg}, "effects[0].wing"},
		{effects.Spec{Name: "eyeliner", Lower: &two}, "effects[0].lower"},
		{effects.Spec{Name: "lipstick", Lower: &neg}, "effects[0].lower"},
		{effects.Spec{Name: "eyeshadow", Strength: &two}, "effects[0].strength"},
		{effects.Spec{Name: "brows", Color: "#12345"}, "effects[0].color"},
		{effects.Spec{Name: "blush", Finish: "gloss"}, "effects[0].finish"},
		{effects.Spec{Name: "foundation", Wing: &two}, "effects[0].wing"},
		{effects.Spec{Name: "blush", Style: "round"}, "effects[0].style"},
		{effects.Spec{Name: "foundation", Color: "#gggggg"}, "effects[0].color"},
	} {
		_, err := effects.Build("effects", []effects.Spec{tc.spec})
		var fe *effects.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%+v: error %v, want one naming %s", tc.spec, err, tc.field)
		}
	}
	// A Spec round-trips: what a client is told it got builds to the same.
	for _, l := range effects.Looks() {
		specs := effects.SpecsOf(build(t, l.Effects...))
		again := effects.SpecsOf(build(t, specs...))
		if fmt.Sprint(specsJSON(t, specs)) != fmt.Sprint(specsJSON(t, again)) {
			t.Errorf("%s: %s rebuilt as %s", l.Name, specsJSON(t, specs), specsJSON(t, again))
		}
	}
}

func specsJSON(t testing.TB, s []effects.Spec) string {
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Golden images of each effect and finish, and each look, on the webcam
// face: a change in how they look shows in review. Regenerate with
// go test ./pkg/effects -run Golden -update, and look at them.
func TestMakeupGolden(t *testing.T) {
	type golden struct {
		name  string
		specs []effects.Spec
		area  func(landmarks.Face) image.Rectangle
	}
	eyes := func(f landmarks.Face) image.Rectangle {
		p := f.Points
		return image.Rect(p[17].X-8, p[19].Y-12, p[26].X+8, p[29].Y)
	}
	lowerLine := 0.6
	cases := []golden{
		{"eyeliner", []effects.Spec{{Name: "eyeliner"}}, eyes},
		{"eyeliner-lower", []effects.Spec{{Name: "eyeliner", Lower: &lowerLine}}, eyes},
		{"eyeshadow", []effects.Spec{{Name: "eyeshadow"}}, eyes},
		{"brows", []effects.Spec{{Name: "brows"}}, eyes},
		{"blush", []effects.Spec{{Name: "blush"}}, faceArea},
		{"foundation", []effects.Spec{{Name: "foundation", Color: "#c08a6a"}}, faceArea},
	}
	for _, finish := range effects.Finishes {
		cases = append(cases, golden{"lipstick-" + finish, []effects.Spec{{Name: "lipstick", Finish: finish}}, mouthArea})
	}
	for _, l := range effects.Looks() {
		cases = append(cases, golden{"look-" + l.Name, l.Effects, faceArea})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			img, faces := webcamFace(t)
			defer img.Close()
			for _, e := range build(t, tc.specs...) {
				e.Apply(&img, faces)
			}
			// Tighter than the other goldens: makeup is subtle by design, and
			// an effect gone missing must show. The frame is decoded by the
			// same libjpeg-turbo everywhere the tests run (Debian's).
			checkGoldenWithin(t, img, tc.area(faces[0]), "makeup-"+tc.name+"-webcam.png", goldenTolerance{mean: 0.3, far: 12, farShare: 0.003})
		})
	}
}

// Every makeup effect is drawn on every face: two faces side by side both
// get each effect's region changed.
func TestMakeupOnEveryFace(t *testing.T) {
	one, _ := webcamFace(t)
	defer one.Close()
	both := gocv.NewMat()
	defer both.Close()
	gocv.Hconcat(one, one, &both)
	buf, err := cvjpeg.Encode(both, cvjpeg.Options{Quality: 95})
	if err != nil {
		t.Fatal(err)
	}
	jpg := append([]byte(nil), buf.Bytes()...)
	buf.Close()
	faces := testmedia.Faces(t, jpg)
	if len(faces) != 2 {
		t.Fatalf("%d faces side by side, want 2", len(faces))
	}
	img, err := cvjpeg.Decode(jpg)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	regions := map[string]func(s *landmarks.Shape) [][]image.Point{
		"eyeliner": func(s *landmarks.Shape) [][]image.Point {
			return [][]image.Point{lidBand(s, true, 0.1), lidBand(s, false, 0.1)}
		},
		"eyeshadow": func(s *landmarks.Shape) [][]image.Point {
			return [][]image.Point{lidToBrow(s, true), lidToBrow(s, false)}
		},
		"brows": func(s *landmarks.Shape) [][]image.Point {
			return [][]image.Point{browBand(s, true), browBand(s, false)}
		},
		"blush":      func(s *landmarks.Shape) [][]image.Point { return [][]image.Point{cheek(s, true), cheek(s, false)} },
		"foundation": func(s *landmarks.Shape) [][]image.Point { return [][]image.Point{cheek(s, true), cheek(s, false)} },
	}
	for name, region := range regions {
		out := img.Clone()
		for _, e := range build(t, effects.Spec{Name: name}) {
			e.Apply(&out, faces)
		}
		for i := range faces {
			m := regionMask(img, 0, region(&faces[i].Points)...)
			d, _ := regionDiff(t, img, out, m)
			m.Close()
			if d < 0.5 {
				t.Errorf("%s: face %d's region changed by %.2f, want a visible change", name, i, d)
			}
		}
		out.Close()
	}
}

// The eyeliner's lower line, when asked for, lines the lower lashes (a band
// under 36-41-40 and 45-46-47) and still never touches the eye; without
// it, that band is left alone.
func TestEyelinerLowerLine(t *testing.T) {
	one := 1.0
	with, without := build(t, effects.Spec{Name: "eyeliner", Lower: &one}), build(t, effects.Spec{Name: "eyeliner"})
	for _, f := range makeupFaces(t) {
		s := &f.face.Points
		ux, uy := up(s)
		band := func(idx ...int) []image.Point {
			lid := pts(s, idx...)
			w := math.Hypot(float64(s[39].X-s[36].X), float64(s[39].Y-s[36].Y))
			poly := append([]image.Point{}, lid...)
			for i := len(lid) - 1; i >= 0; i-- {
				poly = append(poly, shift(lid[i], ux, uy, -0.1*w))
			}
			return poly
		}
		lower := regionMask(f.img, 0, band(36, 41, 40), band(45, 46, 47))
		eyes := eyesMask(f.img, s)
		gocv.Subtract(lower, eyes, &lower)
		a, b := applied(f, with), applied(f, without)
		dWith, _ := regionDiff(t, f.img, a, lower)
		dWithout, _ := regionDiff(t, f.img, b, lower)
		dEye, _ := regionDiff(t, f.img, a, eyes)
		t.Logf("%s: under the lower lids %.2f with the lower line, %.2f without; eyes %.3f", f.name, dWith, dWithout, dEye)
		if dWith < 1 || dWith < 2*dWithout || dEye != 0 {
			t.Errorf("%s: lower line %.2f (without %.2f), eyes %.3f; want a clear line and the eyes untouched", f.name, dWith, dWithout, dEye)
		}
		for _, m := range []gocv.Mat{lower, eyes, a, b} {
			m.Close()
		}
	}
}
