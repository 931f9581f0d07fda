// Command gen draws the built-in glasses catalogue: for each frame, a
// folder under assets/glasses with front.png (the frame seen from the front,
// RGBA, the lenses' tint and transparency in alpha) and glasses.json.
//
// Run it from the repository root with `go generate ./assets` (or
// `go run ./assets/glasses/gen`); the PNGs are committed, so building the
// server never runs it.
//
// Everything is drawn with signed distances, which gives antialiased edges
// for free (coverage is 0.5 - distance, clamped), and the rims are shaded as
// tubes lit from the upper left, so they read as solid objects.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"image"

	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"
)

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

// lens is how a lens looks.
type lens struct {
	tintTop, tintBottom rgb
	alphaTop, alphaBot  float64
	bevel               float64 // rimless: brightness of the cut edge
}

// frame is one catalogue entry's design, in mm.
type frame struct {
	name, title  string
	outline      func() []vec // the right-hand lens (image right), around (0,0), mm
	lensDistance float64      // between the lens centres, mm
	rim          float64      // thickness, mm (0: rimless)
	rimTop       float64      // extra thickness along the top (brow line), mm
	mat          material
	lens         lens
	bridge       []vec // a curve from the left lens to the right one, mm from the frame centre
	bridgeWidth  float64
	topBar       bool // aviator's double bridge
	pads         bool
	temple       string // temple colour
	endPiece     vec    // size of the block at the outer top of each lens, mm
	endPieceMat  *material
}

func main() {
	out := flag.String("out", "assets/glasses", "where the frame folders go")
	flag.Parse()
	for _, f := range catalogue() {
		if err := draw(f, filepath.Join(*out, f.name)); err != nil {
			log.Fatal(err)
		}
	}
}

func catalogue() []frame {
	gold := material{base: hex("#c9a04a"), metal: true, gloss: 0.9, shininess: 40}
	blackMetal := material{base: hex("#2a2a2e"), metal: true, gloss: 0.7, shininess: 50}
	silver := material{base: hex("#b8bcc4"), metal: true, gloss: 0.9, shininess: 60}
	blackAcetate := material{base: hex("#141416"), gloss: 0.55, shininess: 30, flat: 0.5}
	burgundy := material{base: hex("#5a0f1c"), gloss: 0.5, shininess: 28, flat: 0.4}
	havana := material{base: hex("#2a150a"), amber: hex("#7e4a1c"), tortoise: true, gloss: 0.5, shininess: 26, flat: 0.45}
	clear := lens{tintTop: hex("#dfe9f2"), tintBottom: hex("#eef4f8"), alphaTop: 0.10, alphaBot: 0.06}
	return []frame{
		{
			name: "round", title: "Round metal",
			outline: func() []vec { return ellipse(24.5, 24.5) }, lensDistance: 68, rim: 1.5,
			mat: blackMetal, lens: clear, bridge: arc(-9.5, 9.5, -7, -11), bridgeWidth: 1.6, pads: true,
			temple: "#2a2a2e", endPiece: vec{4.5, 3},
		},
		{
			name: "cat-eye", title: "Cat-eye acetate",
			outline: catEye, lensDistance: 70, rim: 3.2, rimTop: 2.2,
			mat: burgundy, lens: clear, bridge: arc(-10, 10, -9, -12), bridgeWidth: 4.5,
			temple: "#5a0f1c", endPiece: vec{3, 6},
		},
		{
			name: "rectangular", title: "Rectangular",
			outline: func() []vec { return roundedRect(26, 15.5, 6) }, lensDistance: 70, rim: 3.4, rimTop: 0.8,
			mat: blackAcetate, lens: clear, bridge: arc(-9, 9, -6, -9), bridgeWidth: 4,
			temple: "#141416", endPiece: vec{3.5, 6},
		},
		{
			name: "aviator", title: "Aviator sunglasses",
			outline: teardrop, lensDistance: 72, rim: 1.2,
			mat:    gold,
			lens:   lens{tintTop: hex("#1d2a22"), tintBottom: hex("#3a4a3c"), alphaTop: 0.9, alphaBot: 0.78},
			bridge: arc(-8, 8, -11, -13), bridgeWidth: 1.5, topBar: true, pads: true,
			temple: "#c9a04a", endPiece: vec{4, 2.4},
		},
		{
			name: "acetate", title: "Thick acetate (havana)",
			outline: trapezoid, lensDistance: 70, rim: 5.2, rimTop: 1.8,
			mat: havana, lens: clear, bridge: arc(-11, 11, -7, -11), bridgeWidth: 6,
			temple: "#3a1e0e", endPiece: vec{2, 8},
		},
		{
			name: "rimless", title: "Rimless",
			outline: func() []vec { return roundedRect(25, 15, 8) }, lensDistance: 68, rim: 0,
			mat: silver, lens: lens{tintTop: hex("#d6e4f0"), tintBottom: hex("#e8f0f6"), alphaTop: 0.12, alphaBot: 0.08, bevel: 0.55},
			bridge: arc(-9, 9, -4, -7), bridgeWidth: 1.4, pads: true,
			temple: "#b8bcc4", endPiece: vec{5, 1.8}, endPieceMat: &silver,
		},
	}
}

