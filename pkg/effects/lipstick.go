// Package effects draws try-on effects onto BGR frames from face landmarks.
//
// Each effect is one type in its own file. Effects draw in place on a
// gocv.Mat of type CV_8UC3 (BGR, continuous, as cvjpeg.Decode returns) and
// touch only the pixels they change.
package effects

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/pkg/landmarks"
)

// Lipstick tints the lips: the outer lip contour (points 48-59) minus the
// inner mouth (60-67), so teeth and tongue keep their colour. The mask's edge
// is feathered so the colour fades into the skin instead of ending in a
// hard, aliased line.
//
// The finish changes how the lips' own light comes through: matte flattens
// it, satin (the default) keeps it, gloss adds wet highlights where the
// lips are already brightest, and shimmer adds fine sparkle.
type Lipstick struct {
	Color    color.RGBA // the lipstick's colour; alpha is ignored
	Strength float64    // 0 leaves the lips alone, 1 is full colour
	Finish   string     // one of Finishes; "" is satin
}

// Lipstick finishes.
const (
	FinishMatte   = "matte"
	FinishSatin   = "satin"
	FinishGloss   = "gloss"
	FinishShimmer = "shimmer"
)

// Finishes lists the lipstick finishes, for messages and the page.
var Finishes = []string{FinishMatte, FinishSatin, FinishGloss, FinishShimmer}

// DefaultLipstick is a deep red at a natural strength, satin.
var DefaultLipstick = Lipstick{Color: color.RGBA{R: 0xb0, G: 0x12, B: 0x3a, A: 0xff}, Strength: 0.6, Finish: FinishSatin}

// Apply tints the lips of every face in img.
func (l Lipstick) Apply(img *gocv.Mat, faces []landmarks.Face) {
	if l.Strength <= 0 || img.Empty() || img.Type() != gocv.MatTypeCV8UC3 {
		return
	}
	for i := range faces {
		l.applyFace(img, &faces[i].Points)
	}
}

// Area is where Apply reads and draws for faces in a picture of size: the
// lips and their feather. The rest of the picture may hold anything, and
// is left as it is.
func (l Lipstick) Area(size image.Point, faces []landmarks.Face) []image.Rectangle {
	out := make([]image.Rectangle, 0, len(faces))
	for i := range faces {
		if roi, _ := lipsArea(&faces[i].Points, size); !roi.Empty() {
			out = append(out, roi)
		}
	}
	return out
}

// lipsArea is the part of a picture of size that the lips of pts and
// their feather cover, and the feather's width.
func lipsArea(pts *landmarks.Shape, size image.Point) (image.Rectangle, int) {
	lips := bounds(pts[landmarks.OuterLipsStart:landmarks.OuterLipsEnd])
	// Feather over about a twentieth of the mouth's width: wide enough to hide
	// landmark error of a pixel or two, narrow enough to stay on the lips.
	feather := max(1, lips.Dx()/20)
	return lips.Inset(-2 * feather).Intersect(image.Rectangle{Max: size}), feather
}

func (l Lipstick) applyFace(img *gocv.Mat, pts *landmarks.Shape) {
	outer := pts[landmarks.OuterLipsStart:landmarks.OuterLipsEnd]
	inner := pts[landmarks.InnerMouthStart:landmarks.InnerMouthEnd]
	roi, feather := lipsArea(pts, image.Pt(img.Cols(), img.Rows()))
	if roi.Dx() < 2 || roi.Dy() < 2 {
		return
	}

	// The mask is pooled Go memory (cleared), drawn and blurred by OpenCV
	// in place: no C allocation per frame.
	buf := newMask(roi)
	defer buf.release()
	mask := matU8(buf.pix, roi.Dx(), roi.Dy())
	defer mask.Close()
	poly := gocv.NewPointsVectorFromPoints([][]image.Point{offset(outer, roi.Min)})
	defer poly.Close()
	gocv.FillPolyWithParams(&mask, poly, color.RGBA{255, 255, 255, 0}, gocv.LineAA, 0, image.Point{})
	hole := gocv.NewPointsVectorFromPoints([][]image.Point{offset(inner, roi.Min)})
	defer hole.Close()
	gocv.FillPolyWithParams(&mask, hole, color.RGBA{}, gocv.LineAA, 0, image.Point{})
	k := 2*feather + 1
	gocv.GaussianBlur(mask, &mask, image.Pt(k, k), 0, 0, gocv.BorderConstant)

	m := buf.pix
	px, err := img.DataPtrUint8()
	if err != nil {
		return
	}
	stride := img.Cols() * 3
	switch l.Finish {
	case FinishMatte, FinishGloss, FinishShimmer:
		l.finish(px, stride, m, roi, pts)
		return
	}
	cb, cg, cr := float32(l.Color.B), float32(l.Color.G), float32(l.Color.R)
	strength := float32(math.Min(l.Strength, 1) / 255)
	for y := 0; y < roi.Dy(); y++ {
		row := px[(roi.Min.Y+y)*stride+roi.Min.X*3:][:3*roi.Dx()]
		mrow := m[y*roi.Dx() : (y+1)*roi.Dx()]
		for x, mv := range mrow {
			if mv == 0 {
				continue
			}
			p := row[3*x : 3*x+3 : 3*x+3]
			b, g, r := float32(p[0]), float32(p[1]), float32(p[2])
			// Keep the lips' own shading: the colour is scaled by the pixel's
			// luminance, so creases stay dark and highlights stay bright.
			shade := 0.35 + 0.9*(0.114*b+0.587*g+0.299*r)/255
			a := strength * float32(mv)
			p[0] = clampLevel(b + a*(cb*shade-b))
			p[1] = clampLevel(g + a*(cg*shade-g))
			p[2] = clampLevel(r + a*(cr*shade-r))
		}
	}
}

func bounds(pts []image.Point) image.Rectangle {
	r := image.Rectangle{Min: pts[0], Max: pts[0].Add(image.Pt(1, 1))}
	for _, p := range pts[1:] {
		r = r.Union(image.Rectangle{Min: p, Max: p.Add(image.Pt(1, 1))})
	}
	return r
}

func offset(pts []image.Point, origin image.Point) []image.Point {
	out := make([]image.Point, len(pts))
	for i, p := range pts {
		out[i] = p.Sub(origin)
	}
	return out
}

// Spec describes the lipstick as a client would ask for it.
func (l Lipstick) Spec() Spec {
	s := l.Strength
	f := l.Finish
	if f == "" {
		f = FinishSatin
	}
	return Spec{Name: "lipstick", Color: fmt.Sprintf("#%02x%02x%02x", l.Color.R, l.Color.G, l.Color.B), Strength: &s, Finish: f}
}
