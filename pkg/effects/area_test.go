package effects_test

import (
	"fmt"
	"image"
	"image/color"
	"strconv"
	"testing"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/landmarks"
)

type areaEffect interface {
	Area(size image.Point, faces []landmarks.Face) []image.Rectangle
}

// stale is what a picture holds where nobody converted it: the pipeline
// gives the effects a BGR picture that is the frame only inside their
// Area.
var (
	staleBGR = [3]byte{37, 201, 90}
	stale    = gocv.NewScalar(37, 201, 90, 0)
)

// checkArea draws with draw on img as it is, and on a copy that is img
// only inside area and stale elsewhere: the two must be the same inside
// area (the drawing read nothing outside it) and the copy still stale
// outside (it wrote nothing there).
func checkArea(t *testing.T, name string, img gocv.Mat, area []image.Rectangle, draw func(*gocv.Mat)) {
	t.Helper()
	want := img.Clone()
	defer want.Close()
	draw(&want)
	got := gocv.NewMatWithSize(img.Rows(), img.Cols(), gocv.MatTypeCV8UC3)
	defer got.Close()
	got.SetTo(stale)
	inside := gocv.NewMatWithSize(img.Rows(), img.Cols(), gocv.MatTypeCV8U)
	defer inside.Close()
	for _, r := range area {
		src, dst, in := img.Region(r), got.Region(r), inside.Region(r)
		src.CopyTo(&dst)
		in.SetTo(gocv.NewScalar(255, 0, 0, 0))
		src.Close()
		dst.Close()
		in.Close()
	}
	draw(&got)
	w, g, m := bytesOf(t, want), bytesOf(t, got), bytesOf(t, inside)
	changed, wrongIn, wrongOut := 0, 0, 0
	orig := bytesOf(t, img)
	for i := range m {
		for c := range 3 {
			k := 3*i + c
			if w[k] != orig[k] {
				changed++
			}
			if m[i] != 0 && g[k] != w[k] {
				wrongIn++
			}
			if m[i] == 0 && g[k] != staleBGR[c] {
				wrongOut++
			}
		}
	}
	if changed == 0 {
		t.Errorf("%s: drew nothing", name)
	}
	if wrongIn > 0 || wrongOut > 0 {
		t.Errorf("%s: with only its area %v given, %d values differ inside it and %d were written outside it", name, area, wrongIn, wrongOut)
	}
}

