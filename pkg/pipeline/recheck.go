package pipeline

import (
	"image"
	"time"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvimage"
)

// A periodic re-detection does two things: it checks that the tracked
// faces are still faces (and drops those that left), and it finds faces
// that came in. The first needs only the pictures around the tracked
// faces; the second needs the whole frame, but only where the picture
// changed: a new face cannot appear where nothing moved since the last
// whole-frame search. So a re-detection is one of three kinds:
//
//   - a recheck: each tracked face's surroundings (its box and half its
//     size again on every side), scaled so the face is recheckFaceWidth
//     px wide. On a 640x480 frame with one face that is a 200x200 px
//     picture instead of the whole frame at DetectWidth's 480, about a
//     fifth of the detector's work;
//   - a region search, when the thumbnail changed, since the last search,
//     in some cells outside the tracked faces' surroundings: the recheck's
//     pictures and the bounding box of those cells, one cell more on every
//     side, scaled as the whole frame would be. A person's shoulders and
//     hands moving below a face, the usual case in front of a webcam,
//     cost the detector the bottom of the frame, not all of it;
//   - a whole-frame search, as before, when that box would be more than
//     regionSearchMaxShare of the frame, or when wholeSearchMaxQuiet has
//     passed without one (a face that came in without changing the
//     thumbnail, or in a face's surroundings below it).
//
// A camera that moves (a pan, a hand-held phone) changes every cell and
// keeps searching the whole frame at each re-detection, as before; a
// laptop on a desk in front of a still room mostly rechecks.
//
// A recheck is skipped altogether when it would look at the same picture
// as the last detection did: no thumbnail pixel of the faces' surroundings
// moved by more than changedLevel since then, and the faces' boxes are
// where they were. The detector is deterministic, so it would find what it
// found then. The whole-frame search, due at least every
// wholeSearchMaxQuiet, still looks at every face, so a face is never left
// unchecked for longer than that.

const (
	// recheckFaceWidth is a tracked face's width in the recheck's picture:
	// the detector finds faces from 80 px, so the face can shrink by a fifth
	// or grow without bound before the next recheck.
	recheckFaceWidth = 100
	// recheckMargin is the surroundings around a face's box, as a fraction
	// of its size on each side: room for the face to move between two
	// re-detections.
	recheckMargin = 0.5
	// wholeSearchMaxQuiet is the longest a session with faces tracked goes
	// without a whole-frame search.
	wholeSearchMaxQuiet = time.Second
	// A thumbnail pixel changed when its gray level moved by more than
	// changedLevel since the last whole-frame search; camera noise,
	// averaged over the 8x8 frame pixels a thumbnail pixel is, stays well
	// below it. A cell changed when at least changedPixels of its pixels
	// did: the smallest face the search finds (80 px at 640 wide, 10 thumbnail
	// pixels) covers a quarter of a cell wherever it lands, while a small
	// sticker or stamp (a 16 px square is 2x2 thumbnail pixels) does not.
	changedLevel  = 8
	changedPixels = 25
	// thumbCell is a cell's side in thumbnail pixels: 8x6 cells of 10 px.
	thumbCell = 10
	// stillBoxOverlap is the least overlap (intersection over union) of a
	// face's box with its box at the last detection for a recheck to be
	// skipped: the tracker's box on a still face moves by a pixel or so.
	stillBoxOverlap = 0.9
)

// crop is a part of a frame, gray and scaled, for a detection.
type crop struct {
	gray   gocv.Mat // the job's own
	origin image.Point
	scale  float64 // frame pixels per crop pixel
}

// surroundings is the part of a frame a recheck looks at for the face in
// box.
func surroundings(box, frame image.Rectangle) image.Rectangle {
	mx, my := int(float64(box.Dx())*recheckMargin), int(float64(box.Dy())*recheckMargin)
	return image.Rect(box.Min.X-mx, box.Min.Y-my, box.Max.X+mx, box.Max.Y+my).Intersect(frame)
}

