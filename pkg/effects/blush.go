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
	tint := b.tintTable()
	for i := range faces {
		b.applyFace(img, px, stride, &faces[i].Points, &tint)
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

// blushTint is the blush's target colour as a function of the pixel:
// target[ch] = byChannel[ch][pixel[ch]] + perLuma*luma, in levels. The
// soft light of the colour over a channel depends on that channel alone,
// so it is a table of 256 made once per frame, not a square root per
// pixel.
type blushTint struct {
	byChannel [3][256]float32
	perLuma   float32
}

func (b Blush) tintTable() blushTint {
	col := rgbOf(b.Color)
	cy := col.luma()
	var t blushTint
	// The blush's hue at the skin's own light, 0.7 of it (kept in gamut by
	// the clamping), over 0.3 of soft light for depth.
	const tintShare = 0.7
	t.perLuma = tintShare * 1.02
	for ch, c := range [3]float64{col.B, col.G, col.R} {
		for v := range 256 {
			t.byChannel[ch][v] = float32(255 * ((1-tintShare)*softLight(float64(v)/255, c) + tintShare*(c-cy)))
		}
	}
	return t
}

// glowReach is where the glow ends, in its radii squared.
const glowReach = 2.2

func (b Blush) applyFace(img *gocv.Mat, px []uint8, stride int, s *landmarks.Shape, tint *blushTint) {
	g := geomOf(s)
	// Both cheeks read one mask of the face: the jaw line closed over the
	// eyes, feathered so the glow fades before the face's edge.
	var centres [2]fpoint
	var rois [2]image.Rectangle
	var r float64
	var all image.Rectangle
	for i, right := range []bool{true, false} {
		centres[i], r = cheekCentre(s, g, right)
		// The glow's radii across and down the face are 1.15 r and 0.9 r;
		// it reaches zero at sqrt(glowReach) of them.
		ext := math.Sqrt(glowReach) * r * 1.15
		c := centres[i]
		rois[i] = clampRect(boundsOf([]fpoint{c.sub(fpoint{ext, ext}), c.add(fpoint{ext, ext})}), img)
		all = all.Union(rois[i])
	}
	if all.Dx() < 2 || all.Dy() < 2 {
		return
	}
	// The face's mask is smooth, so it is drawn at half resolution (a
	// quarter of the pixels to feather) and read back per 2x2 block.
	hroi := image.Rect(all.Min.X/2, all.Min.Y/2, (all.Max.X+1)/2, (all.Max.Y+1)/2)
	m := newMask(hroi)
	defer m.release()
	var half [27]fpoint
	jaw := jawPolygon(s)
	for i, p := range jaw {
		half[i] = fpoint{p.X / 2, p.Y / 2}
	}
	m.fill(half[:len(jaw)], 255)
	m.feather(max(1, int(math.Round(r*0.125))))
	// The eyes never take colour, however small the face: every half pixel
	// that touches one is cleared, and a frame pixel reads its own.
	for _, right := range []bool{true, false} {
		eye := eyePolygon(s, right)
		for i, p := range eye {
			half[i] = fpoint{p.X / 2, p.Y / 2}
		}
		m.cut(half[:len(eye)])
	}
	for i := range centres {
		b.glow(px, stride, m, rois[i], centres[i], r, g, tint)
	}
}

// glow tints one cheek through the face's mask m: round, a little wider
// than tall, turned with the face, with a falloff close to a Gaussian's,
// exp(-2.2 d²), that reaches zero, (1-d²/2.2)^4: no edge at the region's
// border, and pixels past it cost nothing.
func (b Blush) glow(px []uint8, stride int, m *mask, roi image.Rectangle, c fpoint, r float64, g faceGeom, tint *blushTint) {
	rx, ry := r*1.15, r*0.9
	// u and v, the pixel's offsets across and down the face in radii, step
	// by these along a row.
	dux, dvx := float32(g.across.X/rx), float32(g.down.X/ry)
	strength := float32(math.Min(b.Strength, 1) / 255)
	for y := roi.Min.Y; y < roi.Max.Y; y++ {
		dy := float64(y) + 0.5 - c.Y
		dx := float64(roi.Min.X) + 0.5 - c.X
		u := float32((dx*g.across.X + dy*g.across.Y) / rx)
		v := float32((dx*g.down.X + dy*g.down.Y) / ry)
		mrow := m.pix[(y/2-m.rect.Min.Y)*m.w:][:m.w]
		row := px[y*stride:][:stride]
		for x := roi.Min.X; x < roi.Max.X; x, u, v = x+1, u+dux, v+dvx {
			d2 := u*u + v*v
			if d2 >= glowReach {
				continue
			}
			mv := mrow[x/2-m.rect.Min.X]
			if mv == 0 {
				continue
			}
			w := 1 - d2*(1/glowReach)
			w *= w
			a := float32(mv) * w * w * strength
			p := row[3*x : 3*x+3 : 3*x+3]
			pb, pg, pr := float32(p[0]), float32(p[1]), float32(p[2])
			l := tint.perLuma * (0.114*pb + 0.587*pg + 0.299*pr)
			p[0] = clampLevel(pb + a*(tint.byChannel[0][p[0]]+l-pb))
			p[1] = clampLevel(pg + a*(tint.byChannel[1][p[1]]+l-pg))
			p[2] = clampLevel(pr + a*(tint.byChannel[2][p[2]]+l-pr))
		}
	}
}

// clampLevel rounds a level to a byte, clamped.
func clampLevel(v float32) uint8 {
	return uint8(max(0, min(255, int32(v+0.5))))
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
