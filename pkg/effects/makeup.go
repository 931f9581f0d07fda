package effects

import (
	"image"
	"image/color"
	"math"
	"sort"
	"sync"
	"unsafe"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/pkg/landmarks"
)

// This file holds what the makeup effects (eyeliner, eyeshadow, brows,
// blush, foundation, lipstick's finishes) share: a coverage mask over a
// small rectangle of the frame, drawn from the 68 points, feathered, and
// blended through. Masks live in Go memory from a pool, so a frame
// allocates nothing big: a face's masks are a few kilobytes, reused.

// fpoint is a point in frame pixels with sub-pixel precision.
type fpoint struct{ X, Y float64 }

func fp(p image.Point) fpoint { return fpoint{float64(p.X), float64(p.Y)} }

func (a fpoint) add(b fpoint) fpoint       { return fpoint{a.X + b.X, a.Y + b.Y} }
func (a fpoint) sub(b fpoint) fpoint       { return fpoint{a.X - b.X, a.Y - b.Y} }
func (a fpoint) scale(k float64) fpoint    { return fpoint{a.X * k, a.Y * k} }
func (a fpoint) len() float64              { return math.Hypot(a.X, a.Y) }
func lerpPt(a, b fpoint, t float64) fpoint { return a.add(b.sub(a).scale(t)) }
func (a fpoint) unit() fpoint              { return a.scale(1 / math.Max(a.len(), 1e-9)) }
func (a fpoint) perp() fpoint              { return fpoint{-a.Y, a.X} }
func (a fpoint) rotate(rad float64) fpoint {
	s, c := math.Sincos(rad)
	return fpoint{a.X*c - a.Y*s, a.X*s + a.Y*c}
}
func (a fpoint) dot(b fpoint) float64     { return a.X*b.X + a.Y*b.Y }
func centroidOf(pts ...fpoint) (c fpoint) { return sumPts(pts).scale(1 / float64(len(pts))) }
func sumPts(pts []fpoint) (s fpoint) {
	for _, p := range pts {
		s = s.add(p)
	}
	return s
}
func pointsOf(s *landmarks.Shape, idx ...int) []fpoint {
	out := make([]fpoint, len(idx))
	for i, k := range idx {
		out[i] = fp(s[k])
	}
	return out
}

// faceGeom is the scale and orientation of a face, for sizing regions.
type faceGeom struct {
	rightEye, leftEye fpoint // eye centres (the subject's right is image left)
	iod               float64
	across            fpoint // unit vector from the right eye to the left
	down              fpoint // unit vector down the face, perpendicular to across
}

func geomOf(s *landmarks.Shape) faceGeom {
	var g faceGeom
	g.rightEye = centroidOf(pointsOf(s, 36, 37, 38, 39, 40, 41)...)
	g.leftEye = centroidOf(pointsOf(s, 42, 43, 44, 45, 46, 47)...)
	d := g.leftEye.sub(g.rightEye)
	g.iod = math.Max(d.len(), 1)
	g.across = d.unit()
	g.down = g.across.perp()
	return g
}

// smoothCurve resamples an open polyline with Catmull-Rom splines, n
// samples per segment, so region outlines built on 4-6 landmarks are round
// rather than angular.
func smoothCurve(pts []fpoint, n int) []fpoint {
	if len(pts) < 3 {
		return pts
	}
	out := make([]fpoint, 0, (len(pts)-1)*n+1)
	at := func(i int) fpoint { return pts[max(0, min(len(pts)-1, i))] }
	for i := 0; i < len(pts)-1; i++ {
		p0, p1, p2, p3 := at(i-1), at(i), at(i+1), at(i+2)
		if i == 0 {
			p0 = p1.sub(p2.sub(p1))
		}
		if i == len(pts)-2 {
			p3 = p2.add(p2.sub(p1))
		}
		for k := 0; k < n; k++ {
			t := float64(k) / float64(n)
			t2, t3 := t*t, t*t*t
			out = append(out, fpoint{
				0.5 * (2*p1.X + (-p0.X+p2.X)*t + (2*p0.X-5*p1.X+4*p2.X-p3.X)*t2 + (-p0.X+3*p1.X-3*p2.X+p3.X)*t3),
				0.5 * (2*p1.Y + (-p0.Y+p2.Y)*t + (2*p0.Y-5*p1.Y+4*p2.Y-p3.Y)*t2 + (-p0.Y+3*p1.Y-3*p2.Y+p3.Y)*t3),
			})
		}
	}
	return append(out, pts[len(pts)-1])
}

