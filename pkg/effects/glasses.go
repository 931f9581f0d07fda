package effects

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sync"
	"unsafe"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/headpose"
	"github.com/livetryon/server/pkg/landmarks"
)

// Glasses puts a catalogue frame (glasses_catalogue.go) on every face, at
// its real size and turned with the head:
//
//   - size: the eye centres (landmarks 36-41, 42-47) are IPD millimetres
//     apart, so the frame's width_mm is that many times the measured
//     inter-pupil distance over IPD;
//   - place: the midpoint of the lens centres sits on the eyes' midpoint;
//   - pose: the frame's front is a plane (two, bent by a face-form wrap at
//     the bridge) a little in front of the eyes of the posed head
//     (package headpose), so the picture is warped by that plane's
//     homography: a face turned aside gets a foreshortened far lens;
//   - temples run from the hinges back to the ears and are hidden where
//     the face is in front of them;
//   - a soft contact shadow falls on the face under the rims.
type Glasses struct {
	Frame *Frame
	IPD   float64 // the wearer's inter-pupil distance in mm
}

// The inter-pupil distance assumed unless the client gives one (an adult's
// mean is about 63 mm), and the range a client may give.
const (
	DefaultIPD   = 63.0
	MinIPD       = 40.0
	MaxIPD       = 80.0
	defaultStyle = "round"
)

// Where the frame sits on the head, in mm of a 63 mm-IPD head: the front
// plane this far in front of the eyes, bent back toward the temples by a
// face-form wrap, and the temples reaching the ears this far behind them.
const (
	frontDepth = -14.0
	wrapTan    = 0.105 // tan 6°
	earDepth   = 88.0
	earDrop    = 6.0
)

// NewGlasses returns glasses of the catalogue's frame named style, for the
// default inter-pupil distance.
func NewGlasses(style string) (Glasses, error) {
	f, ok := GlassesFrame(style)
	if !ok {
		return Glasses{}, fmt.Errorf("unknown style %q; known: %s", apierr.Clip(style, 32), knownStyles())
	}
	return Glasses{Frame: f, IPD: DefaultIPD}, nil
}

// Spec describes the glasses as a client would ask for them.
func (g Glasses) Spec() Spec {
	ipd := g.IPD
	return Spec{Name: "glasses", Style: g.Frame.Name, IPD: &ipd}
}

// Apply draws the glasses on every face in img. A face's Pose is used when
// the pipeline has estimated (and smoothed) it, estimated here otherwise.
func (g Glasses) Apply(img *gocv.Mat, faces []landmarks.Face) {
	if g.Frame == nil || img.Empty() || img.Type() != gocv.MatTypeCV8UC3 || len(faces) == 0 {
		return
	}
	s := scratchPool.Get().(*glassesScratch)
	defer scratchPool.Put(s)
	for i := range faces {
		g.applyFace(img, &faces[i], s)
	}
}

// glassesScratch holds the pictures one face's drawing needs, reused from
// frame to frame (sync.Pool), grown when a face needs more room. They are
// Go memory, seen by OpenCV through Mat headers made per face (see
// matU8), so a scratch the pool drops is collected like any other: C
// Mats held in a pool would leak whenever the collector empties it.
type glassesScratch struct {
	front, temple, mask, shadow []uint8
	h                           [9]float64 // 3x3 homography, row-major
}

var scratchPool = sync.Pool{New: func() any { return new(glassesScratch) }}

// views are the scratch's pictures as w x h Mats (cleared, but for the
// shadow, which is written whole), and the homography; close them after.
func (s *glassesScratch) views(w, h int) (front, temple, mask, shadow, hm gocv.Mat) {
	grow := func(p *[]uint8, n int) []uint8 {
		if cap(*p) < n {
			*p = make([]uint8, n)
		}
		*p = (*p)[:n]
		return *p
	}
	f, t := grow(&s.front, 4*w*h), grow(&s.temple, 4*w*h)
	m, sh := grow(&s.mask, w*h), grow(&s.shadow, w*h)
	clear(f)
	clear(t)
	clear(m)
	mat := func(p []uint8, rows, cols int, typ gocv.MatType) gocv.Mat {
		v, err := gocv.NewMatFromBytes(rows, cols, typ, p)
		if err != nil {
			panic(err) // only for an empty slice; w and h are at least 4
		}
		return v
	}
	hb := unsafe.Slice((*byte)(unsafe.Pointer(&s.h[0])), len(s.h)*8)
	return mat(f, h, w, gocv.MatTypeCV8UC4), mat(t, h, w, gocv.MatTypeCV8UC4), mat(m, h, w, gocv.MatTypeCV8UC1),
		mat(sh, h, w, gocv.MatTypeCV8UC1), mat(hb, 3, 3, gocv.MatTypeCV64F)
}

