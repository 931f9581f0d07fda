package pipeline

import (
	"image"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvimage"
)

// Periodic re-detection runs beside the answer path. While a session's
// faces are tracked, a frame whose re-detection is due is answered at once
// from the tracked faces, and a copy of its gray picture, already scaled
// for detection (or only the faces' surroundings, recheck.go), goes to
// the engine's background queue, which workers take only when no live
// frame waits. The boxes found are left in the session's
// redetection; its next frame merges them: tracked faces the detector no
// longer sees are dropped, and faces it found that are not tracked yet are
// fitted and tracked from then on. A result whose frame is no longer the
// scene (the picture jumped since, or a detection on the answer path ran)
// is dropped instead. A session has one background detection
// at most, so it costs one small gray picture of memory (or one 200 px
// crop a face).
//
// Frames with no face tracked, and frames after a scene change, still
// detect on the answer path: there is nothing to answer with until then.

// redetection is one session's background detection: its state and, once
// done, its boxes in the frame's coordinates.
type redetection struct {
	mu      sync.Mutex
	running bool
	stale   bool // abandoned while running: its result is dropped
	done    bool
	boxes   []image.Rectangle
}

// start marks a detection as running; false if one already is, or has a
// result not yet merged.
func (r *redetection) start() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running || r.done {
		return false
	}
	r.running = true
	return true
}

func (r *redetection) finish(boxes []image.Rectangle, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.running = false
	if r.stale {
		r.stale = false
		return
	}
	r.done, r.boxes = ok, boxes
}

// abandon drops the detection's result, now or when it finishes: the
// picture jumped since its frame (a cut), or a detection on the answer
// path superseded it. Merged after a cut, the boxes of the faces of the
// shot before would be fitted on the new shot as new faces.
func (r *redetection) abandon() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done, r.boxes = false, nil
	r.stale = r.running
}

// take returns a finished detection's boxes, once.
func (r *redetection) take() ([]image.Rectangle, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.done {
		return nil, false
	}
	boxes := r.boxes
	r.done, r.boxes = false, nil
	return boxes, true
}

// detectJob is a background detection on a worker: of the whole frame,
// or a recheck of the tracked faces' surroundings (recheck.go).
type detectJob struct {
	small gocv.Mat // gray, scaled for detection; the job's own (whole-frame jobs only)
	scale float64  // frame pixels per small pixel
	crops []crop   // a recheck's pictures instead, the job's own
	into  *redetection
}

func (d *detectJob) run(w *worker) {
	if d.crops != nil {
		defer closeCrops(d.crops)
		boxes, err := w.detectIn(d.crops)
		d.into.finish(boxes, err == nil)
		return
	}
	defer d.small.Close()
	g, err := cvimage.Gray(d.small)
	if err != nil {
		d.into.finish(nil, false)
		return
	}
	boxes, err := w.detector.Detect(g, 0)
	for i, b := range boxes {
		boxes[i] = scaleRect(b, d.scale)
	}
	d.into.finish(boxes, err == nil)
}

func (d *detectJob) cancel() {
	if d.crops == nil {
		d.small.Close()
	}
	closeCrops(d.crops)
	d.into.finish(nil, false)
}

func scaleRect(b image.Rectangle, scale float64) image.Rectangle {
	return image.Rect(int(float64(b.Min.X)*scale), int(float64(b.Min.Y)*scale),
		int(float64(b.Max.X)*scale), int(float64(b.Max.Y)*scale))
}

// iou is the intersection over union of two boxes.
func iou(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	if in.Empty() {
		return 0
	}
	i := float64(in.Dx() * in.Dy())
	return i / (float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - i)
}

// sameFace is the overlap above which a detected box and a tracked face's
// box are the same face. A background detection's boxes are a few frames
// old, so it is lower than a detector's own.
const sameFace = 0.3

// merge applies a background detection's boxes: tracked faces no box
// matches are dropped, and boxes that match no tracked face are returned
// as new faces to fit on this frame.
func (t *tracker) merge(boxes []image.Rectangle) (fresh []image.Rectangle) {
	matched := make([]bool, len(boxes))
	kept := t.faces[:0]
	for _, f := range t.faces {
		fb := f.box()
		best, bestIoU := -1, sameFace
		for i, b := range boxes {
			if v := iou(fb, b); v >= bestIoU && !matched[i] {
				best, bestIoU = i, v
			}
		}
		if best >= 0 {
			matched[best] = true
			kept = append(kept, f)
		}
	}
	for i := len(kept); i < len(t.faces); i++ {
		t.faces[i] = trackedFace{}
	}
	t.faces = kept
	for i, b := range boxes {
		if !matched[i] {
			fresh = append(fresh, b)
		}
	}
	return fresh
}

// startRedetect starts a background re-detection for track's session: a
// copy of w.gray scaled for a whole-frame search, or crops around boxes,
// the faces on this frame, for a recheck (recheck.go). false if the engine
// is closed or one runs.
func (w *worker) startRedetect(e *Engine, track *tracker, boxes []image.Rectangle, at time.Time) bool {
	if track.bg == nil {
		track.bg = &redetection{}
	}
	frame := image.Pt(w.gray.Cols(), w.gray.Rows())
	kind, region := track.plan(boxes, frame, at)
	whole := kind == wholeSearch
	if kind == recheckOnly && !track.recheckNeeded(boxes, frame) {
		// The same picture as the last detection saw: it would find the
		// same faces.
		e.rechecksSkipped.Add(1)
		return true
	}
	if !track.bg.start() {
		return false
	}
	job := &detectJob{into: track.bg}
	if whole {
		job.small = gocv.NewMat()
		job.scale = scaleForDetection(w.gray, &job.small, DetectWidth(*w.cfg, w.gray.Cols(), false, track.narrowest()))
	} else {
		job.crops = cropsAround(w.gray, boxes)
		if kind == regionSearch {
			job.crops = append(job.crops, regionCrop(w.gray, region, DetectWidth(*w.cfg, w.gray.Cols(), false, track.narrowest())))
		}
	}
	if !e.scheduleBackground(job) {
		job.cancel()
		return false
	}
	switch kind {
	case wholeSearch:
		track.searchedWhole(at)
		e.backgroundDetections.Add(1)
	case regionSearch:
		track.searchedPart() // the rest of the frame is as the last search saw it
		e.regionSearches.Add(1)
	default:
		e.rechecks.Add(1)
	}
	track.checkedAround(boxes)
	return true
}
