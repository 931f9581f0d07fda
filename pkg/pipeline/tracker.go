package pipeline

import (
	"image"
	"math"
	"time"

	"github.com/livetryon/server/pkg/headpose"
	"github.com/livetryon/server/pkg/landmarks"
)

// tracker follows a session's faces from frame to frame so the HOG detector,
// most of a frame's cost, runs only every few frames. Between detections
// each face's box is placed from its previous landmarks, the way the
// detector placed it relative to them when it last ran, and the shape
// predictor refits the landmarks inside it. A periodic fresh detection
// picks up faces that entered and drops those that left.
//
// Each tracked face also carries a One Euro filter over its landmarks, kept
// across detections by matching faces to the ones seen before, so several
// faces are smoothed independently.
//
// It belongs to one session, and a session is processed by one worker at a
// time, so it needs no lock.
type tracker struct {
	faces       []trackedFace
	sinceDetect int
	detectedAt  time.Time   // arrival of the frame the last detection started on
	last        time.Time   // when the previous frame was submitted
	thumb       []byte      // the previous frame, gray, thumbWidth x thumbHeight
	moved       bool        // this frame differs from the previous one too much to track
	size        image.Point // the previous frame's size
	search      search      // paces detections while no face is tracked (search.go)
	searched    []byte      // the thumbnail of the last whole-frame detection (recheck.go)
	searchedAt  time.Time   // and its frame's clock
	bg          *redetection
}

// A thumbnail of each frame is compared with the previous one: a mean
// difference above sceneChange levels means the picture jumped (a cut, a
// looped clip, a fast head turn) and landmarks from the previous frame
// would place the face's box wrongly, so the detector runs instead. Camera
// noise and ordinary motion stay well below it.
const (
	thumbWidth, thumbHeight = 80, 60
	sceneChange             = 10
)

// compare records the frame's thumbnail and whether it jumped from the
// previous one. A frame of another size (the page switched the camera's
// resolution) has jumped too: the tracked faces' boxes are in the old
// frame's pixels.
func (t *tracker) compare(thumb []byte, size image.Point) {
	t.moved = t.size != (image.Point{}) && size != t.size
	t.size = size
	if len(t.thumb) == len(thumb) && !t.moved {
		sum := 0
		for i, v := range thumb {
			d := int(v) - int(t.thumb[i])
			if d < 0 {
				d = -d
			}
			sum += d
		}
		t.moved = sum > sceneChange*len(thumb)
	}
	t.thumb = append(t.thumb[:0], thumb...)
}

type trackedFace struct {
	shape landmarks.Shape // as fitted, unsmoothed: boxes are placed from it
	// Where the detector's box sat around the landmarks' bounds, as
	// fractions of their width and height: left, top, right, bottom.
	margins [4]float64
	smooth  *shapeFilter
}

// mustDetect reports whether this frame needs a detection before it can
// be answered: nothing is tracked, the picture jumped, or every frame
// detects.
func (t *tracker) mustDetect(every int) bool {
	return every <= 1 || len(t.faces) == 0 || t.moved
}

// redetectDue reports whether a periodic re-detection is due on a frame
// that arrived at `at`: every frames and interval after the last one.
func (t *tracker) redetectDue(every int, interval time.Duration, at time.Time) bool {
	return t.sinceDetect+1 >= every && at.Sub(t.detectedAt) >= interval
}

// narrowest is the width of the narrowest face tracked, 0 if none.
func (t *tracker) narrowest() int {
	n := 0
	for _, f := range t.faces {
		if w := f.box().Dx(); n == 0 || w < n {
			n = w
		}
	}
	return n
}

// boxes places a box for each tracked face in a frame of the given size. A
// face that drifted mostly out of the frame is given up, and ok is false so
// the caller detects instead.
func (t *tracker) boxes(frame image.Rectangle) (boxes []image.Rectangle, ok bool) {
	boxes = make([]image.Rectangle, 0, len(t.faces))
	for _, f := range t.faces {
		b := f.box()
		if in := b.Intersect(frame); in.Dx()*in.Dy()*4 < b.Dx()*b.Dy()*3 {
			return nil, false
		}
		boxes = append(boxes, b)
	}
	return boxes, true
}

