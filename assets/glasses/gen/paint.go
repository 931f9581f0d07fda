package main

import (
	"fmt"
	"image"

	"math"
)

// Geometry, colour and the canvas the frames are painted on, with
// signed distances and the lighting of the materials.

// pxPerMM is the drawing scale: 7 px per mm gives a 140 mm frame about
// 1000 px, sharp enough for a 4K camera's face.
const pxPerMM = 7.0

type vec struct{ X, Y float64 }

func (a vec) add(b vec) vec        { return vec{a.X + b.X, a.Y + b.Y} }
func (a vec) sub(b vec) vec        { return vec{a.X - b.X, a.Y - b.Y} }
func (a vec) mul(k float64) vec    { return vec{a.X * k, a.Y * k} }
func (a vec) dot(b vec) float64    { return a.X*b.X + a.Y*b.Y }
func (a vec) length() float64      { return math.Hypot(a.X, a.Y) }
func (a vec) norm() vec            { l := math.Max(a.length(), 1e-9); return vec{a.X / l, a.Y / l} }
func lerp(a, b, t float64) float64 { return a + (b-a)*t }
func clamp01(v float64) float64    { return math.Max(0, math.Min(1, v)) }
func smooth(e0, e1, x float64) float64 {
	t := clamp01((x - e0) / (e1 - e0))
	return t * t * (3 - 2*t)
}

// rgb is a colour in linear-ish 0..1 floats.
type rgb struct{ R, G, B float64 }

func hex(s string) rgb {
	var r, g, b int
	fmt.Sscanf(s, "#%02x%02x%02x", &r, &g, &b)
	return rgb{float64(r) / 255, float64(g) / 255, float64(b) / 255}
}
func (c rgb) mul(k float64) rgb { return rgb{c.R * k, c.G * k, c.B * k} }
func (c rgb) add(d rgb) rgb     { return rgb{c.R + d.R, c.G + d.G, c.B + d.B} }
func mix(a, b rgb, t float64) rgb {
	return rgb{lerp(a.R, b.R, t), lerp(a.G, b.G, t), lerp(a.B, b.B, t)}
}

// canvas holds premultiplied RGBA floats; paint composites "over".
type canvas struct {
	w, h int
	px   []float64 // r, g, b, a premultiplied
}

func newCanvas(w, h int) *canvas { return &canvas{w: w, h: h, px: make([]float64, 4*w*h)} }

func (c *canvas) paint(x, y int, col rgb, a float64) {
	if a <= 0 || x < 0 || y < 0 || x >= c.w || y >= c.h {
		return
	}
	a = clamp01(a)
	i := 4 * (y*c.w + x)
	c.px[i] = col.R*a + c.px[i]*(1-a)
	c.px[i+1] = col.G*a + c.px[i+1]*(1-a)
	c.px[i+2] = col.B*a + c.px[i+2]*(1-a)
	c.px[i+3] = a + c.px[i+3]*(1-a)
}

// region calls f for each pixel centre within r (clipped).
func (c *canvas) region(r image.Rectangle, f func(x, y int, p vec)) {
	r = r.Intersect(image.Rect(0, 0, c.w, c.h))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			f(x, y, vec{float64(x) + 0.5, float64(y) + 0.5})
		}
	}
}

// shape is a closed polygon with a signed distance: negative inside.
type shape struct {
	pts    []vec
	bounds image.Rectangle
}

func newShape(pts []vec) shape {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range pts {
		minX, minY, maxX, maxY = math.Min(minX, p.X), math.Min(minY, p.Y), math.Max(maxX, p.X), math.Max(maxY, p.Y)
	}
	return shape{pts: pts, bounds: image.Rect(int(minX), int(minY), int(maxX)+1, int(maxY)+1)}
}