// posed is a frame placed on one face: head-space geometry and the camera.
type posed struct {
	r   headpose.Mat3
	t   headpose.Vec3
	cam headpose.Camera
	mm  float64 // frame mm per front.png pixel
	k   float64 // head mm per model mm (IPD / 63)
	u0  float64 // the lens centres' midpoint in front.png
	v0  float64
}

// head is front.png's pixel (u, v) on the head, in head mm.
func (p *posed) head(u, v float64) headpose.Vec3 {
	x := (u - p.u0) * p.mm
	return headpose.Vec3{X: x, Y: (v - p.v0) * p.mm, Z: p.k*frontDepth + wrapTan*math.Abs(x)}
}

func (p *posed) project(h headpose.Vec3) point {
	x, y := p.cam.Project(p.r.Apply(h).Add(p.t))
	return point{x, y}
}

// place poses the frame on face in a picture of size; not ok when the
// face is too small or the frame falls off the picture.
func (g Glasses) place(face *landmarks.Face, size image.Point) (pl placement, ok bool) {
	pts := &face.Points
	right := centroid(pts[landmarks.RightEyeStart:landmarks.RightEyeEnd]) // image left
	left := centroid(pts[landmarks.LeftEyeStart:landmarks.LeftEyeEnd])
	ex, ey := left.X-right.X, left.Y-right.Y
	d := math.Hypot(ex, ey)
	if d < 6 {
		return pl, false
	}
	var pose landmarks.Pose
	if face.Pose != nil {
		pose = *face.Pose
	} else {
		pose = headpose.Estimate(pts, size)
	}
	f := g.Frame
	p := posed{r: headpose.Rotation(pose), cam: headpose.CameraFor(size), k: g.IPD / 63,
		mm: f.WidthMM / float64(f.Size.X), u0: (f.lens[0].X + f.lens[1].X) / 2, v0: (f.lens[0].Y + f.lens[1].Y) / 2}
	// The eye line as measured decides the roll, the eyes' spacing the
	// distance, and their midpoint the place; the fit decides the turn.
	e := p.r.Apply(headpose.Vec3{X: g.IPD})
	p.r = headpose.RotateZ(p.r, math.Atan2(ey, ex)-math.Atan2(e.Y, e.X))
	e = p.r.Apply(headpose.Vec3{X: g.IPD})
	// The lens centres' midpoint, in front of the eyes, is placed on the
	// eyes' midpoint as the camera sees it (the lenses stay on the eyes
	// however the head turns), at the distance where the posed eyes look as
	// far apart as the measured ones. Off the picture's centre a turned
	// face's eyes are at different depths and perspective stretches them, so
	// the distance is refined by projecting them, not from the spacing alone.
	// The same goes for the eye line's direction, which perspective bends.
	mid := point{(left.X + right.X) / 2, (left.Y + right.Y) / 2}
	place := func(tz float64) {
		lc := p.r.Apply(headpose.Vec3{Z: p.k * frontDepth})
		p.t = headpose.Vec3{X: (mid.X-p.cam.CX)*tz/p.cam.F - lc.X, Y: (mid.Y-p.cam.CY)*tz/p.cam.F - lc.Y, Z: tz - lc.Z}
	}
	tz := p.cam.F * math.Hypot(e.X, e.Y) / d
	for range 3 {
		place(tz)
		a, b := p.project(headpose.Vec3{X: -g.IPD / 2}), p.project(headpose.Vec3{X: g.IPD / 2})
		tz *= math.Hypot(b.X-a.X, b.Y-a.Y) / d
		p.r = headpose.RotateZ(p.r, math.Atan2(ey, ex)-math.Atan2(b.Y-a.Y, b.X-a.X))
	}
	place(tz)

	// The region drawn: the frame's corners and the temples' ends.
	W, H := float64(f.Size.X), float64(f.Size.Y)
	var hinge, ear [2]headpose.Vec3
	var outline []point
	for _, c := range [][2]float64{{0, 0}, {p.u0, 0}, {W, 0}, {W, H}, {p.u0, H}, {0, H}} {
		outline = append(outline, p.project(p.head(c[0], c[1])))
	}
	for side, sign := range []float64{-1, 1} {
		hinge[side] = p.head(f.hinges[side].X, f.hinges[side].Y)
		ear[side] = headpose.Vec3{X: hinge[side].X + sign*4*p.k, Y: hinge[side].Y + earDrop*p.k, Z: earDepth * p.k}
		outline = append(outline, p.project(ear[side]))
	}
	frame := image.Rect(0, 0, size.X, size.Y)
	roi := boundsF(outline).Inset(-int(0.1*d) - 2).Intersect(frame)
	if roi.Dx() < 4 || roi.Dy() < 4 {
		return pl, false
	}
	return placement{p: p, outline: outline, hinge: hinge, ear: ear, ex: ex, ey: ey, d: d, roi: roi}, true
}

