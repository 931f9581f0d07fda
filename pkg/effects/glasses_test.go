package effects_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/headpose"
	"github.com/livetryon/server/pkg/landmarks"
)

// Marker colours of the test frames, BGR-distinct from skin, hair and
// every built-in frame.
var (
	green   = color.NRGBA{0, 255, 0, 255}
	magenta = color.NRGBA{255, 0, 255, 255}
	yellow  = color.NRGBA{255, 255, 0, 255}
	blue    = color.NRGBA{0, 0, 255, 255}
)

// testFrame is a 700x200 front.png, 140 mm wide (0.2 mm a pixel), its
// lens centres 315 px (63 mm) apart at (192, 100) and (507, 100): thin
// blue rims, a green dot at the left lens centre and a magenta one at the
// right, yellow bars 28 px wide at the picture's two ends.
func testFrame(lensFill bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 700, 200))
	circle := func(cx, cy, r float64, c color.NRGBA, ring float64) {
		for y := 0; y < 200; y++ {
			for x := 0; x < 700; x++ {
				d := math.Hypot(float64(x)+0.5-cx, float64(y)+0.5-cy)
				if d <= r && (ring == 0 || d >= r-ring) {
					img.SetNRGBA(x, y, c)
				}
			}
		}
	}
	for _, cx := range []float64{192.5, 507.5} {
		if lensFill {
			c := green
			if cx > 350 {
				c = magenta
			}
			circle(cx, 100.5, 80, c, 0)
		} else {
			circle(cx, 100.5, 80, blue, 6)
		}
	}
	if !lensFill {
		circle(192.5, 100.5, 14, green, 0)
		circle(507.5, 100.5, 14, magenta, 0)
	}
	for y := 70; y < 130; y++ {
		for x := 0; x < 28; x++ {
			img.SetNRGBA(x, y, yellow)
			img.SetNRGBA(699-x, y, yellow)
		}
	}
	return img
}