// cropsAround cuts from gray each tracked face's surroundings, scaled so
// the face is recheckFaceWidth wide.
func cropsAround(gray gocv.Mat, boxes []image.Rectangle) []crop {
	frame := image.Rect(0, 0, gray.Cols(), gray.Rows())
	crops := make([]crop, 0, len(boxes))
	for _, b := range boxes {
		r := surroundings(b, frame)
		if r.Dx() < 8 || r.Dy() < 8 || b.Dx() < 8 {
			continue
		}
		scale := float64(b.Dx()) / recheckFaceWidth
		size := image.Pt(max(1, int(float64(r.Dx())/scale+0.5)), max(1, int(float64(r.Dy())/scale+0.5)))
		region := gray.Region(r)
		dst := gocv.NewMat()
		interp := gocv.InterpolationArea
		if scale < 1 {
			interp = gocv.InterpolationLinear
		}
		gocv.Resize(region, &dst, size, 0, 0, interp)
		region.Close()
		crops = append(crops, crop{gray: dst, origin: r.Min, scale: float64(r.Dx()) / float64(size.X)})
	}
	return crops
}

// detectIn runs the detector on each crop and returns the boxes in the
// frame's pixels, a face seen in two crops once.
func (w *worker) detectIn(crops []crop) ([]image.Rectangle, error) {
	var boxes []image.Rectangle
	for _, c := range crops {
		g, err := cvimage.Gray(c.gray)
		if err != nil {
			return nil, err
		}
		found, err := w.detector.Detect(g, 0)
		if err != nil {
			return nil, err
		}
	next:
		for _, b := range found {
			b = scaleRect(b, c.scale).Add(c.origin)
			for _, seen := range boxes {
				if iou(seen, b) > 0.5 {
					continue next
				}
			}
			boxes = append(boxes, b)
		}
	}
	return boxes, nil
}

func closeCrops(crops []crop) {
	for i := range crops {
		crops[i].gray.Close()
	}
}

// A re-detection's kind: see the top of this file.
type redetectKind int

const (
	recheckOnly  redetectKind = iota // the tracked faces' surroundings
	regionSearch                     // those and the part of the frame that changed
	wholeSearch                      // the whole frame
)

// regionSearchMaxShare is the largest share of the frame a region search
// covers; a larger change searches the whole frame, whose one picture
// costs less than the same area in pieces.
const regionSearchMaxShare = 0.6

// plan says what this frame's re-detection must look at: see the top of
// this file. boxes are the tracked faces' boxes on this frame; region is,
// for a region search, the part of the frame that changed, in its pixels.
func (t *tracker) plan(boxes []image.Rectangle, frame image.Point, at time.Time) (kind redetectKind, region image.Rectangle) {
	if len(t.searched) != len(t.thumb) || len(boxes) == 0 || at.Sub(t.searchedAt) >= wholeSearchMaxQuiet {
		return wholeSearch, image.Rectangle{}
	}
	// The faces' surroundings, in thumbnail pixels.
	sx, sy := float64(thumbWidth)/float64(frame.X), float64(thumbHeight)/float64(frame.Y)
	near := make([]image.Rectangle, len(boxes))
	for i, b := range boxes {
		r := surroundings(b, image.Rectangle{Max: frame})
		near[i] = image.Rect(int(float64(r.Min.X)*sx), int(float64(r.Min.Y)*sy),
			int(float64(r.Max.X)*sx+0.999), int(float64(r.Max.Y)*sy+0.999))
	}
	var changedCells image.Rectangle // in thumbnail pixels
	for cy := 0; cy < thumbHeight; cy += thumbCell {
	cells:
		for cx := 0; cx < thumbWidth; cx += thumbCell {
			cell := image.Rect(cx, cy, min(cx+thumbCell, thumbWidth), min(cy+thumbCell, thumbHeight))
			for _, r := range near {
				if cell.Overlaps(r) {
					continue cells
				}
			}
			changed := 0
			for y := cell.Min.Y; y < cell.Max.Y; y++ {
				row := y * thumbWidth
				for x := cell.Min.X; x < cell.Max.X; x++ {
					if d := int(t.thumb[row+x]) - int(t.searched[row+x]); d > changedLevel || d < -changedLevel {
						changed++
					}
				}
			}
			if changed >= changedPixels {
				changedCells = changedCells.Union(cell)
			}
		}
	}
	if changedCells.Empty() {
		return recheckOnly, image.Rectangle{}
	}
	// A face that came in covers changed cells but may reach past them:
	// one cell more on every side.
	changedCells = image.Rect(changedCells.Min.X-thumbCell, changedCells.Min.Y-thumbCell,
		changedCells.Max.X+thumbCell, changedCells.Max.Y+thumbCell)
	region = image.Rect(int(float64(changedCells.Min.X)/sx), int(float64(changedCells.Min.Y)/sy),
		int(float64(changedCells.Max.X)/sx+0.999), int(float64(changedCells.Max.Y)/sy+0.999)).Intersect(image.Rectangle{Max: frame})
	if float64(region.Dx()*region.Dy()) > regionSearchMaxShare*float64(frame.X*frame.Y) {
		return wholeSearch, image.Rectangle{}
	}
	return regionSearch, region
}

