package main

import (
	"image"

	"math"
)

// The outlines of the frames, and drawing along them.

var silverScrew = material{base: hex("#d0d4da"), metal: true, gloss: 1, shininess: 60}

func dot(c *canvas, at vec, r float64, m material) {
	c.region(image.Rect(int(at.X-r)-2, int(at.Y-r)-2, int(at.X+r)+3, int(at.Y+r)+3), func(x, y int, p vec) {
		q := p.sub(at)
		d := q.length() - r
		cov := clamp01(0.5 - d)
		if cov == 0 {
			return
		}
		c.paint(x, y, m.shade(clamp01(q.length()/r), q.norm(), p), cov)
	})
}

// tube draws a polyline of the given width, shaded across.
func tube(c *canvas, pts []vec, width float64, m material, holes ...shape) {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range pts {
		minX, minY, maxX, maxY = math.Min(minX, p.X), math.Min(minY, p.Y), math.Max(maxX, p.X), math.Max(maxY, p.Y)
	}
	r := image.Rect(int(minX-width)-2, int(minY-width)-2, int(maxX+width)+3, int(maxY+width)+3)
	c.region(r, func(x, y int, p vec) {
		d, across := lineDist(pts, p)
		cov := clamp01(0.5 + width/2 - d)
		if cov == 0 {
			return
		}
		for _, h := range holes {
			if p.X >= float64(h.bounds.Min.X) && p.X < float64(h.bounds.Max.X) && p.Y >= float64(h.bounds.Min.Y) && p.Y < float64(h.bounds.Max.Y) {
				cov *= clamp01(0.5 + h.sd(p))
			}
		}
		c.paint(x, y, m.shade(d/(width/2), across, p), cov)
	})
}

// edgeAt is the outer edge (largest x) of an outline near height y.
func edgeAt(outline []vec, y float64) float64 {
	best, x := math.Inf(1), 0.0
	for _, p := range outline {
		if p.X > 0 && math.Abs(p.Y-y) < best {
			best, x = math.Abs(p.Y-y), p.X
		}
	}
	return x
}

func ellipse(a, b float64) []vec {
	const n = 240
	pts := make([]vec, n)
	for i := range pts {
		t := 2 * math.Pi * float64(i) / n
		pts[i] = vec{a * math.Cos(t), b * math.Sin(t)}
	}
	return pts
}

func roundedRect(hw, hh, r float64) []vec {
	var pts []vec
	corners := []struct{ cx, cy, start float64 }{
		{hw - r, hh - r, 0}, {-hw + r, hh - r, math.Pi / 2}, {-hw + r, -hh + r, math.Pi}, {hw - r, -hh + r, 3 * math.Pi / 2},
	}
	for _, c := range corners {
		for i := 0; i <= 40; i++ {
			t := c.start + math.Pi/2*float64(i)/40
			pts = append(pts, vec{c.cx + r*math.Cos(t), c.cy + r*math.Sin(t)})
		}
	}
	return pts
}

// superShape is a lens from a polar radius function of the angle, with
// x > 0 the outer side (toward the temple) of the image-right lens.
func superShape(r func(t float64) vec) []vec {
	const n = 300
	pts := make([]vec, n)
	for i := range pts {
		pts[i] = r(2 * math.Pi * float64(i) / n)
	}
	return pts
}

// catEye: a rounded lens whose outer top corner sweeps up and out.
func catEye() []vec {
	return superShape(func(t float64) vec {
		x, y := 26*math.Cos(t), 19*math.Sin(t)
		if y < 0 { // upper half: flatter, lifted at the outer end
			y *= 0.85
			out := clamp01(math.Cos(t))
			y -= 5.5 * out * out * out
			x += 2.5 * out * out
		} else {
			x -= 2 * math.Sin(t) * (1 - math.Cos(t)) / 2 // the bottom leans to the nose
		}
		return vec{x, y}
	})
}

// teardrop: the aviator's lens, deep and wide, its low point toward the nose.
func teardrop() []vec {
	return superShape(func(t float64) vec {
		x, y := 29*math.Cos(t), math.Sin(t)
		if y > 0 {
			y *= 27
			x -= 6 * math.Sin(t) * (1 - math.Cos(t)) / 2
		} else {
			y *= 19
			x += 1.5 * math.Sin(t) * math.Cos(t)
		}
		return vec{x, y}
	})
}

// trapezoid: a wayfarer-like lens, wider at the top.
func trapezoid() []vec {
	return superShape(func(t float64) vec {
		c, s := math.Cos(t), math.Sin(t)
		// A superellipse (exponent 4) for the square-ish shape.
		x := 26 * math.Copysign(math.Pow(math.Abs(c), 0.5), c)
		y := 19 * math.Copysign(math.Pow(math.Abs(s), 0.5), s)
		x *= 1 - 0.10*(y/19) // narrower at the bottom
		if y > 0 {
			x -= 2.5 * (y / 19) * (1 - c) / 2
		}
		return vec{x, y}
	})
}

// arc is a bridge from x0 to x1 (mm from the frame's centre) at height y0,
// rising to y1 in the middle.
func arc(x0, x1, y0, y1 float64) []vec {
	return smoothLine([]vec{{x0 - 2, y0 + 1}, {x0, y0}, {0, y1}, {x1, y0}, {x1 + 2, y0 + 1}}, 40)
}

// smoothLine samples a Catmull-Rom curve through pts.
func smoothLine(pts []vec, n int) []vec {
	var out []vec
	for i := 0; i < len(pts)-1; i++ {
		p0, p1, p2, p3 := pts[max(0, i-1)], pts[i], pts[i+1], pts[min(len(pts)-1, i+2)]
		for j := 0; j < n; j++ {
			t := float64(j) / float64(n)
			t2, t3 := t*t, t*t*t
			f := func(a, b, c, d float64) float64 {
				return 0.5 * (2*b + (-a+c)*t + (2*a-5*b+4*c-d)*t2 + (-a+3*b-3*c+d)*t3)
			}
			out = append(out, vec{f(p0.X, p1.X, p2.X, p3.X), f(p0.Y, p1.Y, p2.Y, p3.Y)})
		}
	}
	return append(out, pts[len(pts)-1])
}

func mapPts(pts []vec, f func(vec) vec) []vec {
	out := make([]vec, len(pts))
	for i, p := range pts {
		out[i] = f(p)
	}
	return out
}
