package effects

import (
	"image"
	"image/color"
	"math"
	"sync"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/pkg/landmarks"
)

// Foundation evens the skin: inside the jaw line (0-16) and up over the
// forehead, with the eyes, brows and lips left out, fine texture is
// softened by an edge-preserving (guided) filter on the luminance, so
// pores and blotches fade while the nose, the jaw and every feature stay
// sharp. An optional colour warms or cools the tone, at the skin's own
// light. The eyes' outlines are cut after feathering: they never change.
type Foundation struct {
	Color    color.RGBA // the tone; A == 0: none, the skin's own colour is kept
	Strength float64    // 0..1
}

// DefaultFoundation smooths without changing the skin's colour.
var DefaultFoundation = Foundation{Strength: 0.6}

// Apply evens the skin of every face in img.
func (f Foundation) Apply(img *gocv.Mat, faces []landmarks.Face) {
	px, stride, ok := frameBytes(img)
	if !ok || f.Strength <= 0 {
		return
	}
	for i := range faces {
		f.applyFace(img, px, stride, &faces[i].Points)
	}
}

// skinPolygon is the face inside the jaw line closed over the forehead:
// the brows raised by half the eyes' distance.
func skinPolygon(s *landmarks.Shape, g faceGeom) []fpoint {
	out := pointsOf(s, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)
	for _, p := range pointsOf(s, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17) {
		out = append(out, p.sub(g.down.scale(g.iod*0.45)))
	}
	return out
}

type guidedBufs struct {
	y, meanY, corr, a, b, tmp, row []float32
	qa, qb                         []int32 // shiftLuma's fixed-point coefficients
	qrow                           []int64
}

func (gb *guidedBufs) fixed(n int) {
	if cap(gb.qa) < n {
		gb.qa, gb.qb = make([]int32, n), make([]int32, n)
	}
	gb.qa, gb.qb = gb.qa[:n], gb.qb[:n]
}

// qrows are two rows of w fixed-point coefficients, blended vertically.
func (gb *guidedBufs) qrows(w int) (a, b []int64) {
	if cap(gb.qrow) < 2*w {
		gb.qrow = make([]int64, 2*w)
	}
	return gb.qrow[:w], gb.qrow[w : 2*w]
}

// rows are three rows of w floats, for the bilinear sampling.
func (gb *guidedBufs) rows(w int) (a, b, m []float32) {
	if cap(gb.row) < 3*w {
		gb.row = make([]float32, 3*w)
	}
	r := gb.row[:3*w]
	return r[:w], r[w : 2*w], r[2*w:]
}

var guidedPool = sync.Pool{New: func() any { return new(guidedBufs) }}

func (gb *guidedBufs) size(n int) {
	for _, p := range []*[]float32{&gb.y, &gb.meanY, &gb.corr, &gb.a, &gb.b, &gb.tmp} {
		if cap(*p) < n {
			*p = make([]float32, n)
		}
		*p = (*p)[:n]
	}
}