// scaleAbout moves pts away from (k > 1) or toward their centroid.
func scaleAbout(pts []fpoint, k float64) []fpoint {
	c := centroidOf(pts...)
	out := make([]fpoint, len(pts))
	for i, p := range pts {
		out[i] = c.add(p.sub(c).scale(k))
	}
	return out
}

func boundsOf(pts ...[]fpoint) image.Rectangle {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, ps := range pts {
		for _, p := range ps {
			minX, maxX = math.Min(minX, p.X), math.Max(maxX, p.X)
			minY, maxY = math.Min(minY, p.Y), math.Max(maxY, p.Y)
		}
	}
	return image.Rect(int(math.Floor(minX)), int(math.Floor(minY)), int(math.Ceil(maxX))+1, int(math.Ceil(maxY))+1)
}

// mask is coverage, 0..255, over rect (frame coordinates), row-major.
type mask struct {
	rect image.Rectangle
	w, h int
	pix  []uint8
	src  []uint8   // blur scratch, the mask between passes
	lo   []float64 // cut scratch, each row's span
	hi   []float64
	xs   []float64 // polygon crossings, one row
}

var maskPool = sync.Pool{New: func() any { return new(mask) }}

// newMask gives a cleared mask over r, from the pool; release it after use.
func newMask(r image.Rectangle) *mask {
	m := maskPool.Get().(*mask)
	m.rect, m.w, m.h = r, r.Dx(), r.Dy()
	n := m.w * m.h
	if cap(m.pix) < n {
		m.pix = make([]uint8, n)
	} else {
		m.pix = m.pix[:n]
		clear(m.pix)
	}
	return m
}

func (m *mask) release() { maskPool.Put(m) }

// spans calls f for each row's runs of pixels whose centres are inside the
// polygon (even-odd rule), in mask coordinates.
func (m *mask) spans(poly []fpoint, f func(y, x0, x1 int)) {
	if len(poly) < 3 {
		return
	}
	ox, oy := float64(m.rect.Min.X), float64(m.rect.Min.Y)
	for y := 0; y < m.h; y++ {
		yc := oy + float64(y) + 0.5
		m.xs = m.xs[:0]
		for i := range poly {
			a, b := poly[i], poly[(i+1)%len(poly)]
			if (a.Y <= yc) == (b.Y <= yc) {
				continue
			}
			m.xs = append(m.xs, a.X+(yc-a.Y)*(b.X-a.X)/(b.Y-a.Y)-ox)
		}
		sort.Float64s(m.xs)
		for i := 0; i+1 < len(m.xs); i += 2 {
			x0 := max(0, int(math.Ceil(m.xs[i]-0.5)))
			x1 := min(m.w, int(math.Ceil(m.xs[i+1]-0.5)))
			if x0 < x1 {
				f(y, x0, x1)
			}
		}
	}
}

// fill raises the polygon's pixels to at least v.
func (m *mask) fill(poly []fpoint, v uint8) {
	m.spans(poly, func(y, x0, x1 int) {
		row := m.pix[y*m.w+x0 : y*m.w+x1]
		for i, p := range row {
			row[i] = max(p, v)
		}
	})
}

