package pipeline

import (
	"errors"
	"fmt"
	"image"
	"math"
	"sync/atomic"
	"time"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvimage"
	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/frame"
	"github.com/livetryon/server/pkg/headpose"
	"github.com/livetryon/server/pkg/landmarks"
)

// worker holds what one goroutine needs to process frames: its own face
// detector (dlib's is not safe to share) and buffers reused across frames.
type worker struct {
	busySince atomic.Int64 // unix nanoseconds the current job started; 0 when idle
	cfg       *Config
	predictor *landmarks.Predictor
	detector  *landmarks.Detector
	gray      gocv.Mat // the frame's luma: its Y plane when planar
	cb, cr    gocv.Mat // the frame's chroma planes, when planar
	small     gocv.Mat
	thumb     gocv.Mat // for the tracker's scene-change test
	sampled   gocv.Mat // the frame at 4 pixels a thumbnail pixel, on the way to thumb
	jpeg      []byte   // base64 decoding scratch
	img       gocv.Mat // the decoded frame, reused while frames keep their size
	encode    cvjpeg.Options
}

func newWorker(e *Engine) (*worker, error) {
	det, err := landmarks.NewDetector()
	if err != nil {
		return nil, err
	}
	return &worker{
		cfg:       &e.cfg,
		predictor: e.predictor,
		detector:  det,
		gray:      gocv.NewMat(),
		cb:        gocv.NewMat(),
		cr:        gocv.NewMat(),
		small:     gocv.NewMat(),
		thumb:     gocv.NewMat(),
		sampled:   gocv.NewMat(),
		img:       gocv.NewMat(),
		encode:    cvjpeg.Options{Quality: e.cfg.JPEGQuality},
	}, nil
}

func (w *worker) close() {
	w.detector.Close()
	w.gray.Close()
	w.cb.Close()
	w.cr.Close()
	w.small.Close()
	w.thumb.Close()
	w.sampled.Close()
	w.img.Close()
}

// frameJob is what process needs besides the frame: the session's settings
// and state, or those of a photo (still, with no rate or tracker).
type frameJob struct {
	effects []Effect
	output  Output
	encoder Encoder // nil: JPEG
	still   bool
	batch   bool // a video file: paced by its own clock, no rate stamped
	overlay bool // stamp the FPS (live sessions that did not turn it off)
	rate    *RateMeter
	track   *tracker
	engine  *Engine // for background detections
}

