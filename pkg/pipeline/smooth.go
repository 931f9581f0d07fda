package pipeline

import (
	"image"
	"math"

	"github.com/livetryon/server/pkg/landmarks"
)

// oneEuro is the One Euro filter (Casiez, Roussel and Vogel, CHI 2012): a
// low-pass filter whose cut-off rises with speed, so a still face's
// landmarks stop trembling while a moving face is followed without lag.
type oneEuro struct {
	x, dx  float64
	primed bool
}

// Filter parameters, for coordinates in pixels and time in seconds: for a
// still face the cut-off stays near minCutoff and sensor noise is smoothed
// away; at 100 px/s it is 21 Hz and the filter all but steps aside. Chosen
// on the still and moving clips of TestSmoothingStillsJitterWithoutLag.
const (
	minCutoff = 1.0 // Hz
	beta      = 0.2 // Hz per px/s
	dCutoff   = 1.0 // Hz, for the speed estimate
)

func smoothingFactor(dt, cutoff float64) float64 {
	tau := 1 / (2 * math.Pi * cutoff)
	return 1 / (1 + tau/dt)
}

func (f *oneEuro) filter(x, dt float64) float64 {
	if !f.primed || dt <= 0 {
		f.x, f.dx, f.primed = x, 0, true
		return x
	}
	dx := (x - f.x) / dt
	f.dx += smoothingFactor(dt, dCutoff) * (dx - f.dx)
	f.x += smoothingFactor(dt, minCutoff+beta*math.Abs(f.dx)) * (x - f.x)
	return f.x
}

// shapeFilter smooths one face's 68 points and its head pose.
type shapeFilter struct {
	points [landmarks.NumPoints][2]oneEuro
	pose   [3]oneEuro
}

func (f *shapeFilter) apply(s *landmarks.Shape, dt float64) landmarks.Shape {
	var out landmarks.Shape
	for i, p := range s {
		out[i] = image.Pt(
			int(math.Round(f.points[i][0].filter(float64(p.X), dt))),
			int(math.Round(f.points[i][1].filter(float64(p.Y), dt))))
	}
	return out
}

// The pose is estimated from the smoothed points, which are whole pixels:
// on a still face a point flipping between two pixels turns a small face's
// estimate by a degree or two, so the angles get a filter of their own,
// in degrees and degrees a second. Turning the head at 60°/s lifts the
// cut-off to about 4 Hz.
const (
	poseMinCutoff = 0.7 // Hz
	poseBeta      = 0.05
)

func (f *shapeFilter) applyPose(p landmarks.Pose, dt float64) landmarks.Pose {
	v := [3]float64{p.Yaw, p.Pitch, p.Roll}
	for i := range v {
		e := &f.pose[i]
		if !e.primed || dt <= 0 {
			e.x, e.dx, e.primed = v[i], 0, true
			continue
		}
		dx := (v[i] - e.x) / dt
		e.dx += smoothingFactor(dt, dCutoff) * (dx - e.dx)
		e.x += smoothingFactor(dt, poseMinCutoff+poseBeta*math.Abs(e.dx)) * (v[i] - e.x)
		v[i] = e.x
	}
	return landmarks.Pose{Yaw: v[0], Pitch: v[1], Roll: v[2]}
}
