package effects

import (
	"image/color"
	"math"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/pkg/landmarks"
)

// Brows fills and shapes the eyebrows (points 17-21 and 22-26): a tapered
// shape, full at the head and thin at the tail, is tinted so that the
// skin between sparse hairs takes the colour and the hairs themselves stay
// as they are, darkened a little.
type Brows struct {
	Color    color.RGBA // alpha is ignored
	Strength float64    // 0..1
}

// DefaultBrows is a soft dark brown.
var DefaultBrows = Brows{Color: color.RGBA{R: 0x4a, G: 0x34, B: 0x2a, A: 0xff}, Strength: 0.6}

// Apply shapes the brows of every face in img.
func (b Brows) Apply(img *gocv.Mat, faces []landmarks.Face) {
	px, stride, ok := frameBytes(img)
	if !ok || b.Strength <= 0 {
		return
	}
	// The brow colour at the pixel's own light; skin lighter than the
	// colour takes more of it than hair, which is already dark. Hair is
	// darkened a little too, so the brow reads as one shape.
	var lb lumaBlend
	c := rgbOf(b.Color)
	cy := c.luma()
	for i := range lb.byLuma {
		y := lumaLevel(i)
		t := withLuma(c, math.Min(0.85*y, cy+0.3*(y-cy)))
		lb.byLuma[i] = [4]float32{float32(255 * t.B), float32(255 * t.G), float32(255 * t.R), float32(0.45 + 0.55*smoothstep(cy, cy+0.35, y))}
	}
	for i := range faces {
		s := &faces[i].Points
		g := geomOf(s)
		for _, right := range []bool{true, false} {
			b.applyBrow(img, px, stride, s, g, right, &lb)
		}
	}
}

func (b Brows) applyBrow(img *gocv.Mat, px []uint8, stride int, s *landmarks.Shape, g faceGeom, right bool, lb *lumaBlend) {
	shape := browShape(s, g, right, 1)
	feather := max(1, int(math.Round(g.iod*0.025)))
	roi := clampRect(boundsOf(shape).Inset(-3*feather), img)
	if roi.Dx() < 2 || roi.Dy() < 2 {
		return
	}
	m := newMask(roi)
	defer m.release()
	m.fill(shape, 255)
	m.feather(feather)
	lb.apply(m, px, stride, float32(math.Min(b.Strength, 1)/255))
}

// browShape is a brow's outline: its points run along the brow's upper
// edge, so the shape hangs below them, thickest at the head (inner end).
// grow > 1 widens it (for keeping foundation off the brows).
func browShape(s *landmarks.Shape, g faceGeom, right bool, grow float64) []fpoint {
	line := smoothCurve(browPoints(s, right), 4)
	upper := make([]fpoint, len(line))
	lower := make([]fpoint, len(line))
	for i, p := range line {
		t := float64(i) / float64(len(line)-1) // 0 at the head, 1 at the tail
		h := g.iod * (0.17 - 0.11*t) * grow
		centre := p.add(g.down.scale(h * 0.55))
		upper[i] = centre.sub(g.down.scale(h / 2))
		lower[i] = centre.add(g.down.scale(h / 2))
	}
	out := append(upper, lower[len(lower)-1])
	for i := len(lower) - 2; i >= 0; i-- {
		out = append(out, lower[i])
	}
	return out
}

func smoothstep(e0, e1, x float64) float64 {
	t := math.Max(0, math.Min(1, (x-e0)/(e1-e0)))
	return t * t * (3 - 2*t)
}

// Spec describes the brows as a client would ask for them.
func (b Brows) Spec() Spec {
	s := b.Strength
	return Spec{Name: "brows", Color: hexOf(b.Color), Strength: &s}
}