// process runs every stage on one frame. Client mistakes come back as
// Result.Err; nothing here panics on bad input.
func (w *worker) process(q queued, job frameJob) (res Result) {
	track, still := job.track, job.still
	res.Tag = q.in.Tag
	t := time.Now()
	res.Timings.Queue = t.Sub(q.at)
	lap := func(d *time.Duration) {
		now := time.Now()
		*d = now.Sub(t)
		t = now
	}
	if w.cfg.Delay > 0 {
		time.Sleep(w.cfg.Delay)
	}

	// A live frame answered as JPEG is decoded to its planes when it can
	// be (cvjpeg.Planes): its gray picture is then its Y plane, and only
	// what the effects draw on becomes BGR.
	planar, err := w.decode(q.in, !still && job.encoder == nil)
	if err != nil {
		res.Err = asFrameError(err)
		return res
	}
	img := &w.img
	if !planar {
		gocv.CvtColor(*img, &w.gray, gocv.ColorBGRToGray)
	}
	res.Width, res.Height = w.gray.Cols(), w.gray.Rows()
	lap(&res.Timings.Decode)

	// A live frame's clock is its arrival. A video file's frames arrive as
	// fast as workers take them, so their clock is the video's own
	// (Captured): re-detection then comes as often in video time as it
	// does for a camera.
	clock := q.at
	if job.batch && !q.in.Captured.IsZero() {
		clock = q.in.Captured
	}
	var boxes []image.Rectangle
	detected := true
	switch {
	case still:
		boxes, err = w.detectStill()
	default:
		w.thumbnail()
		if px, err := w.thumb.DataPtrUint8(); err == nil {
			track.compare(px, image.Pt(res.Width, res.Height))
		}
		var fresh []image.Rectangle
		if track.bg != nil {
			if track.moved {
				track.bg.abandon()
			} else if found, ok := track.bg.take(); ok {
				fresh = track.merge(found)
			}
		}
		// With no face tracked, or after a cut, detection is a search,
		// which gets a share of the frames (search.go) unless every frame
		// is to detect.
		searching := len(fresh) == 0 && (len(track.faces) == 0 || track.moved)
		var searchNow, finer bool
		if searching {
			searchNow, finer = track.search.due(track.thumb, track.moved)
			searchNow = searchNow || w.cfg.RedetectEvery <= 1
		}
		if detected = track.mustDetect(w.cfg.RedetectEvery); !detected {
			var ok bool
			boxes, ok = track.boxes(image.Rect(0, 0, res.Width, res.Height))
			detected = !ok
		}
		// Batch work re-detects in place: nobody waits for its answer, and a
		// background result would land on a frame that depends on how busy
		// the workers were, not on the video.
		recheck, kind, region := false, wholeSearch, image.Rectangle{}
		if !detected && job.batch && track.redetectDue(w.cfg.RedetectEvery, w.cfg.RedetectInterval, clock) {
			detected = true
			kind, region = track.plan(boxes, image.Pt(res.Width, res.Height), clock)
			recheck = kind != wholeSearch
		}
		switch {
		case searching && !searchNow:
			// Not this frame's turn: the scene had no face at the last
			// search, and the faces tracked before a cut are gone.
			boxes, fresh = nil, nil
		case recheck && kind == recheckOnly && !track.recheckNeeded(boxes, image.Pt(res.Width, res.Height)):
			// The same picture as the last detection saw: it would find the
			// same faces.
			detected = false
			track.sinceDetect = -1 // update counts this frame
			track.detectedAt = clock
			job.engine.rechecksSkipped.Add(1)
		case recheck:
			track.checkedAround(boxes)
			crops := cropsAround(w.gray, boxes)
			if kind == regionSearch {
				crops = append(crops, regionCrop(w.gray, region, DetectWidth(*w.cfg, w.gray.Cols(), false, track.narrowest())))
				track.searchedPart()
				job.engine.regionSearches.Add(1)
			} else {
				job.engine.rechecks.Add(1)
			}
			boxes, err = w.detectIn(crops)
			closeCrops(crops)
			track.detectedAt = clock
			if len(boxes) == 0 {
				track.search.lost(track.thumb)
			}
		case detected:
			if track.bg != nil {
				track.bg.abandon()
			}
			boxes, err = w.detect(finer, track.narrowest())
			track.detectedAt = clock
			track.searchedWhole(clock)
			track.checkedAround(boxes)
			job.engine.detections.Add(1)
			switch {
			case searching:
				track.search.found(len(boxes))
				if len(boxes) > 0 {
					track.search.forget(track.thumb)
				}
			case len(boxes) == 0:
				// The tracked faces left: this was the search's first look.
				track.search.lost(track.thumb)
			}
		default:
			boxes = append(boxes, fresh...)
			if track.redetectDue(w.cfg.RedetectEvery, w.cfg.RedetectInterval, clock) && w.startRedetect(job.engine, track, boxes, clock) {
				track.sinceDetect = -1 // update counts this frame
				track.detectedAt = clock
			}
		}
	}
	lap(&res.Timings.Detect)
	if err == nil {
		res.Faces, err = w.fit(boxes)
	}
	lap(&res.Timings.Landmarks)
	if err == nil && !still {
		at := q.in.Captured
		if at.IsZero() {
			at = q.at
		}
		track.update(res.Faces, detected, !w.cfg.NoSmoothing, at)
		res.Tracked = !detected
	}
	if err == nil && still {
		for i := range res.Faces {
			pose := headpose.Estimate(&res.Faces[i].Points, image.Pt(res.Width, res.Height))
			res.Faces[i].Pose = &pose
		}
	}
	if err != nil {
		res.Err = asFrameError(err)
		return res
	}

	if !still {
		res.FPS = job.rate.Tick(time.Now())
	}
	if job.output == OutputLandmarks {
		return res
	}
	var drawn []image.Rectangle
	if planar {
		drawn = w.toBGR(job, &res)
	}
	for _, e := range job.effects {
		e.Apply(img, res.Faces)
	}
	if !still && job.overlay {
		effects.DrawFPS(img, res.FPS)
	}
	lap(&res.Timings.Effects)

	if job.encoder != nil {
		at := q.in.Captured
		if at.IsZero() {
			at = q.at
		}
		if res.Encoded, err = job.encoder.Encode(*img, at); err != nil {
			res.Err = asFrameError(fmt.Errorf("encode: %w", err))
		}
		lap(&res.Timings.Encode)
		return res
	}
	var buf *cvjpeg.Buffer
	if planar {
		buf, err = w.encodePlanes(drawn)
	} else {
		buf, err = cvjpeg.Encode(*img, w.encode)
	}
	if err != nil {
		res.Err = asFrameError(fmt.Errorf("encode: %w", err))
		return res
	}
	res.JPEG = buf.Bytes() // C memory, not copied; freed by Release
	res.release = buf.Close
	lap(&res.Timings.Encode)
	return res
}

