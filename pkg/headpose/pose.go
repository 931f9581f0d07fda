// Package headpose estimates a face's yaw, pitch and roll from its 68
// landmarks, by fitting a generic 3D head (Model) to them under a pinhole
// camera: a small Levenberg-Marquardt least-squares PnP, in place of
// OpenCV's solvePnP (calib3d is not linked).
//
// Angles are in degrees, as the protocol exports them (landmarks.Pose):
// yaw > 0 when the nose points toward the image's right, pitch > 0 when the
// face looks up, roll > 0 when the head tilts clockwise in the image (the
// eye on the image's right lower).
package headpose

import (
	"image"
	"math"

	"github.com/livetryon/server/pkg/landmarks"
)

// Vec3 is a point or direction in millimetres.
type Vec3 struct{ X, Y, Z float64 }

// Add returns a+b.
func (a Vec3) Add(b Vec3) Vec3 { return Vec3{a.X + b.X, a.Y + b.Y, a.Z + b.Z} }

// Sub returns a-b.
func (a Vec3) Sub(b Vec3) Vec3 { return Vec3{a.X - b.X, a.Y - b.Y, a.Z - b.Z} }

// Scale returns a*k.
func (a Vec3) Scale(k float64) Vec3 { return Vec3{a.X * k, a.Y * k, a.Z * k} }

// Mat3 is a rotation, row-major.
type Mat3 [3][3]float64

// Apply returns m*v.
func (m *Mat3) Apply(v Vec3) Vec3 {
	return Vec3{
		m[0][0]*v.X + m[0][1]*v.Y + m[0][2]*v.Z,
		m[1][0]*v.X + m[1][1]*v.Y + m[1][2]*v.Z,
		m[2][0]*v.X + m[2][1]*v.Y + m[2][2]*v.Z,
	}
}

func mul(a, b Mat3) Mat3 {
	var c Mat3
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			c[i][j] = a[i][0]*b[0][j] + a[i][1]*b[1][j] + a[i][2]*b[2][j]
		}
	}
	return c
}

// rodrigues is the rotation by |w| radians about w.
func rodrigues(w Vec3) Mat3 {
	th := math.Sqrt(w.X*w.X + w.Y*w.Y + w.Z*w.Z)
	if th < 1e-12 {
		return Mat3{{1, -w.Z, w.Y}, {w.Z, 1, -w.X}, {-w.Y, w.X, 1}}
	}
	k := w.Scale(1 / th)
	c, s, v := math.Cos(th), math.Sin(th), 1-math.Cos(th)
	return Mat3{
		{c + k.X*k.X*v, k.X*k.Y*v - k.Z*s, k.X*k.Z*v + k.Y*s},
		{k.Y*k.X*v + k.Z*s, c + k.Y*k.Y*v, k.Y*k.Z*v - k.X*s},
		{k.Z*k.X*v - k.Y*s, k.Z*k.Y*v + k.X*s, c + k.Z*k.Z*v},
	}
}

const deg = 180 / math.Pi

// Rotation is the head-to-camera rotation of a pose: R = Rz(roll) Ry(-yaw)
// Rx(-pitch) in camera axes (x right, y down, z forward).
func Rotation(p landmarks.Pose) Mat3 {
	y, x, z := -p.Yaw/deg, -p.Pitch/deg, p.Roll/deg
	cy, sy, cx, sx, cz, sz := math.Cos(y), math.Sin(y), math.Cos(x), math.Sin(x), math.Cos(z), math.Sin(z)
	rz := Mat3{{cz, -sz, 0}, {sz, cz, 0}, {0, 0, 1}}
	ry := Mat3{{cy, 0, sy}, {0, 1, 0}, {-sy, 0, cy}}
	rx := Mat3{{1, 0, 0}, {0, cx, -sx}, {0, sx, cx}}
	return mul(rz, mul(ry, rx))
}

// angles inverts Rotation.
func angles(r Mat3) landmarks.Pose {
	yaw := math.Asin(math.Max(-1, math.Min(1, -r[2][0])))
	pitch := math.Atan2(r[2][1], r[2][2])
	roll := math.Atan2(r[1][0], r[0][0])
	return landmarks.Pose{Yaw: -yaw * deg, Pitch: -pitch * deg, Roll: roll * deg}
}

// Camera is a pinhole camera for a frame: focal length and principal point
// in pixels. Webcams' fields of view are about 55-70° across; a focal
// length of the frame's larger side (53°) is assumed.
type Camera struct {
	F, CX, CY float64
}

// CameraFor returns the assumed camera of a frame of the given size.
func CameraFor(size image.Point) Camera {
	return Camera{F: float64(max(size.X, size.Y, 1)), CX: float64(size.X) / 2, CY: float64(size.Y) / 2}
}

// Project maps a camera-space point to pixels.
func (c Camera) Project(p Vec3) (float64, float64) {
	z := math.Max(p.Z, 1)
	return c.F*p.X/z + c.CX, c.F*p.Y/z + c.CY
}

// weight of each point in the fit: the jaw line is the face's silhouette,
// which slides over the cheek as the head turns, so it counts less.
var weight = func() [landmarks.NumPoints]float64 {
	var w [landmarks.NumPoints]float64
	for i := range w {
		w[i] = 1
		if i <= 16 {
			w[i] = 0.3
		}
	}
	return w
}()