func (f Foundation) applyFace(img *gocv.Mat, px []uint8, stride int, s *landmarks.Shape) {
	g := geomOf(s)
	skin := skinPolygon(s, g)
	feather := max(1, int(math.Round(g.iod*0.05)))
	roi := clampRect(boundsOf(skin).Inset(-2*feather), img)
	// Even sizes, so each pixel of the half-resolution working copy below
	// is exactly a 2x2 block of the frame.
	roi.Max.X -= roi.Dx() % 2
	roi.Max.Y -= roi.Dy() % 2
	if roi.Dx() < 8 || roi.Dy() < 8 {
		return
	}
	// The mask and the filter's coefficients are smooth, so they are worked
	// out at half resolution (a quarter of the pixels: the effect costs a
	// face-sized region) and sampled back bilinearly; the filter itself is
	// applied to the frame's own pixels, so the finest texture goes too
	// (the "fast guided filter" of He and Sun, 2015).
	half := func(pts []fpoint) []fpoint {
		out := make([]fpoint, len(pts))
		for i, p := range pts {
			out[i] = fpoint{p.X / 2, p.Y / 2}
		}
		return out
	}
	hroi := image.Rect(roi.Min.X/2, roi.Min.Y/2, roi.Max.X/2, roi.Max.Y/2)
	if roi.Min.X%2 != 0 || roi.Min.Y%2 != 0 {
		roi.Min.X, roi.Min.Y = hroi.Min.X*2, hroi.Min.Y*2
		roi.Max.X, roi.Max.Y = hroi.Max.X*2, hroi.Max.Y*2
	}
	m := newMask(hroi)
	defer m.release()
	m.fill(half(skin), 255)
	// The features, a little enlarged, are left out before feathering so
	// the smoothing fades out around them...
	m.cut(half(scaleAbout(eyePolygon(s, true), 1.6)))
	m.cut(half(scaleAbout(eyePolygon(s, false), 1.6)))
	m.cut(half(browShape(s, g, true, 1.5)))
	m.cut(half(browShape(s, g, false, 1.5)))
	m.cut(half(scaleAbout(pointsOf(s, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59), 1.12)))
	m.feather(max(1, feather/2))
	// ...and the eyes themselves after: every half-resolution pixel that
	// touches an eye is cleared, and a frame pixel whose own half pixel is
	// clear is never changed, so not one eye pixel changes.
	m.cut(half(eyePolygon(s, true)))
	m.cut(half(eyePolygon(s, false)))

	w, h := hroi.Dx(), hroi.Dy()
	gb := guidedPool.Get().(*guidedBufs)
	defer guidedPool.Put(gb)
	gb.size(w * h)
	for y := 0; y < h; y++ {
		r0 := px[(roi.Min.Y+2*y)*stride+roi.Min.X*3:][:6*w]
		r1 := px[(roi.Min.Y+2*y+1)*stride+roi.Min.X*3:][:6*w]
		out := gb.y[y*w : (y+1)*w]
		for x := range out {
			p, q := r0[6*x:6*x+6:6*x+6], r1[6*x:6*x+6:6*x+6]
			// The 2x2 block's luma8 at once: each channel's four values
			// summed, then weighted.
			b := int(p[0]) + int(p[3]) + int(q[0]) + int(q[3])
			g := int(p[1]) + int(p[4]) + int(q[1]) + int(q[4])
			r := int(p[2]) + int(p[5]) + int(q[2]) + int(q[5])
			v := float32(29*b+150*g+77*r) * (1.0 / (4 * 255 * 256))
			out[x] = v
			gb.corr[y*w+x] = v * v
		}
	}
	// A guided filter with the luminance as its own guide (He et al.): over
	// each window, out = a*in + b with a = var/(var+eps). Where the window
	// holds only fine texture (variance under eps) it is flattened; where
	// it holds an edge it is kept. eps is a contrast of about 14/255: pores
	// and blemishes, not the nose's shading.
	r := max(1, int(math.Round(g.iod*0.04)))
	const eps = (14.0 / 255) * (14.0 / 255)
	// The four box means are OpenCV's (vectorised) over the buffers' own
	// memory: as Go loops they were a third of the effect's cost. The
	// windows reflect at the region's border, where the mask is nearly 0.
	my, mc, mm, mt := matF32(gb.y, w, h), matF32(gb.corr, w, h), matF32(gb.meanY, w, h), matF32(gb.tmp, w, h)
	defer my.Close()
	defer mc.Close()
	defer mm.Close()
	defer mt.Close()
	k := image.Pt(2*r+1, 2*r+1)
	gocv.Blur(my, &mm, k)
	gocv.Blur(mc, &mt, k)
	for i, mean := range gb.meanY {
		v := max(0, gb.tmp[i]-mean*mean)
		a := v / (v + eps)
		gb.y[i], gb.corr[i] = a, mean-a*mean
	}
	// a and b, smoothed, into a and b (y and corr are free now).
	ma, mb := matF32(gb.a, w, h), matF32(gb.b, w, h)
	defer ma.Close()
	defer mb.Close()
	gocv.Blur(my, &ma, k)
	gocv.Blur(mc, &mb, k)

	strength := float32(math.Min(f.Strength, 1)) / 255
	tone := f.Color.A != 0
	tone8 := [3]float32{float32(f.Color.B), float32(f.Color.G), float32(f.Color.R)}
	cy := float32(rgbOf(f.Color).luma())
	if !tone {
		f.shiftLuma(px, stride, roi, m, gb, strength)
		return
	}
	rowA, rowB, rowM := gb.rows(w)
	for y := 0; y < roi.Dy(); y++ {
		row := px[(roi.Min.Y+y)*stride+roi.Min.X*3:]
		// Bilinear sampling of the half-resolution maps: frame pixel x sits
		// at (x-0.5)/2 in them. The rows are blended once per frame row,
		// then each pixel blends two neighbours.
		hy := min(h-1, y/2)
		fy := float32(y%2)*0.5 - 0.25
		y1 := hy + 1
		if fy < 0 {
			y1, fy = hy-1, -fy
		}
		y1 = max(0, min(h-1, y1))
		mrow := m.pix[hy*w : (hy+1)*w]
		for i := range w {
			j, k := hy*w+i, y1*w+i
			rowA[i] = gb.a[j] + fy*(gb.a[k]-gb.a[j])
			rowB[i] = gb.b[j] + fy*(gb.b[k]-gb.b[j])
			rowM[i] = float32(m.pix[j]) + fy*(float32(m.pix[k])-float32(m.pix[j]))
		}
		for x := 0; x < roi.Dx(); x++ {
			hx := min(w-1, x/2)
			if mrow[hx] == 0 {
				continue
			}
			fx := float32(x%2)*0.5 - 0.25
			x1 := hx + 1
			if fx < 0 {
				x1, fx = hx-1, -fx
			}
			x1 = max(0, min(w-1, x1))
			a := rowA[hx] + fx*(rowA[x1]-rowA[hx])
			b := rowB[hx] + fx*(rowB[x1]-rowB[hx])
			mv := rowM[hx] + fx*(rowM[x1]-rowM[hx])
			p := row[3*x : 3*x+3 : 3*x+3]
			yv := float32(luma8(p)) * (1.0 / (255 * 256))
			d := (a*yv + b - yv) * 255
			alpha := mv * strength
			if !tone {
				// Luminance only: the same shift on every channel.
				dv := int(d*alpha+256.5) - 256 // rounded
				p[0], p[1], p[2] = add8(p[0], dv), add8(p[1], dv), add8(p[2], dv)
				continue
			}
			// The tone: its colour at the smoothed luminance (put back in
			// range by the clamping), a third of the way.
			dt := (a*yv + b - cy) * 255
			for ch := range 3 {
				v := float32(p[ch])
				target := 0.65*(v+d) + 0.35*(tone8[ch]+dt)
				p[ch] = uint8(max(0, min(255, v+alpha*(target-v)+0.5)))
			}
		}
	}
}