// placement is a frame placed on one face, and the part of the picture
// it is drawn in.
type placement struct {
	p          posed
	outline    []point // the frame's corners and the temples' ends
	hinge, ear [2]headpose.Vec3
	ex, ey, d  float64 // the eye line, image right to image left, and its length
	roi        image.Rectangle
}

// Area is where Apply reads and draws for faces in a picture of size: the
// frames and temples, their shadows, and the faces they hide behind.
func (g Glasses) Area(size image.Point, faces []landmarks.Face) []image.Rectangle {
	if g.Frame == nil {
		return nil
	}
	var out []image.Rectangle
	for i := range faces {
		if pl, ok := g.place(&faces[i], size); ok {
			out = append(out, pl.roi)
		}
	}
	return out
}

func (g Glasses) applyFace(img *gocv.Mat, face *landmarks.Face, s *glassesScratch) {
	pl, ok := g.place(face, image.Pt(img.Cols(), img.Rows()))
	if !ok {
		return
	}
	pts, f, p, d, roi := &face.Points, g.Frame, &pl.p, pl.d, pl.roi
	ex, ey, outline, hinge, ear := pl.ex, pl.ey, pl.outline, pl.hinge, pl.ear
	W, H := float64(f.Size.X), float64(f.Size.Y)
	frontV, templeV, maskV, shadowV, homography := s.views(roi.Dx(), roi.Dy())
	defer frontV.Close()
	defer templeV.Close()
	defer maskV.Close()
	defer shadowV.Close()
	defer homography.Close()

	// The front: each half warped by its plane's homography from the
	// pyramid level nearest above the size it is drawn at.
	drawnWidth := math.Hypot(outline[2].X-outline[0].X, outline[2].Y-outline[0].Y)
	level := 0
	for level+1 < len(f.levels) && float64(f.levels[level+1].Cols()) >= drawnWidth {
		level++
	}
	src := f.levels[level]
	sx, sy := W/float64(src.Cols()), H/float64(src.Rows())
	for side, sign := range []float64{-1, 1} {
		// Source columns of this half, overlapping the other by 2 px so no
		// seam shows at the bridge (the second warp overwrites the first).
		c0, c1 := 0, int(math.Ceil(p.u0/sx))+2
		if side == 1 {
			c0, c1 = int(math.Floor(p.u0/sx))-2, src.Cols()
		}
		c0, c1 = max(0, c0), min(src.Cols(), c1)
		// Head point of level pixel (c, r) of the view: X = (c+c0)*sx*mm - u0*mm, ...
		a := headpose.Vec3{X: sx * p.mm, Z: sign * wrapTan * sx * p.mm}
		b := headpose.Vec3{Y: sy * p.mm}
		x0 := (float64(c0)*sx - p.u0) * p.mm
		pc := headpose.Vec3{X: x0, Y: -p.v0 * p.mm, Z: p.k*frontDepth + sign*wrapTan*x0}
		ra, rb, rc := p.r.Apply(a), p.r.Apply(b), p.r.Apply(pc).Add(p.t)
		cols := [3]headpose.Vec3{ra, rb, rc}
		// K, then the ROI's offset: H maps the half's pixel (c, r, 1) to
		// the ROI's (x*w, y*w, w).
		var hm [3][3]float64
		for j, c := range cols {
			hm[0][j] = p.cam.F*c.X + (p.cam.CX-float64(roi.Min.X))*c.Z
			hm[1][j] = p.cam.F*c.Y + (p.cam.CY-float64(roi.Min.Y))*c.Z
			hm[2][j] = c.Z
		}
		// The warp writes only where the half lands: its corners' bounds
		// (a plane's projection is convex), 2 px more for the bilinear
		// edge. OpenCV's warp visits every destination pixel it is given,
		// so the whole ROI, temples and all, would cost twice as much.
		dst := image.Rectangle{Max: roi.Size()}
		var quad []point
		for _, c := range [][2]float64{{0, 0}, {float64(c1 - c0), 0}, {float64(c1 - c0), float64(src.Rows())}, {0, float64(src.Rows())}} {
			w := hm[2][0]*c[0] + hm[2][1]*c[1] + hm[2][2]
			if !(w > 0) {
				quad = nil // behind the camera: warp the whole ROI
				break
			}
			quad = append(quad, point{(hm[0][0]*c[0] + hm[0][1]*c[1] + hm[0][2]) / w, (hm[1][0]*c[0] + hm[1][1]*c[1] + hm[1][2]) / w})
		}
		if quad != nil {
			dst = boundsF(quad).Inset(-2).Intersect(dst)
		}
		if dst.Dx() < 1 || dst.Dy() < 1 {
			continue
		}
		for i := range 3 {
			for j := range 3 {
				v := hm[i][j]
				// Moving the origin to dst's corner: x' = x - dx, so row i
				// loses d times the last row.
				switch i {
				case 0:
					v -= float64(dst.Min.X) * hm[2][j]
				case 1:
					v -= float64(dst.Min.Y) * hm[2][j]
				}
				s.h[3*i+j] = v
			}
		}
		half := src.Region(image.Rect(c0, 0, c1, src.Rows()))
		out := frontV.Region(dst)
		gocv.WarpPerspectiveWithParams(half, &out, homography, dst.Size(), gocv.InterpolationLinear, gocv.BorderTransparent, color.RGBA{})
		out.Close()
		half.Close()
	}

	// The face, whose pixels hide the temples and take the shadow: the jaw
	// line closed over the forehead.
	ux, uy := ex/d, ey/d
	up := point{uy, -ux}
	face2D := make([]image.Point, 0, 23)
	for i := 0; i <= 16; i++ {
		face2D = append(face2D, image.Pt(pts[i].X-roi.Min.X, pts[i].Y-roi.Min.Y))
	}
	// The brows' ends come in twice, as they are and raised, so the outline
	// holds the whole face up to the brows even where a turned head's raised
	// brow line leans inward.
	face2D = append(face2D, pts[26].Sub(roi.Min))
	for _, i := range []int{26, 24, 19, 17} {
		q := p2f(pts[i])
		face2D = append(face2D, image.Pt(int(q.X+up.X*0.9*d)-roi.Min.X, int(q.Y+up.Y*0.9*d)-roi.Min.Y))
	}
	face2D = append(face2D, pts[17].Sub(roi.Min))
	pv := gocv.NewPointsVectorFromPoints([][]image.Point{face2D})
	gocv.FillPolyWithParams(&maskV, pv, color.RGBA{255, 255, 255, 0}, gocv.LineAA, 0, image.Point{})
	pv.Close()

	// Temples: a tapering bar from each hinge to its ear, and a lighter
	// strip along its top where the light catches it.
	tc := f.templeColor
	light := color.RGBA{uint8(min(255, int(tc.R)+60)), uint8(min(255, int(tc.G)+60)), uint8(min(255, int(tc.B)+60)), 0}
	for side := range hinge {
		a, b := p.project(hinge[side]), p.project(ear[side])
		za := p.r.Apply(hinge[side]).Add(p.t).Z
		zb := p.r.Apply(ear[side]).Add(p.t).Z
		wa, wb := p.cam.F*f.templeMM*p.k/za, p.cam.F*f.templeMM*p.k*0.7/zb
		bar := temple(a, b, wa, wb)
		strip := temple(point{a.X + up.X*wa*0.2, a.Y + up.Y*wa*0.2}, point{b.X + up.X*wb*0.2, b.Y + up.Y*wb*0.2}, wa*0.35, wb*0.35)
		for i, poly := range [][]point{bar, strip} {
			c := color.RGBA{tc.R, tc.G, tc.B, 255} // gocv turns it into BGR
			if i == 1 {
				c = color.RGBA{light.R, light.G, light.B, 160}
			}
			pv := gocv.NewPointsVectorFromPoints(fixed([][]point{poly}, roi.Min))
			gocv.FillPolyWithParams(&templeV, pv, c, gocv.LineAA, subpixel, image.Point{})
			pv.Close()
		}
	}

	// The contact shadow: the front's alpha, moved down the face a little and
	// blurred.
	fp, sp := s.front, s.shadow
	stride := roi.Dx()
	shift := image.Pt(int(math.Round(-up.X*0.07*d)), int(math.Round(-up.Y*0.07*d)))
	w, h := roi.Dx(), roi.Dy()
	for y := 0; y < h; y++ {
		row := sp[y*stride : y*stride+w]
		sy := y - shift.Y
		for x := range row {
			sx := x - shift.X
			if sx < 0 || sy < 0 || sx >= w || sy >= h {
				row[x] = 0
				continue
			}
			row[x] = fp[4*(sy*stride+sx)+3]
		}
	}
	k := max(3, int(0.12*d)|1)
	gocv.Blur(shadowV, &shadowV, image.Pt(k, k))

	blendGlasses(img, roi, s)
}

