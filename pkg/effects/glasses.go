package effects

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sort"
	"strings"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/pkg/landmarks"
)

// GlassesStyle is the look of a pair of glasses, drawn procedurally. Each
// style lives in its own file (glasses_*.go) and registers itself; adding a
// style means adding one file.
//
// Geometry is in face units: the origin midway between the eye centres, x
// along the eye line toward the image's right, y downward, and 1 unit the
// distance between the eye centres. The right-hand lens is centred near
// (0.5, 0); the left one is its mirror image.
type GlassesStyle struct {
	Name string
	// Lens is the outline of the right-hand lens, relative to LensCentre,
	// in face units, going round once.
	Lens       []point
	LensCentre point
	Frame      color.RGBA // frame colour; A is its opacity
	Tint       color.RGBA // lens colour; A is its opacity (0: clear)
	Thickness  float64    // of the frame rim, in face units
}

type point struct{ X, Y float64 }

var glassesStyles = map[string]GlassesStyle{}

func registerGlasses(s GlassesStyle) { glassesStyles[s.Name] = s }

// GlassesStyles lists the registered styles, sorted.
func GlassesStyles() []string {
	names := make([]string, 0, len(glassesStyles))
	for n := range glassesStyles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Glasses draws a pair of glasses on every face: centred between the eyes
// (landmarks 36-47), scaled by their distance, rolled with the eye line,
// with temples reaching toward the ears (points 0 and 16). Everything is
// anti-aliased and alpha-blended.
type Glasses struct {
	Style GlassesStyle
}

// NewGlasses returns glasses of a registered style.
func NewGlasses(style string) (Glasses, error) {
	s, ok := glassesStyles[style]
	if !ok {
		return Glasses{}, fmt.Errorf("unknown style %q; known: %s", clip(style), strings.Join(GlassesStyles(), ", "))
	}
	return Glasses{Style: s}, nil
}

// Spec describes the glasses as a client would ask for them.
func (g Glasses) Spec() Spec { return Spec{Name: "glasses", Style: g.Style.Name} }

// subpixel is OpenCV's fixed-point shift for polygon vertices: 1/16 px.
const subpixel = 4

// Apply draws the glasses on every face in img.
func (g Glasses) Apply(img *gocv.Mat, faces []landmarks.Face) {
	if img.Empty() || img.Type() != gocv.MatTypeCV8UC3 {
		return
	}
	for i := range faces {
		g.applyFace(img, &faces[i].Points)
	}
}

func (g Glasses) applyFace(img *gocv.Mat, pts *landmarks.Shape) {
	right := centroid(pts[landmarks.RightEyeStart:landmarks.RightEyeEnd]) // image left
	left := centroid(pts[landmarks.LeftEyeStart:landmarks.LeftEyeEnd])
	// Face units: from the image-left eye to the image-right eye.
	ex, ey := left.X-right.X, left.Y-right.Y
	d := math.Hypot(ex, ey)
	if d < 4 {
		return
	}
	ux, uy := ex/d, ey/d
	mid := point{(left.X + right.X) / 2, (left.Y + right.Y) / 2}
	toImage := func(p point) point {
		return point{mid.X + d*(p.X*ux-p.Y*uy), mid.Y + d*(p.X*uy+p.Y*ux)}
	}
	s := g.Style
	var lenses, rims [2][]point
	for side := 0; side < 2; side++ {
		sign := 1.0
		if side == 1 {
			sign = -1
		}
		c := point{sign * s.LensCentre.X, s.LensCentre.Y}
		for _, p := range s.Lens {
			lp := point{c.X + sign*p.X, c.Y + p.Y}
			r := math.Hypot(p.X, p.Y)
			grow := 1 + s.Thickness/math.Max(r, 1e-6)
			rp := point{c.X + sign*p.X*grow, c.Y + p.Y*grow}
			lenses[side] = append(lenses[side], toImage(lp))
			rims[side] = append(rims[side], toImage(rp))
		}
	}
	// Bridge and hinges in face units, from the lens outline's extent.
	minX, maxX, minY := 0.0, 0.0, 0.0
	for _, p := range s.Lens {
		minX, maxX, minY = math.Min(minX, p.X), math.Max(maxX, p.X), math.Min(minY, p.Y)
	}
	inner := s.LensCentre.X + minX
	bridgeY := s.LensCentre.Y + 0.45*minY
	th := s.Thickness
	bridge := []point{
		toImage(point{-inner - th, bridgeY - th/2}), toImage(point{0, bridgeY - th}), toImage(point{inner + th, bridgeY - th/2}),
		toImage(point{inner + th, bridgeY + th/2}), toImage(point{0, bridgeY}), toImage(point{-inner - th, bridgeY + th/2}),
	}
	hingeX, hingeY := s.LensCentre.X+maxX+th/2, s.LensCentre.Y+0.6*minY
	temples := [][]point{
		temple(toImage(point{hingeX, hingeY}), p2f(pts[16]), d*th*0.9),
		temple(toImage(point{-hingeX, hingeY}), p2f(pts[0]), d*th*0.9),
	}

	// Draw into a colour layer and an alpha layer over the region touched,
	// then blend once.
	var all []point
	for _, poly := range append(append(rims[:], bridge), temples...) {
		all = append(all, poly...)
	}
	roi := boundsF(all).Inset(-2).Intersect(image.Rect(0, 0, img.Cols(), img.Rows()))
	if roi.Dx() < 2 || roi.Dy() < 2 {
		return
	}
	layer := gocv.NewMatWithSize(roi.Dy(), roi.Dx(), gocv.MatTypeCV8UC3)
	defer layer.Close()
	alpha := gocv.NewMatWithSize(roi.Dy(), roi.Dx(), gocv.MatTypeCV8UC1)
	defer alpha.Close()
	fill := func(polys [][]point, c color.RGBA) {
		pv := gocv.NewPointsVectorFromPoints(fixed(polys, roi.Min))
		defer pv.Close()
		gocv.FillPolyWithParams(&layer, pv, color.RGBA{c.R, c.G, c.B, 0}, gocv.LineAA, subpixel, image.Point{})
		gocv.FillPolyWithParams(&alpha, pv, color.RGBA{c.A, c.A, c.A, 0}, gocv.LineAA, subpixel, image.Point{})
	}
	fill(temples, s.Frame)
	fill([][]point{rims[0], rims[1], bridge}, s.Frame)
	fill([][]point{lenses[0], lenses[1]}, s.Tint)
	blendLayer(img, roi, layer, alpha)
}

// temple is a tapering bar from the hinge toward the ear.
func temple(from, to point, width float64) []point {
	dx, dy := to.X-from.X, to.Y-from.Y
	l := math.Hypot(dx, dy)
	if l < 1 {
		return []point{from, from, from}
	}
	nx, ny := -dy/l, dx/l
	w0, w1 := width/2, width/3
	return []point{
		{from.X + nx*w0, from.Y + ny*w0}, {to.X + nx*w1, to.Y + ny*w1},
		{to.X - nx*w1, to.Y - ny*w1}, {from.X - nx*w0, from.Y - ny*w0},
	}
}

// blendLayer mixes layer into img's roi by alpha (0..255 per pixel).
func blendLayer(img *gocv.Mat, roi image.Rectangle, layer, alpha gocv.Mat) {
	px, err := img.DataPtrUint8()
	if err != nil {
		return
	}
	lp, _ := layer.DataPtrUint8()
	ap, _ := alpha.DataPtrUint8()
	stride, w := img.Cols()*3, roi.Dx()
	for y := 0; y < roi.Dy(); y++ {
		row := px[(roi.Min.Y+y)*stride+roi.Min.X*3:]
		for x, a := range ap[y*w : (y+1)*w] {
			if a == 0 {
				continue
			}
			f := float64(a) / 255
			for c := 0; c < 3; c++ {
				row[3*x+c] = blend(float64(row[3*x+c]), float64(lp[3*(y*w+x)+c]), f)
			}
		}
	}
}

func centroid(pts []image.Point) point {
	var p point
	for _, q := range pts {
		p.X += float64(q.X)
		p.Y += float64(q.Y)
	}
	n := float64(len(pts))
	return point{p.X / n, p.Y / n}
}

func p2f(p image.Point) point { return point{float64(p.X), float64(p.Y)} }

func boundsF(pts []point) image.Rectangle {
	r := image.Rect(math.MaxInt32, math.MaxInt32, math.MinInt32, math.MinInt32)
	for _, p := range pts {
		r.Min.X, r.Min.Y = min(r.Min.X, int(math.Floor(p.X))), min(r.Min.Y, int(math.Floor(p.Y)))
		r.Max.X, r.Max.Y = max(r.Max.X, int(math.Ceil(p.X))+1), max(r.Max.Y, int(math.Ceil(p.Y))+1)
	}
	return r
}

// fixed converts polygons to OpenCV's fixed-point vertices relative to origin.
func fixed(polys [][]point, origin image.Point) [][]image.Point {
	out := make([][]image.Point, len(polys))
	for i, poly := range polys {
		out[i] = make([]image.Point, len(poly))
		for j, p := range poly {
			out[i][j] = image.Pt(int(math.Round((p.X-float64(origin.X))*(1<<subpixel))), int(math.Round((p.Y-float64(origin.Y))*(1<<subpixel))))
		}
	}
	return out
}

// ellipse samples an ellipse of half-axes a, b, n points.
func ellipse(a, b float64, n int) []point {
	pts := make([]point, n)
	for i := range pts {
		t := 2 * math.Pi * float64(i) / float64(n)
		pts[i] = point{a * math.Cos(t), b * math.Sin(t)}
	}
	return pts
}