// Estimate fits Model to a face's points in a frame of the given size and
// returns its pose.
// Degenerate points (all in one place, say) give a frontal pose rather
// than NaNs, which JSON cannot carry.
func Estimate(s *landmarks.Shape, size image.Point) landmarks.Pose {
	r, _ := Fit(s, CameraFor(size))
	p := angles(r)
	for _, v := range []float64{p.Yaw, p.Pitch, p.Roll} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return landmarks.Pose{}
		}
	}
	return p
}

// Fit returns the rotation and translation that project Model onto s best
// (weighted least squares on the reprojection error), starting from a
// frontal face at the distance its eyes' spacing gives.
func Fit(s *landmarks.Shape, cam Camera) (Mat3, Vec3) {
	var obs [landmarks.NumPoints][2]float64
	for i, p := range s {
		obs[i] = [2]float64{float64(p.X), float64(p.Y)}
	}
	re, le := eyeCentre(&obs, 36), eyeCentre(&obs, 42)
	iod := math.Max(math.Hypot(le[0]-re[0], le[1]-re[1]), 1)
	tz := cam.F * 63 / iod
	mid := [2]float64{(re[0] + le[0]) / 2, (re[1] + le[1]) / 2}
	t := Vec3{(mid[0] - cam.CX) * tz / cam.F, (mid[1] - cam.CY) * tz / cam.F, tz}
	r := rodrigues(Vec3{0, 0, math.Atan2(le[1]-re[1], le[0]-re[0])})

	// Levenberg-Marquardt over (rotation increment, translation), the
	// residuals scaled to the face so the damping is scale-free.
	norm := 1 / iod
	residuals := func(r Mat3, t Vec3, out *[2 * landmarks.NumPoints]float64) float64 {
		sum := 0.0
		for i := range Model {
			x, y := cam.Project(r.Apply(Model[i]).Add(t))
			w := math.Sqrt(weight[i]) * norm
			out[2*i], out[2*i+1] = w*(x-obs[i][0]), w*(y-obs[i][1])
			sum += out[2*i]*out[2*i] + out[2*i+1]*out[2*i+1]
		}
		return sum
	}
	var res, res2 [2 * landmarks.NumPoints]float64
	var jac [6][2 * landmarks.NumPoints]float64
	cost := residuals(r, t, &res)
	lambda := 1e-3
	step := func(r Mat3, t Vec3, d [6]float64) (Mat3, Vec3) {
		// Translation steps are in units of the face's depth over 1000, so
		// the six parameters have comparable scales.
		return mul(rodrigues(Vec3{d[0], d[1], d[2]}), r), t.Add(Vec3{d[3], d[4], d[5]}.Scale(tz / 1000))
	}
	for iter := 0; iter < 30; iter++ {
		const h = 1e-6
		for k := 0; k < 6; k++ {
			var d [6]float64
			d[k] = h
			r2, t2 := step(r, t, d)
			residuals(r2, t2, &res2)
			for i := range res {
				jac[k][i] = (res2[i] - res[i]) / h
			}
		}
		var a [6][6]float64
		var g [6]float64
		for i := 0; i < 6; i++ {
			for j := 0; j <= i; j++ {
				sum := 0.0
				for n := range res {
					sum += jac[i][n] * jac[j][n]
				}
				a[i][j], a[j][i] = sum, sum
			}
			for n := range res {
				g[i] -= jac[i][n] * res[n]
			}
		}
		improved := false
		for try := 0; try < 8; try++ {
			var m [6][6]float64
			for i := range a {
				m[i] = a[i]
				m[i][i] *= 1 + lambda
				m[i][i] += 1e-12
			}
			d, ok := solve6(m, g)
			if !ok {
				lambda *= 10
				continue
			}
			r2, t2 := step(r, t, d)
			if c := residuals(r2, t2, &res2); c < cost {
				small := cost-c < 1e-10*cost
				r, t, cost, res = r2, t2, c, res2
				lambda = math.Max(lambda/10, 1e-7)
				improved = true
				if small {
					return r, t
				}
				break
			}
			lambda *= 10
		}
		if !improved {
			break
		}
	}
	return r, t
}

func eyeCentre(obs *[landmarks.NumPoints][2]float64, from int) [2]float64 {
	var c [2]float64
	for i := from; i < from+6; i++ {
		c[0] += obs[i][0] / 6
		c[1] += obs[i][1] / 6
	}
	return c
}

// solve6 solves a x = b by Gaussian elimination with partial pivoting.
func solve6(a [6][6]float64, b [6]float64) ([6]float64, bool) {
	for c := 0; c < 6; c++ {
		p := c
		for r := c + 1; r < 6; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if math.Abs(a[p][c]) < 1e-15 {
			return b, false
		}
		a[c], a[p] = a[p], a[c]
		b[c], b[p] = b[p], b[c]
		for r := c + 1; r < 6; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k < 6; k++ {
				a[r][k] -= f * a[c][k]
			}
			b[r] -= f * b[c]
		}
	}
	var x [6]float64
	for c := 5; c >= 0; c-- {
		s := b[c]
		for k := c + 1; k < 6; k++ {
			s -= a[c][k] * x[k]
		}
		x[c] = s / a[c][c]
	}
	return x, true
}

// RotateZ returns r turned by angle radians about the camera's axis (a roll
// in the picture).
func RotateZ(r Mat3, angle float64) Mat3 {
	return mul(rodrigues(Vec3{0, 0, angle}), r)
}