// shadowStrength is how much the contact shadow darkens the skin under an
// opaque rim.
const shadowStrength = 0.38

// blendGlasses composites into img's roi, in order: the shadow (on the
// face only), the temples (off the face only) and the front, the last two
// premultiplied. It works in integers, a pixel's value in 1/256 of a
// level: the float version's conversions and rounding branches were most
// of its cost.
func blendGlasses(img *gocv.Mat, roi image.Rectangle, s *glassesScratch) {
	px, err := img.DataPtrUint8()
	if err != nil {
		return
	}
	fp, tp, mp, sp := s.front, s.temple, s.mask, s.shadow
	stride, cstride := img.Cols()*3, roi.Dx()
	// shadowQ is shadowStrength/255² in 2^-32: a pixel is scaled by
	// 1 - sh*m*shadowQ/2^32.
	shadowQ := uint64(math.Round(shadowStrength * (1 << 32) / (255 * 255)))
	w := roi.Dx()
	for y := 0; y < roi.Dy(); y++ {
		row := px[(roi.Min.Y+y)*stride+roi.Min.X*3:][:3*w]
		base := y * cstride
		frow, trow := fp[4*base:][:4*w], tp[4*base:][:4*w]
		mrow, srow := mp[base:][:w], sp[base:][:w]
		for x := range w {
			fa, ta, m, sh := frow[4*x+3], trow[4*x+3], mrow[x], srow[x]
			if fa == 0 && ta == 0 && (sh == 0 || m == 0) {
				continue
			}
			q := row[3*x : 3*x+3 : 3*x+3]
			v := [3]uint64{uint64(q[0]) << 8, uint64(q[1]) << 8, uint64(q[2]) << 8}
			if sh > 0 && m > 0 {
				k := 1<<32 - uint64(sh)*uint64(m)*shadowQ
				for c := range v {
					v[c] = v[c] * k >> 32
				}
			}
			if ta > 0 && m < 255 {
				// Off the face only: the temple's alpha times 1 - m.
				off := uint64(255 - m)
				keep := 255*255 - uint64(ta)*off
				t := trow[4*x : 4*x+3 : 4*x+3]
				for c := range v {
					v[c] = div255(div255(v[c]*keep)) + div255(uint64(t[c])*off<<8)
				}
			}
			if fa > 0 {
				keep := 255 - uint64(fa)
				f := frow[4*x : 4*x+3 : 4*x+3]
				for c := range v {
					v[c] = div255(v[c]*keep) + uint64(f[c])<<8
				}
			}
			q[0], q[1], q[2] = level8(v[0]), level8(v[1]), level8(v[2])
		}
	}
}