// toBGR makes w.img, for the effects, a BGR picture of the planar frame's
// size that is the frame where they will draw (what their Area says, and
// the FPS stamp's), and returns those parts. An effect that cannot say
// where it draws gets the whole frame.
func (w *worker) toBGR(job frameJob, res *Result) []image.Rectangle {
	size := image.Pt(res.Width, res.Height)
	if w.img.Ptr() == nil || w.img.Cols() != size.X || w.img.Rows() != size.Y || w.img.Type() != gocv.MatTypeCV8UC3 || !w.img.IsContinuous() {
		w.img.Close()
		w.img = gocv.NewMatWithSize(size.Y, size.X, gocv.MatTypeCV8UC3)
	}
	var drawn []image.Rectangle
	for _, e := range job.effects {
		a, ok := e.(areaEffect)
		if !ok {
			drawn = []image.Rectangle{{Max: size}}
			break
		}
		drawn = append(drawn, a.Area(size, res.Faces)...)
	}
	if job.overlay {
		drawn = append(drawn, effects.FPSArea(size, res.FPS))
	}
	planes := w.planes()
	for i, r := range drawn {
		drawn[i] = planes.Blocks(r)
	}
	drawn = mergeOverlapping(drawn)
	for _, r := range drawn {
		planes.ToBGR(&w.img, r) // sizes checked above
	}
	return drawn
}

// areaEffect is an effect that can say, before drawing, which parts of a
// picture of size it reads and draws for faces; the rest of the picture it
// is given may be stale, and it leaves it alone.
type areaEffect interface {
	Area(size image.Point, faces []landmarks.Face) []image.Rectangle
}

// mergeOverlapping replaces rectangles that overlap by their bounds, until
// none does, so no pixel is converted twice.
func mergeOverlapping(rs []image.Rectangle) []image.Rectangle {
	for merged := true; merged; {
		merged = false
		for i := 0; i < len(rs) && !merged; i++ {
			for j := i + 1; j < len(rs); j++ {
				if rs[i].Overlaps(rs[j]) {
					rs[i] = rs[i].Union(rs[j])
					rs = append(rs[:j], rs[j+1:]...)
					merged = true
					break
				}
			}
		}
	}
	return rs
}

// encodePlanes writes the drawn parts of w.img back into the planes and
// encodes them.
func (w *worker) encodePlanes(drawn []image.Rectangle) (*cvjpeg.Buffer, error) {
	planes := w.planes()
	for _, r := range drawn {
		planes.FromBGR(w.img, r) // sizes checked by toBGR
	}
	return cvjpeg.EncodePlanes(&planes, w.encode)
}

func (w *worker) planes() cvjpeg.Planes { return cvjpeg.Planes{Y: w.gray, Cb: w.cb, Cr: w.cr} }