func writeFrame(t testing.TB, dir, name string, img image.Image, meta any) string {
	t.Helper()
	folder := filepath.Join(dir, name)
	if err := os.MkdirAll(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	if img != nil {
		fh, err := os.Create(filepath.Join(folder, "front.png"))
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(fh, img); err != nil {
			t.Fatal(err)
		}
		fh.Close()
	}
	var raw []byte
	switch m := meta.(type) {
	case string:
		raw = []byte(m)
	default:
		var err error
		if raw, err = json.Marshal(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(folder, "glasses.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return folder
}

func testMeta(name string) map[string]any {
	return map[string]any{"name": name, "width_mm": 140, "lens_centers": [][2]float64{{192.5, 100.5}, {507.5, 100.5}}}
}

// addTestFrame makes a user's glasses folder and loads it as --glasses-dir
// does.
func addTestFrame(t testing.TB, name string, lensFill bool) effects.Glasses {
	t.Helper()
	dir := t.TempDir()
	writeFrame(t, dir, name, testFrame(lensFill), testMeta(name))
	frames, errs := effects.AddGlassesDir(dir)
	if len(errs) > 0 || len(frames) != 1 {
		t.Fatalf("loading the test frame: %v", errs)
	}
	g, err := effects.NewGlasses(name)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// blob is the centroid and horizontal extent of the pixels of img close to
// colour c (BGR distance under 50), and how many there are.
func blob(img gocv.Mat, c color.NRGBA) (centre [2]float64, minX, maxX, n int) {
	return blobIn(img, c, image.Rect(0, 0, img.Cols(), img.Rows()))
}

func blobIn(img gocv.Mat, c color.NRGBA, area image.Rectangle) (centre [2]float64, minX, maxX, n int) {
	px, _ := img.DataPtrUint8()
	w := img.Cols()
	minX, maxX = math.MaxInt, -1
	for i := 0; i < len(px)/3; i++ {
		db, dg, dr := int(px[3*i])-int(c.B), int(px[3*i+1])-int(c.G), int(px[3*i+2])-int(c.R)
		if db*db+dg*dg+dr*dr > 50*50 {
			continue
		}
		x, y := i%w, i/w
		if !image.Pt(x, y).In(area) {
			continue
		}
		centre[0] += float64(x)
		centre[1] += float64(y)
		minX, maxX = min(minX, x), max(maxX, x)
		n++
	}
	if n > 0 {
		centre[0] /= float64(n)
		centre[1] /= float64(n)
	}
	return
}

func eyeCentres(f landmarks.Face) (right, left [2]float64) {
	for i := 0; i < 6; i++ {
		right[0] += float64(f.Points[36+i].X) / 6
		right[1] += float64(f.Points[36+i].Y) / 6
		left[0] += float64(f.Points[42+i].X) / 6
		left[1] += float64(f.Points[42+i].Y) / 6
	}
	return
}

// facesAtScales is the portrait at several sizes and the shared photos'
// larger faces (photos doubled), each with its faces found by the real
// detector and model: faces of inter-ocular distances from about 28 to 80 px.
func facesAtScales(t *testing.T) []struct {
	name string
	img  gocv.Mat
	face landmarks.Face
} {
	var out []struct {
		name string
		img  gocv.Mat
		face landmarks.Face
	}
	add := func(name string, src gocv.Mat, scale float64) {
		img := gocv.NewMat()
		gocv.Resize(src, &img, image.Point{}, scale, scale, gocv.InterpolationArea)
		if scale > 1 {
			gocv.Resize(src, &img, image.Point{}, scale, scale, gocv.InterpolationCubic)
		}
		jpg, err := cvjpeg.EncodeBytes(img, cvjpeg.Options{Quality: 95})
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range testmedia.Faces(t, jpg) {
			if f.Points.InterOcular() < 28 {
				continue
			}
			out = append(out, struct {
				name string
				img  gocv.Mat
				face landmarks.Face
			}{fmt.Sprintf("%s@%g#%d", name, scale, i), img.Clone(), f})
		}
		img.Close()
	}
	obama, err := cvjpeg.Decode(mustRead(t, testmedia.Path("obama-480p.jpg")))
	if err != nil {
		t.Fatal(err)
	}
	defer obama.Close()
	for _, s := range []float64{0.7, 1, 1.6} {
		add("obama", obama, s)
	}
	for _, name := range []string{"2008_002470.jpg", "2008_002506.jpg", "2008_004176.jpg", "2008_007676.jpg", "2009_004587.jpg"} {
		m, err := cvjpeg.Decode(mustRead(t, filepath.Join(testmedia.RepoPath("../shared/media/faces"), name)))
		if err != nil {
			t.Fatal(err)
		}
		add(name, m, 2)
		m.Close()
	}
	if len(out) < 5 {
		t.Fatalf("only %d faces to measure", len(out))
	}
	return out
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A user's frame, loaded from a folder made here, is drawn with its lens
// centres on the eye centres, and at its real size: its width over the
// measured inter-pupil distance is width_mm / 63, on faces of every size.
func TestGlassesUserFrameOnTheEyesAtRealSize(t *testing.T) {
	g := addTestFrame(t, "test-dots", false)
	for _, c := range facesAtScales(t) {
		t.Run(c.name, func(t *testing.T) {
			defer c.img.Close()
			out := c.img.Clone()
			defer out.Close()
			g.Apply(&out, []landmarks.Face{c.face})
			right, left := eyeCentres(c.face)
			iod := math.Hypot(left[0]-right[0], left[1]-right[1])
			gc, _, _, gn := blob(out, green)
			mc, _, _, mn := blob(out, magenta)
			if gn == 0 || mn == 0 {
				t.Fatalf("lens centre dots not found (%d green, %d magenta px)", gn, mn)
			}
			for _, e := range []struct {
				what      string
				got, want [2]float64
			}{{"left lens", gc, right}, {"right lens", mc, left}} {
				if d := math.Hypot(e.got[0]-e.want[0], e.got[1]-e.want[1]); d > 0.1*iod {
					t.Errorf("%s centre at %.1f, eye centre at %.1f: %.1f px off (inter-ocular %.1f)", e.what, e.got, e.want, d, iod)
				}
			}
			// The yellow bars at the picture's two ends, found beside each
			// eye along the eye line: their outer edges are the frame's width.
			ux, uy := (left[0]-right[0])/iod, (left[1]-right[1])/iod
			var ends [2][2]float64
			for side, sign := range []float64{-1, 1} {
				at := image.Pt(int((left[0]+right[0])/2+sign*ux*1.1*iod), int((left[1]+right[1])/2+sign*uy*1.1*iod))
				c, _, _, n := blobIn(out, yellow, image.Rectangle{Min: at, Max: at}.Inset(-int(0.45*iod)))
				if n == 0 {
					t.Fatalf("the frame's end beside %v not found", at)
				}
				ends[side] = c
			}
			pose := headpose.Estimate(&c.face.Points, image.Pt(c.img.Cols(), c.img.Rows()))
			// Centre to centre of the bars is (700-28)/700 of the frame.
			span := math.Hypot(ends[1][0]-ends[0][0], ends[1][1]-ends[0][1]) * 700 / 672
			got := span / iod
			want := 140.0 / 63
			t.Logf("pose %+.0f, inter-ocular %.1f px, frame %.1f px: ratio %.3f, want %.3f", pose, iod, span, got, want)
			if math.Abs(got-want) > 0.1*want {
				t.Errorf("frame width / inter-pupil distance %.3f, want %.3f within 10%%", got, want)
			}
		})
	}
}

// The client's inter-pupil distance resizes the frame: a wider-set pair of
// eyes (70 mm) is a bigger head, so the same 140 mm frame is narrower on it.
func TestGlassesIPDScales(t *testing.T) {
	g := addTestFrame(t, "test-ipd", false)
	img, faces := portrait(t)
	defer img.Close()
	width := func(ipd float64) int {
		out := img.Clone()
		defer out.Close()
		fx, err := effects.Build("effects", []effects.Spec{{Name: "glasses", Style: g.Frame.Name, IPD: &ipd}})
		if err != nil {
			t.Fatal(err)
		}
		fx[0].Apply(&out, faces)
		_, x0, x1, _ := blob(out, yellow)
		return x1 - x0 + 1
	}
	w63, w70 := width(63), width(70)
	ratio := float64(w70) / float64(w63)
	if math.Abs(ratio-63.0/70) > 0.05 {
		t.Errorf("ipd 70: %d px against %d at 63, ratio %.3f, want %.3f", w70, w63, ratio, 63.0/70)
	}
	bad := 20.0
	if _, err := effects.Build("effects", []effects.Spec{{Name: "glasses", IPD: &bad}}); err == nil || !strings.Contains(err.Error(), "effects[0].ipd_mm") {
		t.Errorf("ipd_mm 20: error %v, want one naming effects[0].ipd_mm", err)
	}
	ok := 63.0
	if _, err := effects.Build("effects", []effects.Spec{{Name: "none"}, {Name: "lipstick", IPD: &ok}}); err == nil || !strings.Contains(err.Error(), "effects[1].ipd_mm") {
		t.Errorf("lipstick with ipd_mm: error %v, want one naming effects[1].ipd_mm", err)
	}
}

// syntheticFace is the model head projected at a pose: a rendered
// synthetic head, as landmarks.
func syntheticFace(p landmarks.Pose, size image.Point, distance float64) landmarks.Face {
	r := headpose.Rotation(p)
	cam := headpose.CameraFor(size)
	var f landmarks.Face
	for i, m := range headpose.Model {
		x, y := cam.Project(r.Apply(m).Add(headpose.Vec3{Z: distance}))
		f.Points[i] = image.Pt(int(math.Round(x)), int(math.Round(y)))
	}
	return f
}

// A face turned to one side gets a narrower far lens than near lens; a
// frontal one gets two of the same width.
func TestGlassesTurnedFaceForeshortensTheFarLens(t *testing.T) {
	g := addTestFrame(t, "test-lenses", true)
	size := image.Pt(640, 480)
	widths := func(yaw float64) (left, right int) {
		img := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(90, 110, 130, 0), size.Y, size.X, gocv.MatTypeCV8UC3)
		defer img.Close()
		g.Apply(&img, []landmarks.Face{syntheticFace(landmarks.Pose{Yaw: yaw}, size, 500)})
		_, l0, l1, ln := blob(img, green)
		_, r0, r1, rn := blob(img, magenta)
		if ln == 0 || rn == 0 {
			t.Fatalf("yaw %g: lenses not found", yaw)
		}
		return l1 - l0 + 1, r1 - r0 + 1
	}
	l, r := widths(0)
	if math.Abs(float64(l-r)) > 0.05*float64(l+r)/2 {
		t.Errorf("frontal: lenses %d and %d px wide, want equal", l, r)
	}
	for _, yaw := range []float64{-30, 30} {
		l, r := widths(yaw)
		near, far := l, r // nose to the image's right: its left lens is nearer
		if yaw < 0 {
			near, far = r, l
		}
		t.Logf("yaw %+.0f: near lens %d px, far lens %d px", yaw, near, far)
		if float64(far) > 0.92*float64(near) {
			t.Errorf("yaw %+.0f: far lens %d px wide, near %d: want it clearly narrower", yaw, far, near)
		}
	}
}

// Temples are never drawn on the face: on a turned synthetic head, no
// pixel of the temples' colour lies inside the face's outline, while the
// near temple shows past the cheek, toward the ear.
func TestGlassesTemplesHiddenByTheFace(t *testing.T) {
	dir := t.TempDir()
	meta := testMeta("test-temples")
	meta["temple_color"] = "#ff0000"
	writeFrame(t, dir, "test-temples", testFrame(false), meta)
	if _, errs := effects.AddGlassesDir(dir); len(errs) > 0 {
		t.Fatal(errs)
	}
	g, err := effects.NewGlasses("test-temples")
	if err != nil {
		t.Fatal(err)
	}
	red := color.NRGBA{255, 0, 0, 255}
	size := image.Pt(640, 480)
	for _, yaw := range []float64{-35, 35} {
		f := syntheticFace(landmarks.Pose{Yaw: yaw}, size, 500)
		img := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(200, 200, 200, 0), size.Y, size.X, gocv.MatTypeCV8UC3)
		g.Apply(&img, []landmarks.Face{f})
		// The face: the jaw line closed over the brows.
		outline := append([]image.Point{}, f.Points[0:17]...)
		for _, i := range []int{26, 24, 19, 17} {
			outline = append(outline, f.Points[i])
		}
		face := polygonMask(size.Y, size.X, outline, 2)
		px, _ := img.DataPtrUint8()
		fm, _ := face.DataPtrUint8()
		inside, outside := 0, 0
		for i := range fm {
			dr, dg, db := int(px[3*i+2])-int(red.R), int(px[3*i+1]), int(px[3*i])
			if dr*dr+dg*dg+db*db > 90*90 {
				continue
			}
			if fm[i] != 0 {
				inside++
			} else {
				outside++
			}
		}
		face.Close()
		img.Close()
		t.Logf("yaw %+.0f: %d temple pixels off the face, %d on it", yaw, outside, inside)
		if outside < 10 {
			t.Errorf("yaw %+.0f: the near temple is not drawn past the cheek (%d px)", yaw, outside)
		}
		if inside > 0 {
			t.Errorf("yaw %+.0f: %d temple pixels drawn on the face", yaw, inside)
		}
	}
}

func TestBadGlassesAssetsAreRefusedByName(t *testing.T) {
	dir := t.TempDir()
	good := testFrame(false)
	opaque := image.NewRGBA(image.Rect(0, 0, 700, 200)) // an RGB picture: no alpha
	for i := range opaque.Pix {
		opaque.Pix[i] = 0xff
	}
	huge := image.NewNRGBA(image.Rect(0, 0, 5000, 2))
	writeFrame(t, dir, "good", good, testMeta("good-one"))
	notPNG := writeFrame(t, dir, "notpng", nil, testMeta("notpng"))
	os.WriteFile(filepath.Join(notPNG, "front.png"), []byte("GIF89a this is not a png"), 0o644)
	writeFrame(t, dir, "noalpha", opaque, testMeta("noalpha"))
	writeFrame(t, dir, "badjson", good, `{"name": "badjson", "width_mm": 140, "lens_centers": [[1,2],[3,4]`)
	writeFrame(t, dir, "unknownfield", good, `{"name": "x", "width_mm": 140, "lens_centers": [[1,2],[3,4]], "colour": 1}`)
	outside := testMeta("outside")
	outside["lens_centers"] = [][2]float64{{192, 100}, {907, 100}}
	writeFrame(t, dir, "outside", good, outside)
	writeFrame(t, dir, "huge", huge, testMeta("huge"))
	noJSON := filepath.Join(dir, "nojson")
	os.MkdirAll(noJSON, 0o755)
	writeFrame(t, dir, "tall", image.NewNRGBA(image.Rect(0, 0, 100, 300)), testMeta("tall"))
	// FIFOs, which would block start-up if opened.
	fifoPNG := writeFrame(t, dir, "fifopng", nil, testMeta("fifopng"))
	fifoJSON := filepath.Join(dir, "fifojson")
	os.MkdirAll(fifoJSON, 0o755)
	for _, p := range []string{filepath.Join(fifoPNG, "front.png"), filepath.Join(fifoJSON, "glasses.json")} {
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A second folder with the first one's name: refused, naming both.
	writeFrame(t, dir, "good2", good, testMeta("good-one"))

	frames, errs := effects.AddGlassesDir(dir)
	if len(frames) != 1 || frames[0].Name != "good-one" {
		t.Errorf("loaded %d frames, want only good-one", len(frames))
	}
	want := map[string]string{
		"notpng/front.png":          "not a PNG",
		"noalpha/front.png":         "no alpha",
		"badjson/glasses.json":      "bad JSON",
		"unknownfield/glasses.json": "unknown field",
		"outside/glasses.json":      "lens_centers[1] (907, 100) is outside front.png",
		"huge/front.png":            "too large",
		"nojson/glasses.json":       "no such file",
		"tall/front.png":            "taller than wide",
		"fifopng/front.png":         "not a regular file",
		"fifojson/glasses.json":     "not a regular file",
		"good2/glasses.json":        filepath.Join(dir, "good/glasses.json"),
	}
	for file, msg := range want {
		found := false
		for _, err := range errs {
			found = found || (strings.Contains(err.Error(), filepath.Join(dir, file)) && strings.Contains(err.Error(), msg))
		}
		if !found {
			t.Errorf("no error naming %s with %q; got %v", file, msg, errs)
		}
	}
	if len(errs) != len(want) {
		t.Errorf("%d errors, want %d: %v", len(errs), len(want), errs)
	}
	if _, err := effects.NewGlasses("noalpha"); err == nil {
		t.Error("a refused frame is in the catalogue")
	}

	// Too many folders: the first MaxGlassesFrames load, the rest are
	// refused by name.
	many := t.TempDir()
	for i := 0; i <= effects.MaxGlassesFrames; i++ {
		writeFrame(t, many, fmt.Sprintf("f%03d", i), good, testMeta(fmt.Sprintf("many-%03d", i)))
	}
	frames, errs = effects.AddGlassesDir(many)
	if len(frames) != effects.MaxGlassesFrames || len(errs) != 1 || !strings.Contains(errs[0].Error(), "too many frame folders") || !strings.Contains(errs[0].Error(), fmt.Sprintf("f%03d", effects.MaxGlassesFrames)) {
		t.Errorf("%d folders: %d loaded, errors %v", effects.MaxGlassesFrames+1, len(frames), errs)
	}
}

// A user's folder overrides the built-in frame of the same name.
func TestGlassesDirOverridesBuiltIn(t *testing.T) {
	before, _ := effects.GlassesFrame("rimless")
	dir := t.TempDir()
	writeFrame(t, dir, "mine", testFrame(false), testMeta("rimless"))
	if _, errs := effects.AddGlassesDir(dir); len(errs) > 0 {
		t.Fatal(errs)
	}
	after, _ := effects.GlassesFrame("rimless")
	if after == before || after.Origin != dir {
		t.Fatalf("rimless still from %s", after.Origin)
	}
	if err := effects.RestoreBuiltInGlasses("rimless"); err != nil { // for the other tests
		t.Fatal(err)
	}
	if restored, _ := effects.GlassesFrame("rimless"); restored.Origin != before.Origin {
		t.Errorf("rimless restored from %s, want %s", restored.Origin, before.Origin)
	}
}

func TestBuiltInGlassesCatalogue(t *testing.T) {
	want := []string{"acetate", "aviator", "cat-eye", "rectangular", "rimless", "round"}
	for _, name := range want {
		f, ok := effects.GlassesFrame(name)
		if !ok {
			t.Errorf("built-in %s missing", name)
			continue
		}
		if len(f.Thumbnail()) == 0 {
			t.Errorf("%s has no thumbnail", name)
		}
	}
}

func BenchmarkGlassesPerFace(b *testing.B) {
	size := image.Pt(640, 480)
	for _, style := range []string{"round", "aviator", "acetate"} {
		b.Run(style, func(b *testing.B) {
			g, err := effects.NewGlasses(style)
			if err != nil {
				b.Fatal(err)
			}
			face := syntheticFace(landmarks.Pose{Yaw: 15, Pitch: 5, Roll: 3}, size, 600)
			pose := headpose.Estimate(&face.Points, size)
			face.Pose = &pose // as the pipeline gives it
			img := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(90, 110, 130, 0), size.Y, size.X, gocv.MatTypeCV8UC3)
			defer img.Close()
			faces := []landmarks.Face{face}
			b.ReportAllocs()
			for b.Loop() {
				g.Apply(&img, faces)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/face")
		})
	}
}

// FuzzGlassesMeta: whatever a glasses.json holds, loading its folder gives
// a frame or an error naming one of its files, never a panic.
func FuzzGlassesMeta(f *testing.F) {
	var pngBuf bytes.Buffer
	png.Encode(&pngBuf, testFrame(false))
	front := pngBuf.Bytes()
	for _, s := range []string{
		`{"name":"x","width_mm":140,"lens_centers":[[192,100],[507,100]]}`,
		`{"name":"x","width_mm":140,"lens_centers":[[192,100],[507,100]],"hinges":[[0,50],[700,50]],"temple_color":"#123456","temple_width_mm":4}`,
		`{"name":"x","width_mm":1e308,"lens_centers":[[192,100]]}`, `{}`, `[]`, `null`, `{"name":"../../etc"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, meta []byte) {
		fsys := fstest.MapFS{"f/front.png": {Data: front}, "f/glasses.json": {Data: meta}}
		frames, errs := effects.LoadFrames(fsys, "dir")
		if len(frames)+len(errs) != 1 {
			t.Fatalf("%d frames and %d errors from one folder", len(frames), len(errs))
		}
		for _, err := range errs {
			var ge *effects.GlassesError
			if !errors.As(err, &ge) || !strings.HasPrefix(ge.File, "dir/f/") {
				t.Fatalf("error %v does not name the folder's file", err)
			}
		}
		for _, fr := range frames {
			if fr.WidthMM < 60 || fr.WidthMM > 250 || fr.LensCenters[0][0] >= fr.LensCenters[1][0] {
				t.Fatalf("accepted %+v", fr.GlassesMeta)
			}
		}
	})
}

// A frame drawn at 4x (2800 px wide) is kept smaller in memory but drawn
// the same: its lens centres on the eyes, its width the same.
func TestGlassesLargePicture(t *testing.T) {
	small := testFrame(false)
	big := image.NewNRGBA(image.Rect(0, 0, 2800, 800))
	for y := 0; y < 800; y++ {
		for x := 0; x < 2800; x++ {
			big.SetNRGBA(x, y, small.NRGBAAt(x/4, y/4))
		}
	}
	dir := t.TempDir()
	writeFrame(t, dir, "test-big", big, map[string]any{"name": "test-big", "width_mm": 140, "lens_centers": [][2]float64{{770, 402}, {2030, 402}}})
	if _, errs := effects.AddGlassesDir(dir); len(errs) > 0 {
		t.Fatal(errs)
	}
	g, err := effects.NewGlasses("test-big")
	if err != nil {
		t.Fatal(err)
	}
	ref := addTestFrame(t, "test-big-ref", false)
	img, faces := portrait(t)
	defer img.Close()
	right, left := eyeCentres(faces[0])
	for _, e := range []effects.Glasses{g, ref} {
		out := img.Clone()
		e.Apply(&out, faces)
		gc, _, _, gn := blob(out, green)
		mc, _, _, mn := blob(out, magenta)
		out.Close()
		if gn == 0 || mn == 0 {
			t.Fatalf("%s: lens dots not found", e.Frame.Name)
		}
		iod := faces[0].Points.InterOcular()
		if d := math.Hypot(gc[0]-right[0], gc[1]-right[1]) + math.Hypot(mc[0]-left[0], mc[1]-left[1]); d > 0.2*iod {
			t.Errorf("%s: lens centres %.1f px from the eye centres in all", e.Frame.Name, d)
		}
	}
}

// The rims cast a soft shadow on the face just below them: the skin there
// gets darker, not coloured.
func TestGlassesContactShadow(t *testing.T) {
	g := addTestFrame(t, "test-shadow", false)
	img, faces := portrait(t)
	defer img.Close()
	out := img.Clone()
	defer out.Close()
	g.Apply(&out, faces)
	right, _ := eyeCentres(faces[0])
	iod := faces[0].Points.InterOcular()
	// The left lens's ring (radius 80 of the 315 px between lens centres)
	// ends 0.25 of the inter-ocular distance below the eye centre, rim
	// included; the band under it.
	var before, after [3]float64
	n := 0
	for y := int(right[1] + 0.29*iod); y <= int(right[1]+0.34*iod); y++ {
		for x := int(right[0] - 0.08*iod); x <= int(right[0]+0.08*iod); x++ {
			a, b := img.GetVecbAt(y, x), out.GetVecbAt(y, x)
			for c := 0; c < 3; c++ {
				before[c] += float64(a[c])
				after[c] += float64(b[c])
			}
			n++
		}
	}
	for c := range before {
		before[c] /= float64(n)
		after[c] /= float64(n)
	}
	t.Logf("under the rim, BGR %.1f before, %.1f after", before, after)
	for c := range before {
		if after[c] > before[c]-2 {
			t.Errorf("channel %d: %.1f → %.1f, want the skin darker under the rim", c, before[c], after[c])
		}
		if after[c] < 0.5*before[c] {
			t.Errorf("channel %d: %.1f → %.1f, a shadow is not that dark", c, before[c], after[c])
		}
	}
	// Darker by the same factor in each channel, give or take: not tinted.
	kb, kr := after[0]/before[0], after[2]/before[2]
	if math.Abs(kb-kr) > 0.08 {
		t.Errorf("the shadow tints the skin: blue x%.2f, red x%.2f", kb, kr)
	}
}

// BenchmarkGlassesRealFace: the round frame on the portrait's face in a
// 640x480 crop (inter-ocular distance 47 px), the pose estimated each time
// as for a photo: the whole cost of glasses on one face.
func BenchmarkGlassesRealFace(b *testing.B) {
	full, err := cvjpeg.Decode(mustRead(b, testmedia.Path("obama-480p.jpg")))
	if err != nil {
		b.Fatal(err)
	}
	defer full.Close()
	crop := full.Region(image.Rect(106, 0, 746, 480))
	img := crop.Clone()
	crop.Close()
	defer img.Close()
	jpg, _ := cvjpeg.EncodeBytes(img, cvjpeg.Options{Quality: 95})
	faces := testmedia.Faces(b, jpg)
	if len(faces) != 1 {
		b.Fatalf("%d faces", len(faces))
	}
	g, _ := effects.NewGlasses("round")
	size := image.Pt(img.Cols(), img.Rows())
	b.ReportAllocs()
	for b.Loop() {
		pose := headpose.Estimate(&faces[0].Points, size)
		faces[0].Pose = &pose
		g.Apply(&img, faces)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/face")
}

// TestGlassesTurnedGolden: each half-frame warp and the temples on a
// synthetic head turned 30° (its face a flat skin-coloured outline), so a
// change to the pose's drawing shows in review.
func TestGlassesTurnedGolden(t *testing.T) {
	size := image.Pt(640, 480)
	f := syntheticFace(landmarks.Pose{Yaw: 30, Pitch: 5, Roll: -4}, size, 500)
	img := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(70, 80, 90, 0), size.Y, size.X, gocv.MatTypeCV8UC3)
	defer img.Close()
	outline := append([]image.Point{}, f.Points[0:17]...)
	for _, i := range []int{26, 24, 19, 17} {
		outline = append(outline, f.Points[i].Add(image.Pt(0, -50)))
	}
	pv := gocv.NewPointsVectorFromPoints([][]image.Point{outline})
	gocv.FillPoly(&img, pv, color.RGBA{205, 160, 135, 0})
	pv.Close()
	g, err := effects.NewGlasses("aviator")
	if err != nil {
		t.Fatal(err)
	}
	g.Apply(&img, []landmarks.Face{f})
	checkGolden(t, img, faceArea(f).Inset(-30), "glasses-aviator-turned30-synthetic.png")
}