// cut clears every pixel the polygon touches, even at a corner: what must
// never change (an eye) is cut after feathering, so nothing bleeds into it.
// Each row's span is the polygon clipped to the row's strip, which covers
// the row exactly for convex outlines such as an eye's. Each edge updates
// only the rows it crosses.
func (m *mask) cut(poly []fpoint) {
	if len(poly) == 0 || m.h == 0 {
		return
	}
	ox, oy := float64(m.rect.Min.X), float64(m.rect.Min.Y)
	if cap(m.lo) < m.h {
		m.lo, m.hi = make([]float64, m.h), make([]float64, m.h)
	}
	lo, hi := m.lo[:m.h], m.hi[:m.h]
	for y := range lo {
		lo[y], hi[y] = math.Inf(1), math.Inf(-1)
	}
	for i := range poly {
		a, b := poly[i], poly[(i+1)%len(poly)]
		if a.Y > b.Y {
			a, b = b, a
		}
		// Rows whose strip [y, y+1] meets the edge's [a.Y, b.Y].
		y0 := max(0, int(math.Ceil(a.Y-oy))-1)
		y1 := min(m.h-1, int(math.Floor(b.Y-oy)))
		for y := y0; y <= y1; y++ {
			s0, s1 := oy+float64(y), oy+float64(y)+1
			if b.Y < s0 || a.Y > s1 {
				continue
			}
			var xa, xb float64
			if b.Y == a.Y {
				xa, xb = a.X, b.X
			} else {
				k := (b.X - a.X) / (b.Y - a.Y)
				xa = a.X + (math.Max(a.Y, s0)-a.Y)*k
				xb = a.X + (math.Min(b.Y, s1)-a.Y)*k
			}
			lo[y] = math.Min(lo[y], math.Min(xa, xb))
			hi[y] = math.Max(hi[y], math.Max(xa, xb))
		}
	}
	for y := range lo {
		if lo[y] > hi[y] {
			continue
		}
		x0 := max(0, int(math.Floor(lo[y]-ox)))
		x1 := min(m.w, int(math.Floor(hi[y]-ox))+1)
		if x0 < x1 {
			clear(m.pix[y*m.w+x0 : y*m.w+x1])
		}
	}
}

// feather blurs the mask with two box passes each way (a tent of width
// 4r+1, smooth enough for a mask's edge and a third cheaper than the
// three passes that approach a Gaussian), so edges fade over about 2r
// pixels. The passes are OpenCV's box filter (vectorised; the Go loops it
// replaced were a fifth of a full look's cost) run on the mask's own Go
// memory. Its border reflects the mask; callers leave a margin of 2r or
// more round what they fill, so nothing reaches the border to reflect,
// except where the frame's edge cuts a region, which then runs to the edge
// rather than fading before it.
func (m *mask) feather(r int) {
	if r < 1 || m.w < 2 || m.h < 2 {
		return
	}
	if cap(m.src) < len(m.pix) {
		m.src = make([]uint8, len(m.pix))
	}
	m.src = m.src[:len(m.pix)]
	a, b := matU8(m.pix, m.w, m.h), matU8(m.src, m.w, m.h)
	defer a.Close()
	defer b.Close()
	k := image.Pt(2*r+1, 2*r+1)
	gocv.Blur(a, &b, k)
	gocv.Blur(b, &a, k)
}

// matU8 and matF32 are Mat headers over Go memory (w x h, one channel, no
// copy), for running OpenCV's filters on pooled buffers: nothing is
// allocated in C but the header, which the caller closes. Go's collector
// does not move heap memory, and the caller keeps the slice alive.
func matU8(p []uint8, w, h int) gocv.Mat {
	m, err := gocv.NewMatFromBytes(h, w, gocv.MatTypeCV8UC1, p[:w*h])
	if err != nil {
		panic(err) // only for an empty slice, which callers rule out
	}
	return m
}

func matF32(p []float32, w, h int) gocv.Mat {
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(p))), 4*w*h)
	m, err := gocv.NewMatFromBytes(h, w, gocv.MatTypeCV32FC1, b)
	if err != nil {
		panic(err)
	}
	return m
}