// shiftLuma applies the filter without a tone, the common case, at its
// cheapest: the mask and the strength are folded into the coefficients at
// half resolution, so that a frame pixel's change is A*luma + B, with A
// and B sampled bilinearly, the same on every channel. A and B are fixed
// point (2^-24 of a level per unit of luma8), and the bilinear weights
// (3/4 and 1/4 each way) are folded in as integers: the pass over the
// frame's pixels is integer multiply-adds, with no conversions.
func (f Foundation) shiftLuma(px []uint8, stride int, roi image.Rectangle, m *mask, gb *guidedBufs, strength float32) {
	w, h := m.w, m.h
	gb.fixed(w * h)
	const one = 1 << 24
	for i, mv := range m.pix {
		// luma8 is luminance*256 in 0..255*256; the change is in levels.
		// Truncating to 2^-24 of a level is exact enough.
		alpha := float32(mv) * strength * one
		gb.qa[i] = int32(alpha * (gb.a[i] - 1) * (1.0 / 256))
		gb.qb[i] = int32(alpha * gb.b[i] * 255)
	}
	rowA, rowB := gb.qrows(w)
	// The result is scaled by 16 (4 for each direction's weights) and by
	// 2^24; adding half and shifting rounds it.
	const shift, half = 24 + 4, 1 << (24 + 4 - 1)
	for y := 0; y < roi.Dy(); y++ {
		row := px[(roi.Min.Y+y)*stride+roi.Min.X*3:]
		// Frame row y sits a quarter of a half row from its half row's
		// centre: 3/4 of that row and 1/4 of the next one on its side.
		hy := min(h-1, y/2)
		y1 := hy + 1
		if y%2 == 0 {
			y1 = hy - 1
		}
		y1 = max(0, min(h-1, y1))
		qa, qb := gb.qa[hy*w:(hy+1)*w], gb.qb[hy*w:(hy+1)*w]
		na, nb := gb.qa[y1*w:(y1+1)*w], gb.qb[y1*w:(y1+1)*w]
		for i := range w {
			rowA[i] = 3*int64(qa[i]) + int64(na[i])
			rowB[i] = 3*int64(qb[i]) + int64(nb[i])
		}
		mrow := m.pix[hy*w : (hy+1)*w]
		// The two frame pixels of half pixel hx sit a quarter of a half
		// pixel left and right of its centre: each takes 3/4 of it and 1/4
		// of its neighbour on that side.
		for hx, mv := range mrow {
			if mv == 0 { // this keeps the eyes exact: see applyFace
				continue
			}
			l, r := max(0, hx-1), min(w-1, hx+1)
			p := row[6*hx : 6*hx+6 : 6*hx+6]
			a := 3*rowA[hx] + rowA[l]
			b := 3*rowB[hx] + rowB[l]
			dv := int((a*int64(luma8(p[0:3])) + b + half) >> shift)
			p[0], p[1], p[2] = add8(p[0], dv), add8(p[1], dv), add8(p[2], dv)
			a = 3*rowA[hx] + rowA[r]
			b = 3*rowB[hx] + rowB[r]
			dv = int((a*int64(luma8(p[3:6])) + b + half) >> shift)
			p[3], p[4], p[5] = add8(p[3], dv), add8(p[4], dv), add8(p[5], dv)
		}
	}
}

// luma8 is a BGR pixel's luminance times 256 (Rec. 601 weights).
func luma8(p []uint8) int {
	return 29*int(p[0]) + 150*int(p[1]) + 77*int(p[2])
}

// add8 is v+d clamped to a byte.
func add8(v uint8, d int) uint8 {
	return uint8(max(0, min(255, int(v)+d)))
}

// Spec describes the foundation as a client would ask for it.
func (f Foundation) Spec() Spec {
	s := f.Strength
	sp := Spec{Name: "foundation", Strength: &s}
	if f.Color.A != 0 {
		sp.Color = hexOf(f.Color)
	}
	return sp
}