// div255 is x/255 for x below 2^32, by a multiplication with its
// reciprocal (exact for every 32-bit x).
func div255(x uint64) uint64 { return (x * 0x80808081) >> 39 }

// level8 is a value in 1/256 of a level as a byte, rounded and clamped.
func level8(v uint64) uint8 { return uint8(min(255, (v+128)>>8)) }

// temple is a bar from `from` to `to`, wa wide at the start, wb at the end.
func temple(from, to point, wa, wb float64) []point {
	dx, dy := to.X-from.X, to.Y-from.Y
	l := math.Hypot(dx, dy)
	if l < 1 {
		return []point{from, from, from}
	}
	nx, ny := -dy/l, dx/l
	return []point{
		{from.X + nx*wa/2, from.Y + ny*wa/2}, {to.X + nx*wb/2, to.Y + ny*wb/2},
		{to.X - nx*wb/2, to.Y - ny*wb/2}, {from.X - nx*wa/2, from.Y - ny*wa/2},
	}
}

type point struct{ X, Y float64 }

// subpixel is OpenCV's fixed-point shift for polygon vertices: 1/16 px.
const subpixel = 4

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
	// Not image.Rect, which would swap these into the largest rectangle.
	r := image.Rectangle{Min: image.Pt(math.MaxInt32, math.MaxInt32), Max: image.Pt(math.MinInt32, math.MinInt32)}
	for _, p := range pts {
		if math.IsNaN(p.X) || math.IsNaN(p.Y) {
			return image.Rectangle{}
		}
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