// update records the faces fitted in a frame submitted at `at`. detected
// says whether their boxes came from the detector, which resets the margins.
// With smooth, faces' points are replaced by their filtered values. Each
// face gets its head pose, from its (smoothed) points, smoothed too.
func (t *tracker) update(faces []landmarks.Face, detected, smooth bool, at time.Time) {
	dt := 0.0
	if !t.last.IsZero() {
		dt = at.Sub(t.last).Seconds()
	}
	t.last = at
	if detected {
		t.sinceDetect = 0
		prev := t.faces
		t.faces = make([]trackedFace, len(faces))
		for i, f := range faces {
			t.faces[i] = trackedFace{shape: f.Points, margins: marginsOf(f.Box, &f.Points), smooth: takeFilter(prev, &f.Points)}
		}
	} else {
		t.sinceDetect++
		for i := range t.faces {
			t.faces[i].shape = faces[i].Points
		}
		// Faces a background detection found, fitted on this frame.
		for _, f := range faces[len(t.faces):] {
			t.faces = append(t.faces, trackedFace{shape: f.Points, margins: marginsOf(f.Box, &f.Points), smooth: &shapeFilter{}})
		}
	}
	for i := range faces {
		if smooth {
			faces[i].Points = t.faces[i].smooth.apply(&faces[i].Points, dt)
		}
		pose := headpose.Estimate(&faces[i].Points, t.size)
		if smooth {
			pose = t.faces[i].smooth.applyPose(pose, dt)
		}
		faces[i].Pose = &pose
	}
}

// takeFilter hands over the filter of the previously tracked face nearest
// to s, if one is within half an inter-ocular distance, so smoothing carries
// on across detections; otherwise a fresh filter.
func takeFilter(prev []trackedFace, s *landmarks.Shape) *shapeFilter {
	best, bestDist := -1, 0.5*s.InterOcular()
	c := shapeCentre(s)
	for i := range prev {
		if prev[i].smooth == nil {
			continue
		}
		pc := shapeCentre(&prev[i].shape)
		if d := math.Hypot(c[0]-pc[0], c[1]-pc[1]); d < bestDist {
			best, bestDist = i, d
		}
	}
	if best < 0 {
		return &shapeFilter{}
	}
	f := prev[best].smooth
	prev[best].smooth = nil // one face, one filter
	return f
}

func shapeCentre(s *landmarks.Shape) [2]float64 {
	var x, y float64
	for _, p := range s {
		x += float64(p.X)
		y += float64(p.Y)
	}
	return [2]float64{x / landmarks.NumPoints, y / landmarks.NumPoints}
}

func (f *trackedFace) box() image.Rectangle {
	l := shapeBounds(&f.shape)
	w, h := float64(l.Dx()), float64(l.Dy())
	return image.Rect(
		l.Min.X-int(f.margins[0]*w+0.5), l.Min.Y-int(f.margins[1]*h+0.5),
		l.Max.X+int(f.margins[2]*w+0.5), l.Max.Y+int(f.margins[3]*h+0.5))
}

func marginsOf(box image.Rectangle, s *landmarks.Shape) [4]float64 {
	l := shapeBounds(s)
	w, h := float64(max(1, l.Dx())), float64(max(1, l.Dy()))
	return [4]float64{
		float64(l.Min.X-box.Min.X) / w, float64(l.Min.Y-box.Min.Y) / h,
		float64(box.Max.X-l.Max.X) / w, float64(box.Max.Y-l.Max.Y) / h,
	}
}

func shapeBounds(s *landmarks.Shape) image.Rectangle {
	r := image.Rectangle{Min: s[0], Max: s[0]}
	for _, p := range s[1:] {
		r.Min.X, r.Min.Y = min(r.Min.X, p.X), min(r.Min.Y, p.Y)
		r.Max.X, r.Max.Y = max(r.Max.X, p.X), max(r.Max.Y, p.Y)
	}
	return r
}