// thumbnail makes w.thumb of w.gray: each pixel the mean of its block of
// the frame. A frame at least 8 times the thumbnail's size each way is
// sampled first, bilinearly at 4 points a thumbnail pixel each way, then
// averaged. At 640x480 a sample is a 2x2 mean, so the thumbnail is the
// blocks' exact means; at 1280x720 (steps of 4 across and 3 down) a sample
// is 2 pixels of a row, and a thumbnail pixel the mean of 32 of its 192,
// spread over its block: an estimate whose noise is well under
// sceneChange's levels (the tracker's and rechecks' tests pass unchanged),
// where averaging every pixel took 0.23 ms a frame.
func (w *worker) thumbnail() {
	src := w.gray
	if w.gray.Cols() >= 8*thumbWidth && w.gray.Rows() >= 8*thumbHeight {
		gocv.Resize(w.gray, &w.sampled, image.Pt(4*thumbWidth, 4*thumbHeight), 0, 0, gocv.InterpolationLinear)
		src = w.sampled
	}
	gocv.Resize(src, &w.thumb, image.Pt(thumbWidth, thumbHeight), 0, 0, gocv.InterpolationArea)
}

// decode checks the frame's size and declared dimensions, then decodes it:
// to its planes (w.gray, w.cb, w.cr) if planar is allowed and the JPEG is
// one cvjpeg.DecodePlanes takes, else into w.img. The buffers are the
// worker's own, reused by every frame this worker decodes, whichever
// session it comes from. A picture that comes decoded is checked against
// the same limits and taken as it is.
func (w *worker) decode(in Input, planar bool) (bool, error) {
	if in.Image != nil {
		return false, w.take(in.Image)
	}
	jpg := in.JPEG
	if in.DataURL != "" {
		var err error
		if jpg, err = frame.DecodeDataURL(in.DataURL, w.jpeg, w.cfg.Limits); err != nil {
			return false, err
		}
		w.jpeg = jpg[:0]
	}
	if _, _, err := frame.CheckJPEG(jpg, w.cfg.Limits); err != nil {
		return false, err
	}
	if planar {
		planes := w.planes()
		err := cvjpeg.DecodePlanes(jpg, &planes)
		w.gray, w.cb, w.cr = planes.Y, planes.Cb, planes.Cr
		switch {
		case err == nil:
			return true, nil
		case !errors.Is(err, cvjpeg.ErrNotPlanar):
			return false, &frame.Error{Code: frame.CodeDecodeFailed, Message: "JPEG data is corrupt and cannot be decoded"}
		}
	}
	if err := cvjpeg.DecodeInto(jpg, &w.img); err != nil || w.img.Empty() {
		return false, &frame.Error{Code: frame.CodeDecodeFailed, Message: "JPEG data is corrupt and cannot be decoded"}
	}
	return false, nil
}

// take makes a decoded picture w.img.
func (w *worker) take(in *gocv.Mat) error {
	img := *in
	lim := w.cfg.Limits
	*in = gocv.Mat{}
	if img.Ptr() == nil || img.Empty() || img.Type() != gocv.MatTypeCV8UC3 {
		img.Close()
		return &frame.Error{Code: frame.CodeDecodeFailed, Message: "the picture is not 8-bit BGR"}
	}
	if c, r := img.Cols(), img.Rows(); c > lim.MaxSide || r > lim.MaxSide || c*r > lim.MaxPixels {
		img.Close()
		return &frame.Error{Code: frame.CodeTooManyPixels, Message: fmt.Sprintf("picture of %dx%d pixels; the limit is %d pixels and %d per side", c, r, lim.MaxPixels, lim.MaxSide)}
	}
	w.img.Close()
	w.img = img // moved, not copied: the worker owns it now
	return nil
}

// MinDetectableFace is the narrowest face, as wide as dlib's box, that
// its HOG detector finds without upsampling. Measured on the portrait
// scaled down step by step: found at 59 px, not at 57
// (TestMinDetectableFace).
const MinDetectableFace = 60

