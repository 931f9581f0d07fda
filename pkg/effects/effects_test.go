package effects_test

import (
	"flag"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvimage"
	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/landmarks"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata/golden")

const testdata = "../../testdata"

// portrait loads obama-480p.jpg with its face found by the real detector and
// model, so effects are tested on real landmarks.
func portrait(t testing.TB) (gocv.Mat, []landmarks.Face) {
	t.Helper()
	jpg, err := os.ReadFile(testmedia.Path("obama-480p.jpg"))
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

// regionDiff is the mean absolute per-channel difference of a and b inside
// mask (non-zero pixels), and how many pixels the mask holds.
func regionDiff(t testing.TB, a, b, mask gocv.Mat) (float64, int) {
	t.Helper()
	pa, _ := a.DataPtrUint8()
	pb, _ := b.DataPtrUint8()
	pm, _ := mask.DataPtrUint8()
	var sum float64
	n := 0
	for i, m := range pm {
		if m == 0 {
			continue
		}
		n++
		for c := 0; c < 3; c++ {
			sum += math.Abs(float64(pa[3*i+c]) - float64(pb[3*i+c]))
		}
	}
	if n == 0 {
		t.Fatal("empty mask")
	}
	return sum / float64(3*n), n
}

func polygonMask(rows, cols int, pts []image.Point, erode int) gocv.Mat {
	m := gocv.NewMatWithSize(rows, cols, gocv.MatTypeCV8UC1)
	pv := gocv.NewPointsVectorFromPoints([][]image.Point{pts})
	defer pv.Close()
	gocv.FillPoly(&m, pv, color.RGBA{255, 255, 255, 0})
	if erode > 0 {
		k := gocv.GetStructuringElement(gocv.MorphEllipse, image.Pt(2*erode+1, 2*erode+1))
		defer k.Close()
		gocv.Erode(m, &m, k)
	}
	return m
}

func TestLipstickTouchesLipsOnly(t *testing.T) {
	img, faces := portrait(t)
	defer img.Close()
	out := img.Clone()
	defer out.Close()
	effects.DefaultLipstick.Apply(&out, faces)

	pts := faces[0].Points
	outer := pts[landmarks.OuterLipsStart:landmarks.OuterLipsEnd]
	inner := pts[landmarks.InnerMouthStart:landmarks.InnerMouthEnd]

	lips := polygonMask(img.Rows(), img.Cols(), outer, 0)
	defer lips.Close()
	hole := polygonMask(img.Rows(), img.Cols(), inner, 0)
	defer hole.Close()
	gocv.Subtract(lips, hole, &lips)
	lipDiff, lipPixels := regionDiff(t, img, out, lips)

	teeth := polygonMask(img.Rows(), img.Cols(), inner, 3)
	defer teeth.Close()
	teethDiff, teethPixels := regionDiff(t, img, out, teeth)

	nose := polygonMask(img.Rows(), img.Cols(), []image.Point{pts[27], pts[31], pts[33], pts[35]}, 0)
	defer nose.Close()
	noseDiff, _ := regionDiff(t, img, out, nose)

	t.Logf("mean change: lips %.1f over %d px, teeth %.2f over %d px, nose %.2f", lipDiff, lipPixels, teethDiff, teethPixels, noseDiff)
	if lipDiff < 15 {
		t.Errorf("lips changed by %.1f on average, want a visible tint (>= 15)", lipDiff)
	}
	if teethDiff > 2 {
		t.Errorf("inner mouth changed by %.2f, want <= 2", teethDiff)
	}
	if noseDiff != 0 {
		t.Errorf("nose changed by %.2f, want 0", noseDiff)
	}
}

func TestLipstickGolden(t *testing.T) {
	img, faces := portrait(t)
	defer img.Close()
	effects.DefaultLipstick.Apply(&img, faces)
	// The golden is the mouth area only: the rest of the frame is checked to
	// be untouched by TestLipstickTouchesLipsOnly, and a crop keeps the PNG small.
	checkGolden(t, img, mouthArea(faces[0]), "lipstick-obama.png")
}

func TestLipstickZeroStrengthIsNoOp(t *testing.T) {
	img, faces := portrait(t)
	defer img.Close()
	out := img.Clone()
	defer out.Close()
	effects.Lipstick{Color: color.RGBA{R: 255}, Strength: 0}.Apply(&out, faces)
	all := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(255, 0, 0, 0), img.Rows(), img.Cols(), gocv.MatTypeCV8UC1)
	defer all.Close()
	if d, _ := regionDiff(t, img, out, all); d != 0 {
		t.Fatalf("strength 0 changed the frame by %.3f", d)
	}
}

func TestDrawFPS(t *testing.T) {
	img := gocv.NewMatWithSize(480, 640, gocv.MatTypeCV8UC3)
	defer img.Close()
	effects.DrawFPS(&img, 14.9)
	corner := img.Region(image.Rect(0, 0, 120, 40))
	defer corner.Close()
	if n := gocv.CountNonZero(toGray(corner)); n < 50 {
		t.Fatalf("FPS text left %d lit pixels in the corner", n)
	}
	rest := img.Region(image.Rect(200, 100, 640, 480))
	defer rest.Close()
	if n := gocv.CountNonZero(toGray(rest)); n != 0 {
		t.Fatalf("FPS overlay drew %d pixels outside its corner", n)
	}
}

func toGray(m gocv.Mat) gocv.Mat {
	g := gocv.NewMat()
	gocv.CvtColor(m, &g, gocv.ColorBGRToGray)
	return g
}

