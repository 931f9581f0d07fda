package effects

import (
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

type guidedBufs struct{ y, meanY, corr, a, b, tmp []float32 }

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
	if roi.Dx() < 4 || roi.Dy() < 4 {
		return
	}
	m := newMask(roi)
	defer m.release()
	m.fill(skin, 255)
	// The features, a little enlarged, are left out before feathering so
	// the smoothing fades out around them...
	m.cut(scaleAbout(eyePolygon(s, true), 1.6))
	m.cut(scaleAbout(eyePolygon(s, false), 1.6))
	m.cut(browShape(s, g, true, 1.5))
	m.cut(browShape(s, g, false, 1.5))
	m.cut(scaleAbout(pointsOf(s, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59), 1.12))
	m.feather(feather)
	// ...and the eyes themselves after, so not one of their pixels changes.
	m.cut(eyePolygon(s, true))
	m.cut(eyePolygon(s, false))

	w, h := roi.Dx(), roi.Dy()
	gb := guidedPool.Get().(*guidedBufs)
	defer guidedPool.Put(gb)
	gb.size(w * h)
	for y := 0; y < h; y++ {
		row := px[(roi.Min.Y+y)*stride+roi.Min.X*3:]
		for x := 0; x < w; x++ {
			p := row[3*x:]
			gb.y[y*w+x] = (0.114*float32(p[0]) + 0.587*float32(p[1]) + 0.299*float32(p[2])) / 255
		}
	}
	// A guided filter with the luminance as its own guide (He et al.): over
	// each window, out = a*in + b with a = var/(var+eps). Where the window
	// holds only fine texture (variance under eps) it is flattened; where
	// it holds an edge it is kept. eps is a contrast of about 14/255: pores
	// and blemishes, not the nose's shading.
	r := max(1, int(math.Round(g.iod*0.08)))
	const eps = (14.0 / 255) * (14.0 / 255)
	for i, v := range gb.y {
		gb.corr[i] = v * v
	}
	boxMean(gb.y, gb.meanY, w, h, r, gb.tmp)
	boxMean(gb.corr, gb.corr, w, h, r, gb.tmp)
	for i, mean := range gb.meanY {
		v := max(0, gb.corr[i]-mean*mean)
		a := v / (v + eps)
		gb.a[i], gb.b[i] = a, mean-a*mean
	}
	boxMean(gb.a, gb.a, w, h, r, gb.tmp)
	boxMean(gb.b, gb.b, w, h, r, gb.tmp)

	strength := math.Min(f.Strength, 1)
	tone := f.Color.A != 0
	c := rgbOf(f.Color)
	for y := 0; y < h; y++ {
		row := px[(roi.Min.Y+y)*stride+roi.Min.X*3:]
		for x := 0; x < w; x++ {
			i := y*w + x
			mv := m.pix[i]
			if mv == 0 {
				continue
			}
			a := float64(mv) / 255 * strength
			p := row[3*x : 3*x+3 : 3*x+3]
			base := pixel(p)
			smooth := float64(gb.a[i]*gb.y[i] + gb.b[i])
			d := smooth - float64(gb.y[i])
			target := rgb{base.B + d, base.G + d, base.R + d}
			if tone {
				target = mixRGB(target, withLuma(c, smooth), 0.35)
			}
			put(p, base, target, a)
		}
	}
}

// boxMean writes the mean of src over (2r+1)² windows into dst (which may
// be src), windows clipped at the borders.
func boxMean(src, dst []float32, w, h, r int, tmp []float32) {
	for y := 0; y < h; y++ {
		line := src[y*w : (y+1)*w]
		out := tmp[y*w : (y+1)*w]
		var sum float32
		for x := 0; x < min(r, w); x++ {
			sum += line[x]
		}
		for x := 0; x < w; x++ {
			if j := x + r; j < w {
				sum += line[j]
			}
			if j := x - r - 1; j >= 0 {
				sum -= line[j]
			}
			out[x] = sum / float32(min(w-1, x+r)-max(0, x-r)+1)
		}
	}
	for x := 0; x < w; x++ {
		var sum float32
		for y := 0; y < min(r, h); y++ {
			sum += tmp[y*w+x]
		}
		for y := 0; y < h; y++ {
			if j := y + r; j < h {
				sum += tmp[j*w+x]
			}
			if j := y - r - 1; j >= 0 {
				sum -= tmp[j*w+x]
			}
			dst[y*w+x] = sum / float32(min(h-1, y+r)-max(0, y-r)+1)
		}
	}
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
