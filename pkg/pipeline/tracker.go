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
	detectedAt  time.Time         // arrival of the frame the last detection started on
	last        time.Time         // when the previous frame was submitted
	thumb       []byte            // the previous frame, gray, thumbWidth x thumbHeight
	moved       bool              // this frame differs from the previous one too much to track
	size        image.Point       // the previous frame's size
	search      search            // paces detections while no face is tracked (search.go)
	searched    []byte            // the thumbnail of the last whole-frame detection (recheck.go)
	searchedAt  time.Time         // and its frame's clock
	checked     []byte            // the thumbnail of the last detection that saw the tracked faces (recheck.go)
	checkedOn   []image.Rectangle // and their boxes then
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
	shape  landmarks.Shape // as fitted, unsmoothed: boxes are placed from it
	anchor boxAnchor       // where the detector's box sat around the face
	smooth *shapeFilter
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
// says whether their boxes came from the detector, which resets their
// anchors.
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
			t.faces[i] = trackedFace{shape: f.Points, anchor: anchorOf(f.Box, &f.Points), smooth: takeFilter(prev, &f.Points)}
		}
	} else {
		t.sinceDetect++
		for i := range t.faces {
			t.faces[i].shape = faces[i].Points
		}
		// Faces a background detection found, fitted on this frame.
		for _, f := range faces[len(t.faces):] {
			t.faces = append(t.faces, trackedFace{shape: f.Points, anchor: anchorOf(f.Box, &f.Points), smooth: &shapeFilter{}})
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

// boxAnchor is the detector's box relative to the face's rigid points
// (brows, nose and eyes, which a mouth that opens or a jaw that moves does
// not move): its corners' offsets from their centre, in units of their
// spread. Between detections the box follows those points' centre and
// spread, and keeps the detector's shape. A box placed from all the
// points' bounds instead changes shape with the mouth, and the shape
// predictor, fitted in a box squashed by a few pixels, answers with a
// shape squashed further: a feedback that, on a real webcam, ended in a
// fit a third of the inter-ocular distance off within five frames.
type boxAnchor struct {
	min, max [2]float64
}

// rigidFirst and rigidLast bound the rigid points: 17-26 the brows, 27-35
// the nose, 36-47 the eyes.
const rigidFirst, rigidLast = 17, 47

// rigidFrame is the rigid points' centre and spread (their RMS distance
// from it).
func rigidFrame(s *landmarks.Shape) (cx, cy, spread float64) {
	const n = rigidLast - rigidFirst + 1
	for _, p := range s[rigidFirst : rigidLast+1] {
		cx += float64(p.X)
		cy += float64(p.Y)
	}
	cx, cy = cx/n, cy/n
	for _, p := range s[rigidFirst : rigidLast+1] {
		dx, dy := float64(p.X)-cx, float64(p.Y)-cy
		spread += dx*dx + dy*dy
	}
	return cx, cy, math.Max(1, math.Sqrt(spread/n))
}

func anchorOf(box image.Rectangle, s *landmarks.Shape) boxAnchor {
	cx, cy, spread := rigidFrame(s)
	return boxAnchor{
		min: [2]float64{(float64(box.Min.X) - cx) / spread, (float64(box.Min.Y) - cy) / spread},
		max: [2]float64{(float64(box.Max.X) - cx) / spread, (float64(box.Max.Y) - cy) / spread},
	}
}

func (f *trackedFace) box() image.Rectangle {
	cx, cy, spread := rigidFrame(&f.shape)
	a := f.anchor
	return image.Rect(
		int(math.Round(cx+a.min[0]*spread)), int(math.Round(cy+a.min[1]*spread)),
		int(math.Round(cx+a.max[0]*spread)), int(math.Round(cy+a.max[1]*spread)))
}