func bytesOf(t *testing.T, m gocv.Mat) []byte {
	t.Helper()
	b, err := m.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every built-in effect, finish, frame and look says where it draws
// (Area), and reads and writes nowhere else, on every test face, the
// glasses also on heads turned every way: the pipeline converts only those
// parts of a frame to BGR and back (cvjpeg.Planes).
func TestEffectsStayInTheirArea(t *testing.T) {
	one := func(v float64) *float64 { return &v }
	sets := map[string][]effects.Spec{}
	for _, name := range []string{"eyeliner", "eyeshadow", "brows", "blush", "foundation"} {
		sets[name] = []effects.Spec{{Name: name, Strength: one(1)}}
	}
	sets["eyeliner wide"] = []effects.Spec{{Name: "eyeliner", Thickness: one(1), Wing: one(1), Lower: one(1)}}
	for _, finish := range []string{"matte", "satin", "gloss", "shimmer"} {
		sets["lipstick "+finish] = []effects.Spec{{Name: "lipstick", Finish: finish, Strength: one(1)}}
	}
	for _, style := range effects.GlassesStyles() {
		sets["glasses "+style] = []effects.Spec{{Name: "glasses", Style: style}}
	}
	sets["glasses on a narrow face"] = []effects.Spec{{Name: "glasses", Style: "aviator", IPD: one(50)}}
	for _, l := range effects.Looks() {
		sets["look "+l.Name] = l.Effects
	}
	poses := []*landmarks.Pose{nil, {Yaw: 40}, {Yaw: -40}, {Pitch: 25}, {Pitch: -25, Roll: 15}, {Yaw: 30, Pitch: 20, Roll: -20}}
	for _, f := range makeupFaces(t) {
		size := image.Pt(f.img.Cols(), f.img.Rows())
		for set, specs := range sets {
			for _, e := range build(t, specs...) {
				a, ok := e.(areaEffect)
				if !ok {
					t.Errorf("%s: %T has no Area", set, e)
					continue
				}
				posesHere := poses[:1]
				if _, glasses := e.(effects.Glasses); glasses {
					posesHere = poses
				}
				for _, pose := range posesHere {
					face := f.face
					face.Pose = pose
					faces := []landmarks.Face{face}
					name := fmt.Sprintf("%s (%T) on %s, pose %v", set, e, f.name, pose)
					checkArea(t, name, f.img, a.Area(size, faces), func(m *gocv.Mat) { e.Apply(m, faces) })
				}
			}
		}
	}
}

// The FPS stamp draws inside FPSArea, at every frame width.
func TestFPSStaysInItsArea(t *testing.T) {
	for _, w := range []int{160, 640, 1280, 1920} {
		img := gocv.NewMatWithSize(w*3/4, w, gocv.MatTypeCV8UC3)
		img.SetTo(gocv.NewScalar(120, 130, 140, 0))
		for _, fps := range []float64{0, 9.5, 29.97, 240, 1234.5} {
			area := effects.FPSArea(image.Pt(img.Cols(), img.Rows()), fps)
			checkArea(t, fmt.Sprintf("FPS %v at %d wide", fps, w), img, []image.Rectangle{area}, func(m *gocv.Mat) { effects.DrawFPS(m, fps) })
		}
		img.Close()
	}
}

// A stamp drawn from the cache is the text OpenCV draws, white on the dark
// box, on any picture; another value draws another stamp, and a second
// frame with the same value gets the same one.
func TestFPSStampIsTheText(t *testing.T) {
	for _, w := range []int{320, 1280} {
		size := image.Pt(w, w*9/16)
		for _, fps := range []float64{29.9, 30, 7.5} {
			area := effects.FPSArea(size, fps)
			draw := func(bg gocv.Scalar) gocv.Mat {
				m := gocv.NewMatWithSize(size.Y, size.X, gocv.MatTypeCV8UC3)
				m.SetTo(bg)
				effects.DrawFPS(&m, fps)
				r := m.Region(area)
				out := r.Clone()
				r.Close()
				m.Close()
				return out
			}
			onGray, onRed, again := draw(gocv.NewScalar(128, 128, 128, 0)), draw(gocv.NewScalar(0, 0, 255, 0)), draw(gocv.NewScalar(128, 128, 128, 0))
			want := gocv.NewMatWithSize(area.Dy(), area.Dx(), gocv.MatTypeCV8UC3)
			want.SetTo(gocv.NewScalar(0, 0, 0, 0))
			text := "FPS " + strconv.FormatFloat(fps, 'f', 1, 64)
			scale := max(0.4, float64(w)/900)
			thickness := max(1, int(scale*2))
			ts, _ := gocv.GetTextSizeWithBaseline(text, gocv.FontHersheySimplex, scale, thickness)
			pad := int(6*scale) + thickness + 1
			gocv.PutTextWithParams(&want, text, image.Pt(pad, pad+ts.Y), gocv.FontHersheySimplex, scale, color.RGBA{255, 255, 255, 0}, thickness, gocv.LineAA, false)
			for name, got := range map[string]gocv.Mat{"on gray": onGray, "on red": onRed, "again": again} {
				if d, _ := meanAbsDiffMats(t, got, want); d != 0 {
					t.Errorf("%d wide, the stamp reading %v, %s: %.3f levels from OpenCV's text", w, fps, name, d)
				}
			}
			if n := gocv.CountNonZero(toGray(onGray)); n < 50 {
				t.Errorf("%d wide, the stamp reading %v: only %d lit pixels of text", w, fps, n)
			}
			onGray.Close()
			onRed.Close()
			again.Close()
			want.Close()
		}
	}
	a, b := effects.FPSArea(image.Pt(640, 480), 9.9), effects.FPSArea(image.Pt(640, 480), 10.0)
	if a.Dx() >= b.Dx() {
		t.Errorf("the stamp reading 9.9 (%v) is as wide as the one reading 10.0 (%v): the box does not follow the text", a, b)
	}
}

func meanAbsDiffMats(t *testing.T, a, b gocv.Mat) (float64, int) {
	t.Helper()
	pa, pb := bytesOf(t, a), bytesOf(t, b)
	if len(pa) != len(pb) {
		t.Fatalf("%d and %d bytes", len(pa), len(pb))
	}
	sum, most := 0, 0
	for i := range pa {
		d := int(pa[i]) - int(pb[i])
		d = max(d, -d)
		sum += d
		most = max(most, d)
	}
	return float64(sum) / float64(len(pa)), most
}