func (s shape) sd(p vec) float64 {
	d := math.Inf(1)
	inside := false
	n := len(s.pts)
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		a, b := s.pts[j], s.pts[i]
		ab, ap := b.sub(a), p.sub(a)
		t := clamp01(ap.dot(ab) / math.Max(ab.dot(ab), 1e-12))
		d = math.Min(d, ap.sub(ab.mul(t)).length())
		if (a.Y > p.Y) != (b.Y > p.Y) && p.X < (b.X-a.X)*(p.Y-a.Y)/(b.Y-a.Y)+a.X {
			inside = !inside
		}
	}
	if inside {
		return -d
	}
	return d
}

// polyline distance (unsigned) and the direction across it at the nearest point.
func lineDist(pts []vec, p vec) (float64, vec) {
	d, across := math.Inf(1), vec{0, -1}
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		ab, ap := b.sub(a), p.sub(a)
		t := clamp01(ap.dot(ab) / math.Max(ab.dot(ab), 1e-12))
		q := ap.sub(ab.mul(t))
		if l := q.length(); l < d {
			d = l
			across = q.norm()
		}
	}
	return d, across
}

// light is the direction toward the key light: upper left, in front.
var light = vec3{-0.45, -0.65, 0.62}.norm()

type vec3 struct{ X, Y, Z float64 }

func (a vec3) norm() vec3 {
	l := math.Sqrt(a.X*a.X + a.Y*a.Y + a.Z*a.Z)
	return vec3{a.X / l, a.Y / l, a.Z / l}
}
func (a vec3) dot(b vec3) float64 { return a.X*b.X + a.Y*b.Y + a.Z*b.Z }

// material says how a rim's surface answers the light.
type material struct {
	base      rgb
	metal     bool    // coloured highlights, strong contrast
	gloss     float64 // specular strength
	shininess float64
	flat      float64 // 0: round tube, 1: flat face
	tortoise  bool
	amber     rgb // tortoise's light patches
}

// shade is the colour of a rim at a point whose position across the rim is
// s in -1..1 (outward positive) and whose outward direction is dir.
func (m material) shade(s float64, dir vec, p vec) rgb {
	s *= 1 - 0.7*m.flat
	nz := math.Sqrt(math.Max(0, 1-s*s))
	n := vec3{dir.X * s, dir.Y * s, nz}.norm()
	diff := math.Max(0, n.dot(light))
	h := vec3{light.X, light.Y, light.Z + 1}.norm() // viewer along +z
	spec := math.Pow(math.Max(0, n.dot(h)), m.shininess) * m.gloss
	// A second, weaker light from the lower right gives metal its rim light.
	fill := math.Max(0, n.dot(vec3{0.5, 0.6, 0.6}.norm()))
	base := m.base
	if m.tortoise {
		t := tortoise(p)
		base = mix(m.base, m.amber, t)
	}
	var c rgb
	if m.metal {
		c = base.mul(0.25 + 0.95*diff + 0.25*fill)
		c = c.add(mix(base, rgb{1, 1, 1}, 0.5).mul(spec))
	} else {
		c = base.mul(0.45 + 0.6*diff + 0.1*fill)
		c = c.add(rgb{1, 1, 1}.mul(spec))
	}
	return rgb{clamp01(c.R), clamp01(c.G), clamp01(c.B)}
}

// tortoise is a blotchy 0..1 pattern from value noise.
func tortoise(p vec) float64 {
	v := 0.55*noise(p.X/38, p.Y/22) + 0.3*noise(p.X/13+7, p.Y/9+3) + 0.15*noise(p.X/5+1, p.Y/5+9)
	return 0.85 * smooth(0.45, 0.8, v)
}

func noise(x, y float64) float64 {
	xi, yi := math.Floor(x), math.Floor(y)
	fx, fy := x-xi, y-yi
	h := func(i, j float64) float64 {
		n := math.Sin(i*127.1+j*311.7) * 43758.5453
		return n - math.Floor(n)
	}
	u, v := fx*fx*(3-2*fx), fy*fy*(3-2*fy)
	return lerp(lerp(h(xi, yi), h(xi+1, yi), u), lerp(h(xi, yi+1), h(xi+1, yi+1), u), v)
}
