package effects

import (
	"image/color"
	"math"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/pkg/landmarks"
)

// Eyeliner draws a line along each upper lid (the contour 39-38-37-36 and
// 42-43-44-45), thin at the inner corner and fuller toward the outer one,
// with an optional wing flicked up past the outer corner, and optionally a
// softer, thinner line under the lower lashes (41-40, 46-47), fading out
// toward the inner corner. The lines sit on
// the lash line, just above the eye: the eye's own outline (36-41, 42-47)
// is cut out of it after feathering, so it never paints the eye.
type Eyeliner struct {
	Color     color.RGBA // alpha is ignored
	Thickness float64    // 0..1: 0 a hairline, 1 a bold line (about a fifth of the eye's width at the outer end)
	Wing      float64    // 0..1: 0 none, 1 a long flick (about half the eye's width)
	Strength  float64    // 0..1, the opacity
	Lower     float64    // 0..1: the lower lash line's opacity, relative to the upper line's (0: none)
}

// DefaultEyeliner is a soft black line with a small wing.
var DefaultEyeliner = Eyeliner{Color: color.RGBA{R: 0x1a, G: 0x14, B: 0x14, A: 0xff}, Thickness: 0.5, Wing: 0.3, Strength: 0.85}

// Apply lines the eyes of every face in img.
func (e Eyeliner) Apply(img *gocv.Mat, faces []landmarks.Face) {
	px, stride, ok := frameBytes(img)
	if !ok || e.Strength <= 0 {
		return
	}
	// A little of the skin's shading stays, so the line looks drawn on the
	// lid rather than pasted over it: the target is 0.7 of the colour and
	// 0.3 of the colour multiplied by the skin.
	var lb lumaBlend
	c := [3]float64{float64(e.Color.B), float64(e.Color.G), float64(e.Color.R)}
	for ch := range 3 {
		lb.scale[ch] = float32(0.3 * c[ch] / 255)
	}
	for i := range lb.byLuma {
		lb.byLuma[i] = [4]float32{float32(0.7 * c[0]), float32(0.7 * c[1]), float32(0.7 * c[2]), 1}
	}
	for i := range faces {
		s := &faces[i].Points
		g := geomOf(s)
		for _, right := range []bool{true, false} {
			e.applyEye(img, px, stride, s, g, right, &lb)
		}
	}
}

func (e Eyeliner) applyEye(img *gocv.Mat, px []uint8, stride int, s *landmarks.Shape, g faceGeom, right bool, lb *lumaBlend) {
	shape := e.shape(s, g, right)
	feather := max(1, int(math.Round(g.iod*0.008)))
	roi := clampRect(boundsOf(shape, eyePolygon(s, right)).Inset(-3*feather-int(math.Ceil(g.iod*0.05))), img)
	if roi.Dx() < 2 || roi.Dy() < 2 {
		return
	}
	m := newMask(roi)
	defer m.release()
	m.fill(shape, 255)
	if e.Lower > 0 {
		m.fill(e.lowerShape(s, g, right), uint8(math.Round(255*math.Min(e.Lower, 1))))
	}
	m.feather(feather)
	m.cut(eyePolygon(s, right))
	lb.apply(m, px, stride, float32(math.Min(e.Strength, 1)/255))
}

// shape is the liner's outline: its lower edge follows the lid contour
// (and dips into the eye, which is cut away), its upper edge is the lid
// raised by the line's width, and the wing is a tapering triangle.
func (e Eyeliner) shape(s *landmarks.Shape, g faceGeom, right bool) []fpoint {
	lid := smoothCurve(upperLid(s, right), 4) // inner corner to outer
	eyeW := lid[len(lid)-1].sub(lid[0]).len()
	// At least a pixel and a half, or a small face's line would vanish.
	width := math.Max(1.5, eyeW*(0.03+0.17*math.Max(0, math.Min(1, e.Thickness))))
	centre := centroidOf(eyePolygon(s, right)...)
	upper := make([]fpoint, len(lid))
	lower := make([]fpoint, len(lid))
	for i, p := range lid {
		t := float64(i) / float64(len(lid)-1)
		w := width * (0.35 + 0.65*t) // thin at the inner corner
		up := p.sub(centre).unit()   // away from the eye
		if up.dot(g.down) > 0 {      // at a corner the outward direction may point down
			up = up.sub(g.down.scale(2 * up.dot(g.down)))
		}
		up = lerpPt(up, g.down.scale(-1), 0.6).unit()
		// Half a pixel more above: the eye's cut takes every pixel its
		// outline touches.
		upper[i] = p.add(up.scale(w + 0.5))
		lower[i] = p.sub(up.scale(w * 0.3))
	}
	out := append([]fpoint{}, upper...)
	if e.Wing > 0 {
		outer := lid[len(lid)-1]
		dir := outer.sub(lid[0]).unit() // inner to outer
		// Tilt the flick upward by about 25° (up is -down).
		angle := 25 * math.Pi / 180
		if dir.dot(g.across) > 0 {
			angle = -angle
		}
		tip := outer.add(dir.rotate(angle).scale(eyeW * 0.5 * math.Min(e.Wing, 1)))
		out = append(out, tip)
	}
	for i := len(lower) - 1; i >= 0; i-- {
		out = append(out, lower[i])
	}
	return out
}

// lowerShape is the lower lash line: under the lower lid contour, from the
// outer corner to a third of the way from the inner one, half the upper
// line's width and tapering to nothing.
func (e Eyeliner) lowerShape(s *landmarks.Shape, g faceGeom, right bool) []fpoint {
	var lid []fpoint
	if right {
		lid = pointsOf(s, 36, 41, 40, 39) // outer corner to inner
	} else {
		lid = pointsOf(s, 45, 46, 47, 42)
	}
	lid = smoothCurve(lid, 4)
	lid = lid[:len(lid)*2/3+1]
	eyeW := fp(s[36]).sub(fp(s[39])).len()
	if !right {
		eyeW = fp(s[45]).sub(fp(s[42])).len()
	}
	width := math.Max(1, 0.5*eyeW*(0.03+0.17*math.Max(0, math.Min(1, e.Thickness))))
	centre := centroidOf(eyePolygon(s, right)...)
	outer := make([]fpoint, len(lid))
	inner := make([]fpoint, len(lid))
	for i, p := range lid {
		t := float64(i) / float64(len(lid)-1) // 0 at the outer corner
		w := width * (1 - t)
		away := lerpPt(p.sub(centre).unit(), g.down, 0.6).unit()
		outer[i] = p.add(away.scale(w + 0.5))
		inner[i] = p.sub(away.scale(w * 0.3))
	}
	out := append([]fpoint{}, outer...)
	for i := len(inner) - 1; i >= 0; i-- {
		out = append(out, inner[i])
	}
	return out
}

// Spec describes the eyeliner as a client would ask for it.
func (e Eyeliner) Spec() Spec {
	s, t, w, l := e.Strength, e.Thickness, e.Wing, e.Lower
	return Spec{Name: "eyeliner", Color: hexOf(e.Color), Strength: &s, Thickness: &t, Wing: &w, Lower: &l}
}