// frameBytes is img's BGR bytes and row stride, or false if img is not a
// continuous CV_8UC3 frame.
func frameBytes(img *gocv.Mat) ([]uint8, int, bool) {
	if img.Empty() || img.Type() != gocv.MatTypeCV8UC3 {
		return nil, 0, false
	}
	px, err := img.DataPtrUint8()
	if err != nil {
		return nil, 0, false
	}
	return px, img.Cols() * 3, true
}

// makeupReach is how far past a face's landmarks, in eye spacings, the
// makeup effects other than lipstick (which says where its lips are) read
// and draw. Foundation's forehead, 0.45 of the spacing above the brows,
// and its feather reach farthest; TestEffectsStayInTheirArea fails at 0.5.
const makeupReach = 0.6

// makeupArea is where the makeup effects read and draw for faces in a
// picture of size (see Area): each face's landmarks and makeupReach
// around them.
func makeupArea(size image.Point, faces []landmarks.Face) []image.Rectangle {
	out := make([]image.Rectangle, 0, len(faces))
	for i := range faces {
		s := &faces[i].Points
		reach := int(math.Ceil(geomOf(s).iod*makeupReach)) + 4
		r := bounds(s[:]).Inset(-reach).Intersect(image.Rectangle{Max: size})
		if !r.Empty() {
			out = append(out, r)
		}
	}
	return out
}

// Area is where Apply reads and draws for faces in a picture of size
// (makeupArea): the rest of the picture may hold anything, and is left as
// it is.
func (e Eyeliner) Area(size image.Point, faces []landmarks.Face) []image.Rectangle {
	return makeupArea(size, faces)
}

// Area is as Eyeliner's.
func (e Eyeshadow) Area(size image.Point, faces []landmarks.Face) []image.Rectangle {
	return makeupArea(size, faces)
}

// Area is as Eyeliner's.
func (b Brows) Area(size image.Point, faces []landmarks.Face) []image.Rectangle {
	return makeupArea(size, faces)
}

// Area is as Eyeliner's.
func (b Blush) Area(size image.Point, faces []landmarks.Face) []image.Rectangle {
	return makeupArea(size, faces)
}

// Area is as Eyeliner's.
func (f Foundation) Area(size image.Point, faces []landmarks.Face) []image.Rectangle {
	return makeupArea(size, faces)
}

// clampRect is r inside the frame, or empty.
func clampRect(r image.Rectangle, img *gocv.Mat) image.Rectangle {
	return r.Intersect(image.Rect(0, 0, img.Cols(), img.Rows()))
}

// lumaBlend is how eyeliner, eyeshadow and brows colour a pixel: toward
// target[ch] = scale[ch]*pixel[ch] + byLuma[y][ch] (levels), by the mask's
// coverage times byLuma[y][3], where y is the pixel's luminance. Each
// effect's colour math depends on the pixel only through its channels
// linearly and its luminance otherwise, so it is a table of 256 made once
// a frame, and the pass over the pixels is a few multiply-adds, not the
// float64 colour functions per pixel it replaced.
type lumaBlend struct {
	scale  [3]float32
	byLuma [256][4]float32
}

// apply blends the pixels m covers, at gain times its coverage (0..255),
// at most fully.
func (lb *lumaBlend) apply(m *mask, px []uint8, stride int, gain float32) {
	for y := 0; y < m.h; y++ {
		row := px[(m.rect.Min.Y+y)*stride+m.rect.Min.X*3:][:3*m.w]
		for x, mv := range m.pix[y*m.w : (y+1)*m.w] {
			if mv == 0 {
				continue
			}
			p := row[3*x : 3*x+3 : 3*x+3]
			e := &lb.byLuma[(luma8(p)+128)>>8]
			a := min(1, float32(mv)*gain*e[3])
			for c := range 3 {
				v := float32(p[c])
				p[c] = clampLevel(v + a*(lb.scale[c]*v+e[c]-v))
			}
		}
	}
}

