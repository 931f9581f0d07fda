package effects

import (
	"image/color"
	"math"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/pkg/landmarks"
)

// Eyeshadow colours each lid: from the upper eye contour (36-39, 42-45)
// toward the brow (17-21, 22-26), deepest at the lash line and fading
// upward, a little past the outer corner. The eye's own outline is cut
// out after feathering, so the eye itself never changes. The colour is
// blended so the lid's shading and texture show through it.
type Eyeshadow struct {
	Color    color.RGBA // alpha is ignored
	Strength float64    // 0..1
}

// DefaultEyeshadow is a warm taupe.
var DefaultEyeshadow = Eyeshadow{Color: color.RGBA{R: 0x8a, G: 0x5a, B: 0x5e, A: 0xff}, Strength: 0.6}

// Apply shades the lids of every face in img.
func (e Eyeshadow) Apply(img *gocv.Mat, faces []landmarks.Face) {
	px, stride, ok := frameBytes(img)
	if !ok || e.Strength <= 0 {
		return
	}
	// Half multiply (depth), half the colour at the skin's own light.
	var lb lumaBlend
	c := rgbOf(e.Color)
	light := mixRGB(c, rgb{1, 1, 1}, 0.3)
	lb.scale = [3]float32{float32(0.45 * light.B), float32(0.45 * light.G), float32(0.45 * light.R)}
	for i := range lb.byLuma {
		t := withLuma(c, lumaLevel(i)*0.95)
		lb.byLuma[i] = [4]float32{float32(0.55 * 255 * t.B), float32(0.55 * 255 * t.G), float32(0.55 * 255 * t.R), 1}
	}
	for i := range faces {
		s := &faces[i].Points
		g := geomOf(s)
		for _, right := range []bool{true, false} {
			e.applyEye(img, px, stride, s, g, right, &lb)
		}
	}
}

func (e Eyeshadow) applyEye(img *gocv.Mat, px []uint8, stride int, s *landmarks.Shape, g faceGeom, right bool, lb *lumaBlend) {
	deep, wide := lidBands(s, g, right)
	feather := max(1, int(math.Round(g.iod*0.06)))
	roi := clampRect(boundsOf(wide).Inset(-3*feather), img)
	if roi.Dx() < 2 || roi.Dy() < 2 {
		return
	}
	m := newMask(roi)
	defer m.release()
	// Two bands make the fade: full colour near the lashes, half up to the
	// crease; the feathering blends them into one gradient.
	m.fill(wide, 110)
	m.fill(deep, 255)
	m.feather(feather)
	m.cut(eyePolygon(s, right))
	lb.apply(m, px, stride, float32(math.Min(e.Strength, 1)*1.5/255))
}

// lidBands are two outlines over the lid: deep reaches a third of the way
// from the upper eye contour to the brow, wide about two thirds; both run
// a little past the outer corner, lifted, as shadow is worn.
func lidBands(s *landmarks.Shape, g faceGeom, right bool) (deep, wide []fpoint) {
	lid := smoothCurve(upperLid(s, right), 3) // inner to outer
	brow := browPoints(s, right)              // inner to outer
	inner, outer := lid[0], lid[len(lid)-1]
	axis := outer.sub(inner)
	// The brow's height above the lid at a point of the lid, from the brow
	// point at the same place along the eye's axis.
	browAt := func(p fpoint) fpoint {
		t := p.sub(inner).dot(axis) / axis.dot(axis)
		f := math.Max(0, math.Min(1, 0.15+t*0.7)) * float64(len(brow)-1)
		i := min(int(f), len(brow)-2)
		return lerpPt(brow[i], brow[i+1], f-float64(i))
	}
	band := func(frac float64) []fpoint {
		top := make([]fpoint, len(lid))
		for i, p := range lid {
			top[i] = lerpPt(p, browAt(p), frac)
		}
		tail := outer.add(axis.scale(0.22)).sub(g.down.scale(axis.len() * 0.12 * frac / 0.35))
		out := append([]fpoint{}, lid...)
		out = append(out, tail)
		for i := len(top) - 1; i >= 0; i-- {
			out = append(out, top[i])
		}
		return out
	}
	return band(0.35), band(0.7)
}

// Spec describes the eyeshadow as a client would ask for it.
func (e Eyeshadow) Spec() Spec {
	s := e.Strength
	return Spec{Name: "eyeshadow", Color: hexOf(e.Color), Strength: &s}
}
