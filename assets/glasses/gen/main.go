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
	"image"

	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"
)

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