// lumaLevel is table entry i's luminance, 0..1.
func lumaLevel(i int) float64 { return float64(i) / 255 }

// rgb is a colour with channels 0..1.
type rgb struct{ B, G, R float64 }

func rgbOf(c color.RGBA) rgb {
	return rgb{float64(c.B) / 255, float64(c.G) / 255, float64(c.R) / 255}
}

func (c rgb) luma() float64 { return 0.114*c.B + 0.587*c.G + 0.299*c.R }

func pixel(p []uint8) rgb {
	return rgb{float64(p[0]) / 255, float64(p[1]) / 255, float64(p[2]) / 255}
}

// put blends p toward target by a.
func put(p []uint8, base, target rgb, a float64) {
	p[0] = unit8(base.B + a*(target.B-base.B))
	p[1] = unit8(base.G + a*(target.G-base.G))
	p[2] = unit8(base.R + a*(target.R-base.R))
}

func unit8(v float64) uint8 {
	x := v*255 + 0.5
	switch {
	case x <= 0:
		return 0
	case x >= 255:
		return 255
	}
	return uint8(x)
}

// softLight is the W3C soft-light blend of colour c over base b: it tints
// without flattening, as the base's shading shows through.
func softLight(b, c float64) float64 {
	if c <= 0.5 {
		return b - (1-2*c)*b*(1-b)
	}
	var d float64
	if b <= 0.25 {
		d = ((16*b-12)*b + 4) * b
	} else {
		d = math.Sqrt(b)
	}
	return b + (2*c-1)*(d-b)
}

func mixRGB(a, b rgb, t float64) rgb {
	return rgb{a.B + t*(b.B-a.B), a.G + t*(b.G-a.G), a.R + t*(b.R-a.R)}
}

// withLuma is c recoloured to luma y: the colour's hue and saturation on
// the skin's own light and shade, so texture shows through.
func withLuma(c rgb, y float64) rgb {
	d := y - c.luma()
	return clipChroma(rgb{c.B + d, c.G + d, c.R + d}, y)
}

// clipChroma brings an out-of-gamut colour back in, keeping its luma.
func clipChroma(c rgb, y float64) rgb {
	lo, hi := c.B, c.B
	for _, v := range [2]float64{c.G, c.R} {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	if lo >= 0 && hi <= 1 {
		return c
	}
	k := 1.0
	if lo < 0 {
		k = math.Min(k, y/math.Max(y-lo, 1e-9))
	}
	if hi > 1 {
		k = math.Min(k, (1-y)/math.Max(hi-y, 1e-9))
	}
	return rgb{y + (c.B-y)*k, y + (c.G-y)*k, y + (c.R-y)*k}
}

func hexOf(c color.RGBA) string {
	const digits = "0123456789abcdef"
	return string([]byte{'#', digits[c.R>>4], digits[c.R&15], digits[c.G>>4], digits[c.G&15], digits[c.B>>4], digits[c.B&15]})
}

// eyePolygon is the eye's own outline, 36-41 or 42-47: the pixels eyeliner
// and eyeshadow must leave alone.
func eyePolygon(s *landmarks.Shape, right bool) []fpoint {
	if right {
		return pointsOf(s, 36, 37, 38, 39, 40, 41)
	}
	return pointsOf(s, 42, 43, 44, 45, 46, 47)
}

// upperLid is the upper eye contour from the inner corner to the outer.
func upperLid(s *landmarks.Shape, right bool) []fpoint {
	if right {
		return pointsOf(s, 39, 38, 37, 36)
	}
	return pointsOf(s, 42, 43, 44, 45)
}

// browPoints are a brow's five points from its inner end to its outer.
func browPoints(s *landmarks.Shape, right bool) []fpoint {
	if right {
		return pointsOf(s, 21, 20, 19, 18, 17)
	}
	return pointsOf(s, 22, 23, 24, 25, 26)
}