// regionCrop cuts r from gray, scaled as a whole-frame search scales the
// frame to width.
func regionCrop(gray gocv.Mat, r image.Rectangle, width int) crop {
	scale := float64(gray.Cols()) / float64(width)
	size := image.Pt(max(1, int(float64(r.Dx())/scale+0.5)), max(1, int(float64(r.Dy())/scale+0.5)))
	region := gray.Region(r)
	defer region.Close()
	dst := gocv.NewMat()
	interp := gocv.InterpolationArea
	if scale < 1 {
		interp = gocv.InterpolationLinear
	}
	gocv.Resize(region, &dst, size, 0, 0, interp)
	return crop{gray: dst, origin: r.Min, scale: float64(r.Dx()) / float64(size.X)}
}

// searchedWhole records that a whole-frame detection ran on this frame:
// later frames' changes are measured from it.
func (t *tracker) searchedWhole(at time.Time) {
	t.searchedPart()
	t.searchedAt = at
}

// searchedPart records that a region search ran on this frame: later
// frames' changes are measured from it, as after a whole-frame search, but
// the next whole-frame one is still due wholeSearchMaxQuiet after the last,
// so that what changed too little to count (below changedPixels a cell, or
// in a face's surroundings) is searched at least that often.
func (t *tracker) searchedPart() {
	t.searched = append(t.searched[:0], t.thumb...)
}

// checkedAround records that a detection (a recheck or a whole-frame
// search) looks at this frame with the faces in boxes.
func (t *tracker) checkedAround(boxes []image.Rectangle) {
	t.checked = append(t.checked[:0], t.thumb...)
	t.checkedOn = append(t.checkedOn[:0], boxes...)
}

// recheckNeeded says whether a recheck of the faces in boxes would look at
// another picture than the last detection did: see the top of this file.
func (t *tracker) recheckNeeded(boxes []image.Rectangle, frame image.Point) bool {
	if len(t.checked) != len(t.thumb) || len(boxes) != len(t.checkedOn) || len(boxes) == 0 {
		return true
	}
	sx, sy := float64(thumbWidth)/float64(frame.X), float64(thumbHeight)/float64(frame.Y)
	for i, b := range boxes {
		if iou(b, t.checkedOn[i]) < stillBoxOverlap {
			return true
		}
		r := surroundings(b, image.Rectangle{Max: frame})
		near := image.Rect(int(float64(r.Min.X)*sx), int(float64(r.Min.Y)*sy),
			int(float64(r.Max.X)*sx+0.999), int(float64(r.Max.Y)*sy+0.999)).Intersect(image.Rect(0, 0, thumbWidth, thumbHeight))
		for y := near.Min.Y; y < near.Max.Y; y++ {
			row := y * thumbWidth
			for x := near.Min.X; x < near.Max.X; x++ {
				if d := int(t.thumb[row+x]) - int(t.checked[row+x]); d > changedLevel || d < -changedLevel {
					return true
				}
			}
		}
	}
	return false
}
