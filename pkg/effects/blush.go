package effects

import (
	"image/color"
	"math"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/pkg/landmarks"
)

// Blush warms the apples of the cheeks: a soft round glow under each eye,
// centred between the eye, the mouth corner and the jaw (points 36-41 or
// 42-47, 48 or 54, 2 or 14), kept inside the jaw line (0-16). It is
// blended in soft light, so it tints the skin without covering it.
type Blush struct {
	Color    color.RGBA // alpha is ignored
	Strength float64    // 0..1
}

// DefaultBlush is a soft rose.
var DefaultBlush = Blush{Color: color.RGBA{R: 0xe0, G: 0x70, B: 0x78, A: 0xff}, Strength: 0.4}

// Apply warms the cheeks of every face in img.
func (b Blush) Apply(img *gocv.Mat, faces []landmarks.Face) {
	px, stride, ok := frameBytes(img)
	if !ok || b.Strength <= 0 {
		return
	}
	for i := range faces {
		s := &faces[i].Points
		g := geomOf(s)
		for _, right := range []bool{true, false} {
			b.applyCheek(img, px, stride, s, g, right)
		}
	}
}

// cheekCentre is the apple of a cheek and its radius.
func cheekCentre(s *landmarks.Shape, g faceGeom, right bool) (fpoint, float64) {
	eye, mouth, jaw := g.rightEye, fp(s[48]), fp(s[2])
	if !right {
		eye, mouth, jaw = g.leftEye, fp(s[54]), fp(s[14])
	}
	c := eye.scale(0.45).add(mouth.scale(0.25)).add(jaw.scale(0.3))
	return c, g.iod * 0.42
}

func (b Blush) applyCheek(img *gocv.Mat, px []uint8, stride int, s *landmarks.Shape, g faceGeom, right bool) {
	c, r := cheekCentre(s, g, right)
	roi := clampRect(boundsOf([]fpoint{c.sub(fpoint{1.2 * r, 1.2 * r}), c.add(fpoint{1.2 * r, 1.2 * r})}), img)
	if roi.Dx() < 2 || roi.Dy() < 2 {
		return
	}
	m := newMask(roi)
	defer m.release()
	// Inside the face: the jaw line closed over the eyes, feathered so the
	// glow fades before the face's edge.
	m.fill(jawPolygon(s), 255)
	m.feather(max(1, int(math.Round(r*0.25))))
	// The glow: round, a little wider than tall, turned with the face.
	for y := 0; y < m.h; y++ {
		for x := 0; x < m.w; x++ {
			i := y*m.w + x
			if m.pix[i] == 0 {
				continue
			}
			d := fpoint{float64(roi.Min.X+x) + 0.5, float64(roi.Min.Y+y) + 0.5}.sub(c)
			u, v := d.dot(g.across)/(r*1.15), d.dot(g.down)/(r*0.9)
			w := math.Exp(-2.2 * (u*u + v*v))
			m.pix[i] = uint8(float64(m.pix[i]) * w)
		}
	}
	// The eyes never take colour, however small the face.
	m.cut(eyePolygon(s, true))
	m.cut(eyePolygon(s, false))
	col := rgbOf(b.Color)
	strength := math.Min(b.Strength, 1)
	m.each(px, stride, func(p []uint8, a float64) {
		base := pixel(p)
		target := mixRGB(softLightRGB(base, col), withLuma(col, base.luma()*1.02), 0.7)
		put(p, base, target, a*strength)
	})
}

// jawPolygon is the face inside the jaw line (0-16), closed across the
// brows.
func jawPolygon(s *landmarks.Shape) []fpoint {
	return pointsOf(s, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17)
}

// Spec describes the blush as a client would ask for it.
func (b Blush) Spec() Spec {
	s := b.Strength
	return Spec{Name: "blush", Color: hexOf(b.Color), Strength: &s}
}
