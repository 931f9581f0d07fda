package effects

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// touches says whether the convex polygon poly meets the open unit square
// of pixel (x, y): a separating-axis test over the square's two axes and
// the polygon's edge normals.
func touches(poly []fpoint, x, y int) bool {
	sq := []fpoint{{float64(x), float64(y)}, {float64(x + 1), float64(y)}, {float64(x + 1), float64(y + 1)}, {float64(x), float64(y + 1)}}
	axes := []fpoint{{1, 0}, {0, 1}}
	for i := range poly {
		axes = append(axes, poly[(i+1)%len(poly)].sub(poly[i]).perp())
	}
	const eps = 1e-9
	for _, ax := range axes {
		lo1, hi1 := math.Inf(1), math.Inf(-1)
		for _, p := range poly {
			lo1, hi1 = math.Min(lo1, p.dot(ax)), math.Max(hi1, p.dot(ax))
		}
		lo2, hi2 := math.Inf(1), math.Inf(-1)
		for _, p := range sq {
			lo2, hi2 = math.Min(lo2, p.dot(ax)), math.Max(hi2, p.dot(ax))
		}
		if hi1 <= lo2+eps || hi2 <= lo1+eps {
			return false
		}
	}
	return true
}

// randomEye is a convex outline of six points round (cx, cy), like an
// eye's 36-41.
func randomEye(r *rand.Rand, cx, cy float64) []fpoint {
	w, h := 4+r.Float64()*20, 1+r.Float64()*8
	tilt := (r.Float64() - 0.5) * 0.8
	var out []fpoint
	for i := range 6 {
		a := float64(i)*math.Pi/3 + (r.Float64()-0.5)*0.3
		p := fpoint{w * math.Cos(a), h * math.Sin(a)}.rotate(tilt)
		out = append(out, fpoint{cx + p.X, cy + p.Y})
	}
	return out
}

// TestMaskCutClearsEveryTouchedPixel: mask.cut is what keeps eyeliner,
// eyeshadow, blush and foundation off the eye, so every pixel a convex
// outline touches must be cleared, and pixels well away from it kept.
func TestMaskCutClearsEveryTouchedPixel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		m := newMask(image.Rect(100, 50, 160, 90))
		for i := range m.pix {
			m.pix[i] = 200
		}
		// Some outlines run off the mask's edges.
		poly := randomEye(r, 95+r.Float64()*70, 45+r.Float64()*50)
		if !isConvex(poly) {
			m.release()
			continue
		}
		m.cut(poly)
		for y := range m.h {
			for x := range m.w {
				fx, fy := x+m.rect.Min.X, y+m.rect.Min.Y
				v := m.pix[y*m.w+x]
				if touches(poly, fx, fy) && v != 0 {
					t.Fatalf("outline %d %v: pixel (%d,%d) touches it but is %d", n, poly, fx, fy, v)
				}
				if v == 0 && !near(poly, fx, fy, 1.5) {
					t.Fatalf("outline %d %v: pixel (%d,%d) is cleared, far from it", n, poly, fx, fy)
				}
			}
		}
		m.release()
	}
}

func isConvex(poly []fpoint) bool {
	sign := 0.0
	for i := range poly {
		a, b, c := poly[i], poly[(i+1)%len(poly)], poly[(i+2)%len(poly)]
		z := b.sub(a).X*c.sub(b).Y - b.sub(a).Y*c.sub(b).X
		if z*sign < 0 {
			return false
		}
		if z != 0 {
			sign = z
		}
	}
	return true
}

// near says whether the pixel's centre is within d of the polygon's
// bounding box.
func near(poly []fpoint, x, y int, d float64) bool {
	b := boundsOf(poly)
	cx, cy := float64(x)+0.5, float64(y)+0.5
	return cx >= float64(b.Min.X)-d && cx <= float64(b.Max.X)+d && cy >= float64(b.Min.Y)-d && cy <= float64(b.Max.Y)+d
}

// TestMaskFeather: OpenCV's box passes on the mask's memory fade a filled
// square over 2r pixels each side, keep its middle full and what is 2r
// past it empty, and leave it symmetric.
func TestMaskFeather(t *testing.T) {
	const r = 3
	m := newMask(image.Rect(0, 0, 40, 30))
	defer m.release()
	m.fill([]fpoint{{10, 8}, {30, 8}, {30, 22}, {10, 22}}, 255)
	m.feather(r)
	at := func(x, y int) uint8 { return m.pix[y*m.w+x] }
	if v := at(20, 15); v != 255 {
		t.Errorf("middle %d, want 255", v)
	}
	for _, p := range []image.Point{{10 - 2*r - 1, 15}, {30 + 2*r, 15}, {20, 8 - 2*r - 1}, {20, 22 + 2*r}} {
		if v := at(p.X, p.Y); v != 0 {
			t.Errorf("%v, 2r past the edge: %d, want 0", p, v)
		}
	}
	// Two passes: the fade reaches 2r, so r+1 past the edge is not yet 0
	// (one pass would end at r).
	if v := at(10-r-1, 15); v == 0 {
		t.Errorf("r+1 px outside the edge is 0: one box pass, not two")
	}
	if v := at(10, 15); v < 100 || v > 155 {
		t.Errorf("at the edge %d, want about half", v)
	}
	for y := range m.h {
		for x := range 20 {
			if a, b := at(x, y), at(39-x, y); a != b {
				t.Fatalf("(%d,%d) is %d, its mirror %d", x, y, a, b)
			}
		}
	}
}
