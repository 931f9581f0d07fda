package effects

import (
	"image"
	"image/color"
	"math"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/pkg/landmarks"
)

// Blush warms the apples of the cheeks: a soft round glow under each eye,
// centred between the eye, the mouth corner and the jaw (points 36-41 or
// 42-47, 48 or 54, 2 or 14), kept inside the jaw line (0-16) and off the
// eyes. Its hue is laid on the skin's own light, with some soft light, so
// it tints the skin without covering it.
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
	// The glow's radii across and down the face; it reaches zero at
	// sqrt(glowReach) of them.
	rx, ry := r*1.15, r*0.9
	const glowReach = 2.2
	ext := math.Sqrt(glowReach) * math.Max(rx, ry)
	roi := clampRect(boundsOf([]fpoint{c.sub(fpoint{ext, ext}), c.add(fpoint{ext, ext})}), img)
	if roi.Dx() < 2 || roi.Dy() < 2 {
		return
	}
	// The face's mask is smooth, so it is drawn at half resolution (a
	// quarter of the pixels to feather) and read back per 2x2 block.
	half := func(pts []fpoint) []fpoint {
		out := make([]fpoint, len(pts))
		for i, p := range pts {
			out[i] = fpoint{p.X / 2, p.Y / 2}
		}
		return out
	}
	hroi := image.Rect(roi.Min.X/2, roi.Min.Y/2, (roi.Max.X+1)/2, (roi.Max.Y+1)/2)
	m := newMask(hroi)
	defer m.release()
	// Inside the face: the jaw line closed over the eyes, feathered so the
	// glow fades before the face's edge.
	m.fill(half(jawPolygon(s)), 255)
	m.feather(max(1, int(math.Round(r*0.125))))
	// The eyes never take colour, however small the face: every half pixel
	// that touches one is cleared, and a frame pixel reads its own.
	m.cut(half(eyePolygon(s, true)))
	m.cut(half(eyePolygon(s, false)))
	col := rgbOf(b.Color)
	cy := col.luma()
	strength := math.Min(b.Strength, 1) / 255
	// The glow: round, a little wider than tall, turned with the face, with
	// a falloff close to a Gaussian's, exp(-2.2 d²), that reaches zero,
	// (1-d²/2.2)^4: no edge at the region's border, and pixels past it
	// cost nothing.
	for y := roi.Min.Y; y < roi.Max.Y; y++ {
		dy := float64(y) + 0.5 - c.Y
		mrow := m.pix[(y/2-hroi.Min.Y)*m.w:]
		row := px[y*stride:]
		for x := roi.Min.X; x < roi.Max.X; x++ {
			mv := mrow[x/2-hroi.Min.X]
			if mv == 0 {
				continue
			}
			dx := float64(x) + 0.5 - c.X
			u := (dx*g.across.X + dy*g.across.Y) / rx
			v := (dx*g.down.X + dy*g.down.Y) / ry
			d2 := u*u + v*v
			if d2 >= glowReach {
				continue
			}
			w := 1 - d2/glowReach
			w *= w
			p := row[3*x : 3*x+3 : 3*x+3]
			base := pixel(p)
			// The blush's hue at the skin's own light (kept in gamut by
			// put's clamping), with some soft light for depth.
			d := base.luma()*1.02 - cy
			tint := rgb{col.B + d, col.G + d, col.R + d}
			target := mixRGB(softLightRGB(base, col), tint, 0.7)
			put(p, base, target, float64(mv)*w*w*strength)
		}
	}
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