func mouthArea(f landmarks.Face) image.Rectangle {
	r := image.Rectangle{Min: f.Points[48], Max: f.Points[48]}
	for _, p := range f.Points[48:68] {
		r = r.Union(image.Rectangle{Min: p, Max: p.Add(image.Pt(1, 1))})
	}
	return r.Inset(-20)
}

// checkGolden compares the area of img with testdata/golden/name. JPEG input
// and libjpeg versions vary a little between machines, so the tolerance is
// a mean difference of 1.5 levels and at most 2% of pixels off by over 24.
func checkGolden(t *testing.T, img gocv.Mat, area image.Rectangle, name string) {
	t.Helper()
	checkGoldenWithin(t, img, area, name, goldenTolerance{mean: 1.5, far: 24, farShare: 0.02})
}

// goldenTolerance is how far an image may be from its golden: a mean
// difference, and a share of pixels off by more than far.
type goldenTolerance struct {
	mean, far, farShare float64
}

func checkGoldenWithin(t *testing.T, img gocv.Mat, area image.Rectangle, name string, tol goldenTolerance) {
	t.Helper()
	crop := img.Region(area)
	defer crop.Close()
	got := crop.Clone()
	defer got.Close()
	path := filepath.Join(testdata, "golden", name)
	if *update {
		if err := cvimage.WritePNG(path, got); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
		return
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("golden %s missing; run go test ./pkg/effects -run Golden -update", path)
	}
	want, err := cvimage.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()
	if want.Rows() != got.Rows() || want.Cols() != got.Cols() {
		t.Fatalf("size %dx%d, golden %dx%d", got.Cols(), got.Rows(), want.Cols(), want.Rows())
	}
	pa, _ := got.DataPtrUint8()
	pb, _ := want.DataPtrUint8()
	var sum float64
	bad := 0
	for i := 0; i < len(pa); i += 3 {
		worst := 0.0
		for c := 0; c < 3; c++ {
			d := math.Abs(float64(pa[i+c]) - float64(pb[i+c]))
			sum += d
			worst = math.Max(worst, d)
		}
		if worst > tol.far {
			bad++
		}
	}
	mean := sum / float64(len(pa))
	frac := float64(bad) / float64(len(pa)/3)
	t.Logf("%s: mean diff %.3f, %.2f%% pixels off by > %g", name, mean, 100*frac, tol.far)
	if mean > tol.mean || frac > tol.farShare {
		out := filepath.Join(t.TempDir(), name)
		cvimage.WritePNG(out, got)
		t.Errorf("%s differs from golden: mean %.3f, %.2f%% pixels off (output in %s)", name, mean, 100*frac, out)
	}
}

func TestGlassesGolden(t *testing.T) {
	// The built-in catalogue (tests add frames of their own to it).
	for _, style := range []string{"acetate", "aviator", "cat-eye", "rectangular", "rimless", "round"} {
		t.Run(style, func(t *testing.T) {
			img, faces := portrait(t)
			defer img.Close()
			g, err := effects.NewGlasses(style)
			if err != nil {
				t.Fatal(err)
			}
			g.Apply(&img, faces)
			checkGolden(t, img, faceArea(faces[0]), "glasses-"+style+"-obama.png")
		})
	}
}

func TestLipstickAndGlassesGolden(t *testing.T) {
	img, faces := portrait(t)
	defer img.Close()
	fx, err := effects.Build("effects", []effects.Spec{{Name: "lipstick"}, {Name: "glasses", Style: "aviator"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range fx {
		e.Apply(&img, faces)
	}
	checkGolden(t, img, faceArea(faces[0]), "lipstick-glasses-obama.png")
}

// TestGlassesPlacement checks the geometry without a golden: the frame
// covers the eye line beside each eye, the temples reach toward the ears,
// and nothing is drawn below the nose.
func TestGlassesPlacement(t *testing.T) {
	img, faces := portrait(t)
	defer img.Close()
	out := img.Clone()
	defer out.Close()
	g, _ := effects.NewGlasses("rectangular")
	g.Apply(&out, faces)
	p := faces[0].Points
	changed := func(pt image.Point) bool {
		a, b := img.GetVecbAt(pt.Y, pt.X), out.GetVecbAt(pt.Y, pt.X)
		return math.Abs(float64(a[0])-float64(b[0]))+math.Abs(float64(a[1])-float64(b[1]))+math.Abs(float64(a[2])-float64(b[2])) > 30
	}
	// Between an eye's outer corner and the jaw point at the same side lies the
	// temple or the rim.
	for _, pair := range [][2]int{{36, 0}, {45, 16}} {
		a, b := p[pair[0]], p[pair[1]]
		hit := false
		for f := 0.0; f <= 1; f += 0.05 {
			pt := image.Pt(a.X+int(f*float64(b.X-a.X)), a.Y+int(f*float64(b.Y-a.Y))-3)
			if changed(pt) {
				hit = true
			}
		}
		if !hit {
			t.Errorf("nothing drawn between landmark %d and %d", pair[0], pair[1])
		}
	}
	for _, i := range []int{51, 57, 8} { // lips and chin untouched
		if changed(p[i]) {
			t.Errorf("glasses drew on landmark %d", i)
		}
	}
}

func faceArea(f landmarks.Face) image.Rectangle {
	r := image.Rectangle{Min: f.Points[0], Max: f.Points[0]}
	for _, p := range f.Points {
		r = r.Union(image.Rectangle{Min: p, Max: p.Add(image.Pt(1, 1))})
	}
	return r.Inset(-10)
}