// DetectWidth is the width a frame frameWidth wide is scaled to for face
// detection: cfg.DetectWidth if set, else the width at which a face of
// cfg.MinFace of the frame is MinDetectableFace px wide. finer asks for
// half as much again (smaller faces, when none is being tracked), and
// tracked, if not 0, is the narrowest face being tracked, in the frame's
// pixels, which the re-detection must find again; neither goes beyond the
// frame's own width.
func DetectWidth(cfg Config, frameWidth int, finer bool, tracked int) int {
	if cfg.DetectWidth > 0 {
		return min(cfg.DetectWidth, frameWidth)
	}
	width := int(math.Ceil(MinDetectableFace / cfg.MinFace))
	if finer {
		width = max(width, min(width*3/2, frameWidth))
	}
	if tracked > 0 {
		// A quarter more, about a step of the detector's pyramid, so a face
		// at the edge of its reach is not lost at one re-detection and found
		// again at the next.
		need := int(math.Ceil(MinDetectableFace * 1.25 * float64(frameWidth) / float64(tracked)))
		width = max(width, min(need, frameWidth))
	}
	return width
}

// detect finds face boxes in w.gray, on a copy scaled to DetectWidth: down
// for large frames, up for small ones.
func (w *worker) detect(finer bool, tracked int) ([]image.Rectangle, error) {
	target := DetectWidth(*w.cfg, w.gray.Cols(), finer, tracked)
	src, scale := w.gray, 1.0
	if target != w.gray.Cols() {
		src, scale = w.small, scaleForDetection(w.gray, &w.small, target)
	}
	g, err := cvimage.Gray(src)
	if err != nil {
		return nil, err
	}
	boxes, err := w.detector.Detect(g, 0)
	for i, b := range boxes {
		boxes[i] = scaleRect(b, scale)
	}
	return boxes, err
}

// scaleForDetection writes gray scaled to width into dst and returns the
// frame's pixels per dst pixel.
func scaleForDetection(gray gocv.Mat, dst *gocv.Mat, width int) float64 {
	scale := float64(gray.Cols()) / float64(width)
	if width == gray.Cols() {
		gray.CopyTo(dst)
		return 1
	}
	interp := gocv.InterpolationArea // averaging: no aliasing when shrinking
	if width > gray.Cols() {
		interp = gocv.InterpolationLinear
	}
	gocv.Resize(gray, dst, image.Pt(width, int(float64(gray.Rows())/scale+0.5)), 0, 0, interp)
	return scale
}

// stillUpsampleMaxSide is the largest photo side that is upsampled for
// detection: doubling beyond it costs hundreds of milliseconds and hundreds
// of megabytes, and its faces are rarely under the detector's 80 px.
const stillUpsampleMaxSide = 1000

// detectStill finds faces in a photo at full resolution, upsampling small
// photos once so faces down to about 40 px are found.
func (w *worker) detectStill() ([]image.Rectangle, error) {
	full, err := cvimage.Gray(w.gray)
	if err != nil {
		return nil, err
	}
	up := 1
	if max(w.gray.Cols(), w.gray.Rows()) > stillUpsampleMaxSide {
		up = 0
	}
	return w.detector.Detect(full, up)
}

// fit finds the 68 landmarks of each box at full resolution.
func (w *worker) fit(boxes []image.Rectangle) ([]landmarks.Face, error) {
	if len(boxes) == 0 {
		return nil, nil
	}
	full, err := cvimage.Gray(w.gray)
	if err != nil {
		return nil, err
	}
	faces := make([]landmarks.Face, len(boxes))
	for i, b := range boxes {
		faces[i].Box = b
		if faces[i].Points, err = w.predictor.Predict(full, b); err != nil {
			return nil, err
		}
	}
	return faces, nil
}

func asFrameError(err error) *frame.Error {
	var fe *frame.Error
	if errors.As(err, &fe) {
		return fe
	}
	return &frame.Error{Code: frame.CodeInternal, Message: err.Error()}
}