// Meta is glasses.json.
type Meta struct {
	Name        string    `json:"name"`
	Title       string    `json:"title,omitempty"`
	WidthMM     float64   `json:"width_mm"`
	LensCenters [2][2]int `json:"lens_centers"`
	Hinges      [2][2]int `json:"hinges,omitempty"`
	TempleColor string    `json:"temple_color,omitempty"`
}

func draw(f frame, dir string) error {
	outline := f.outline()
	half := f.lensDistance / 2
	// The lens extent decides the canvas: margins of a few mm.
	minX, maxX, minY, maxY := 0.0, 0.0, 0.0, 0.0
	for _, p := range outline {
		minX, maxX, minY, maxY = math.Min(minX, p.X), math.Max(maxX, p.X), math.Min(minY, p.Y), math.Max(maxY, p.Y)
	}
	outer := half + maxX + f.rim + f.endPiece.X
	widthMM := 2 * outer
	heightMM := (maxY - minY) + 2*f.rim + f.rimTop + 6
	W, H := int(math.Ceil(widthMM*pxPerMM)), int(math.Ceil(heightMM*pxPerMM))
	cy := (f.rim + f.rimTop + 3 - minY) * pxPerMM
	cx := float64(W) / 2
	toPx := func(p vec) vec { return vec{cx + p.X*pxPerMM, cy + p.Y*pxPerMM} }
	c := newCanvas(W, H)

	var lenses [2]shape
	var centres [2]vec
	for side, sign := range []float64{-1, 1} {
		centre := vec{sign * half, 0}
		pts := make([]vec, len(outline))
		for i, p := range outline {
			pts[i] = toPx(centre.add(vec{sign * p.X, p.Y}))
		}
		lenses[side] = newShape(pts)
		centres[side] = toPx(centre)
	}

	// Lenses: tint graded top to bottom, then a soft reflection band and a
	// small highlight, so they read as glass.
	for side := range lenses {
		s := lenses[side]
		r := s.bounds
		c.region(r.Inset(-2), func(x, y int, p vec) {
			d := s.sd(p)
			cov := clamp01(0.5 - d)
			if cov == 0 {
				return
			}
			t := clamp01((p.Y - float64(r.Min.Y)) / float64(r.Dy()))
			col := mix(f.lens.tintTop, f.lens.tintBottom, t)
			a := lerp(f.lens.alphaTop, f.lens.alphaBot, t)
			c.paint(x, y, col, cov*a)
			// Reflection: a diagonal band across the upper part of the lens.
			q := p.sub(centres[side])
			u := (q.X*0.55 + q.Y*0.83) / (float64(r.Dx()) / 2)
			band := smooth(-0.95, -0.6, u) * (1 - smooth(-0.45, -0.15, u))
			band2 := smooth(-0.05, 0.08, u) * (1 - smooth(0.12, 0.22, u))
			c.paint(x, y, rgb{1, 1, 1}, cov*(0.16*band+0.08*band2))
			if f.lens.bevel > 0 { // a rimless lens's cut edge catches the light
				e := smooth(-4, -0.5, d)
				dir := q.norm()
				lit := 0.4 + 0.6*math.Max(0, -dir.X*0.5-dir.Y*0.8)
				c.paint(x, y, rgb{1, 1, 1}, cov*e*f.lens.bevel*lit)
			}
		})
	}

	// The bridge goes under the rims, its ends hidden in them, and never
	// over the lenses.
	bridge := make([]vec, len(f.bridge))
	for i, p := range f.bridge {
		bridge[i] = toPx(p)
	}
	tube(c, bridge, f.bridgeWidth*pxPerMM, f.mat, lenses[:]...)

	// Rims: a band outside each lens, thicker along the top, shaded as a tube.
	if f.rim > 0 {
		for side := range lenses {
			s := lenses[side]
			ctr := centres[side]
			c.region(s.bounds.Inset(-int((f.rim+f.rimTop)*pxPerMM)-3), func(x, y int, p vec) {
				d := s.sd(p)
				dir := p.sub(ctr).norm()
				th := (f.rim + f.rimTop*math.Max(0, -dir.Y)) * pxPerMM
				if f.name == "cat-eye" { // the upswept brow is heaviest at the outer top
					outward := dir.X
					if side == 0 {
						outward = -outward
					}
					th += 1.8 * pxPerMM * math.Max(0, -dir.Y) * math.Max(0, outward)
				}
				cov := clamp01(0.5+d) * clamp01(0.5+th-d)
				if cov == 0 {
					return
				}
				across := 2*clamp01(d/th) - 1
				c.paint(x, y, f.mat.shade(across, dir, p), cov)
				// A thin dark line where rim meets lens: the groove.
				if d < 1.2 {
					c.paint(x, y, rgb{0, 0, 0}, 0.25*clamp01(1.2-d))
				}
			})
		}
	}

	if f.topBar {
		inner := half - (maxX-minX)/2*0.2
		bar := []vec{toPx(vec{-inner - 6, minY - 0.2}), toPx(vec{0, minY - 0.9}), toPx(vec{inner + 6, minY - 0.2})}
		tube(c, smoothLine(bar, 24), 1.4*pxPerMM, f.mat)
	}
	if f.pads {
		for _, sign := range []float64{-1, 1} {
			// The pad arm from the bridge to the pad, then a clear silicone pad.
			arm := []vec{toPx(vec{sign * 7.5, -2}), toPx(vec{sign * 8.5, 4}), toPx(vec{sign * 9.5, 8})}
			tube(c, smoothLine(arm, 16), 0.7*pxPerMM, f.mat)
			pad := newShape(mapPts(ellipse(2.2, 4.4), func(p vec) vec { return toPx(vec{sign*10 + p.X, 9.5 + p.Y}) }))
			c.region(pad.bounds.Inset(-2), func(x, y int, p vec) {
				d := pad.sd(p)
				cov := clamp01(0.5 - d)
				edge := smooth(-3, 0, d)
				c.paint(x, y, hex("#d8d4cc"), cov*(0.14+0.32*edge))
			})
		}
	}

	// End pieces: a block at the outer top of each lens, where the temple's
	// hinge sits.
	var hinges [2]vec
	for side, sign := range []float64{-1, 1} {
		yTop := minY*0.55 - f.rim*0.5
		x0 := sign * (half + edgeAt(outline, yTop+f.endPiece.Y/2) - 0.6)
		x1 := sign * outer
		ep := []vec{{x0, yTop}, {x1, yTop}, {x1, yTop + f.endPiece.Y}, {x0, yTop + f.endPiece.Y*1.3}}
		pts := make([]vec, len(ep))
		for i, p := range ep {
			pts[i] = toPx(p)
		}
		hinges[side] = toPx(vec{x1 - sign*0.5, yTop + f.endPiece.Y/2})
		m := f.mat
		if f.endPieceMat != nil {
			m = *f.endPieceMat
		}
		s := newShape(pts)
		mid := toPx(vec{(x0 + x1) / 2, yTop + f.endPiece.Y/2})
		hh := f.endPiece.Y / 2 * pxPerMM
		c.region(s.bounds.Inset(-2), func(x, y int, p vec) {
			d := s.sd(p)
			cov := clamp01(0.5 - d)
			if cov == 0 {
				return
			}
			across := clamp01((p.Y-mid.Y)/hh*0.5+0.5)*2 - 1
			c.paint(x, y, m.shade(across, vec{0, 1}, p), cov)
		})
		if f.rim == 0 { // rimless: screws through the lens
			screw := toPx(vec{x0 - sign*1.5, yTop + f.endPiece.Y/2 + 0.5})
			dot(c, screw, 0.9*pxPerMM, silverScrew)
		}
	}
	if f.rim == 0 {
		for _, sign := range []float64{-1, 1} {
			dot(c, toPx(vec{sign * 9.6, -4.5}), 0.9*pxPerMM, silverScrew)
		}
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	img := image.NewNRGBA(image.Rect(0, 0, W, H))
	for i := 0; i < W*H; i++ {
		a := c.px[4*i+3]
		if a <= 0 {
			continue
		}
		img.Pix[4*i] = uint8(math.Round(255 * clamp01(c.px[4*i]/a)))
		img.Pix[4*i+1] = uint8(math.Round(255 * clamp01(c.px[4*i+1]/a)))
		img.Pix[4*i+2] = uint8(math.Round(255 * clamp01(c.px[4*i+2]/a)))
		img.Pix[4*i+3] = uint8(math.Round(255 * a))
	}
	fh, err := os.Create(filepath.Join(dir, "front.png"))
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(fh, img); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Close(); err != nil {
		return err
	}
	meta := Meta{
		Name: f.name, Title: f.title, WidthMM: math.Round(float64(W)/pxPerMM*10) / 10,
		LensCenters: [2][2]int{{int(math.Round(centres[0].X)), int(math.Round(centres[0].Y))}, {int(math.Round(centres[1].X)), int(math.Round(centres[1].Y))}},
		Hinges:      [2][2]int{{int(hinges[0].X), int(hinges[0].Y)}, {int(hinges[1].X), int(hinges[1].Y)}},
		TempleColor: f.temple,
	}
	js, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "glasses.json"), append(js, '\n'), 0o644)
}

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
