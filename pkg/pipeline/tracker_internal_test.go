package pipeline

import (
	"image"
	"testing"
	"time"

	"github.com/livetryon/server/pkg/landmarks"
)

// A picture that jumps forces a fresh detection even between the periodic
// ones; camera noise does not.
func TestTrackerRedetectsWhenThePictureJumps(t *testing.T) {
	var tr tracker
	tr.faces = []trackedFace{{}}
	frame := make([]byte, thumbWidth*thumbHeight)
	for i := range frame {
		frame[i] = byte(i * 7)
	}
	tr.compare(frame, image.Pt(640, 480))
	noisy := append([]byte(nil), frame...)
	for i := range noisy {
		noisy[i] += byte(i % 5) // up to 4 levels of noise
	}
	tr.compare(noisy, image.Pt(640, 480))
	if tr.mustDetect(5) {
		t.Fatal("noise alone forced a detection")
	}
	shifted := append(noisy[7:], noisy[:7]...) // the picture moved sideways
	tr.compare(shifted, image.Pt(640, 480))
	if !tr.mustDetect(5) {
		t.Fatal("a jump did not force a detection")
	}
}

// Between detections a face's box follows its brows, nose and eyes: it
// moves and scales with them, and keeps the detector's box's shape when the
// mouth opens or the jaw drops. (A box placed from all the points' bounds
// grew with an open mouth, and shrank when it closed until the shape
// predictor, fitted in a squashed box, answered a squashed shape.)
func TestTrackedBoxFollowsTheRigidPoints(t *testing.T) {
	var shape landmarks.Shape
	for i := range shape {
		shape[i] = image.Pt(200+(i*37)%120, 150+(i*53)%140)
	}
	detected := image.Rect(180, 120, 340, 280)
	face := trackedFace{shape: shape, anchor: anchorOf(detected, &shape)}
	if got := face.box(); !near(got, detected, 1) {
		t.Fatalf("box at detection %v, the detector's %v", got, detected)
	}

	open := shape
	for i := range open {
		if (i >= 5 && i <= 11) || i >= 48 { // the chin and the mouth
			open[i].Y += 25
		}
	}
	face.shape = open
	if got := face.box(); !near(got, detected, 1) {
		t.Errorf("mouth opened: box %v, want the detector's %v", got, detected)
	}

	// The whole face 30 px right, 10 up and 1.25 times as large about its
	// first brow point.
	o := shape[rigidFirst]
	var moved landmarks.Shape
	for i, p := range shape {
		moved[i] = image.Pt(o.X+30+(p.X-o.X)*5/4, o.Y-10+(p.Y-o.Y)*5/4)
	}
	face.shape = moved
	want := image.Rect(o.X+30+(detected.Min.X-o.X)*5/4, o.Y-10+(detected.Min.Y-o.Y)*5/4,
		o.X+30+(detected.Max.X-o.X)*5/4, o.Y-10+(detected.Max.Y-o.Y)*5/4)
	if got := face.box(); !near(got, want, 2) {
		t.Errorf("face moved and grew: box %v, want %v", got, want)
	}
}

func near(a, b image.Rectangle, px int) bool {
	d := [4]int{a.Min.X - b.Min.X, a.Min.Y - b.Min.Y, a.Max.X - b.Max.X, a.Max.Y - b.Max.Y}
	for _, v := range d {
		if v > px || v < -px {
			return false
		}
	}
	return true
}

// A background detection abandoned (after a cut, or superseded by one on
// the answer path) gives no result, whether it had finished or was still
// running; the next one starts once it has finished.
func TestAbandonedRedetectionGivesNoResult(t *testing.T) {
	var r redetection
	old := []image.Rectangle{image.Rect(0, 0, 100, 100)}
	if !r.start() {
		t.Fatal("a first detection did not start")
	}
	r.abandon() // running
	if r.start() {
		t.Fatal("a second detection started while the first runs")
	}
	r.finish(old, true)
	if boxes, ok := r.take(); ok {
		t.Fatalf("an abandoned detection's boxes %v were taken", boxes)
	}
	if !r.start() {
		t.Fatal("no detection starts after an abandoned one finished")
	}
	r.finish(old, true)
	r.abandon() // finished, not yet taken
	if boxes, ok := r.take(); ok {
		t.Fatalf("an abandoned detection's boxes %v were taken", boxes)
	}
	if !r.start() {
		t.Fatal("no detection starts after an abandoned result")
	}
	r.finish(old, true)
	if boxes, ok := r.take(); !ok || len(boxes) != 1 {
		t.Fatalf("a detection not abandoned gave %v, %v", boxes, ok)
	}
}

// A recheck is needed once a thumbnail pixel of a face's surroundings
// moved, or its box did, since the last detection; a change outside the
// surroundings (a stamp in a corner) or camera noise does not call for one.
func TestRecheckNeededOnlyWhereTheFaceIs(t *testing.T) {
	frame := image.Pt(640, 480)
	face := image.Rect(240, 120, 400, 280) // surroundings 160..480 x 40..360: thumbnail 20..60 x 5..45
	base := make([]byte, thumbWidth*thumbHeight)
	for i := range base {
		base[i] = byte(40 + i%50)
	}
	var tr tracker
	tr.thumb = append([]byte(nil), base...)
	if !tr.recheckNeeded([]image.Rectangle{face}, frame) {
		t.Fatal("no detection yet, and no recheck needed")
	}
	tr.checkedAround([]image.Rectangle{face})
	at := func(x, y int, delta int) []byte {
		th := append([]byte(nil), base...)
		th[y*thumbWidth+x] = byte(int(th[y*thumbWidth+x]) + delta)
		return th
	}
	for _, c := range []struct {
		name  string
		thumb []byte
		boxes []image.Rectangle
		want  bool
	}{
		{"the same picture", base, []image.Rectangle{face}, false},
		{"noise inside", at(40, 25, changedLevel), []image.Rectangle{face}, false},
		{"a pixel moved inside", at(40, 25, changedLevel+1), []image.Rectangle{face}, true},
		{"a pixel moved at the surroundings' edge", at(20, 44, -changedLevel-1), []image.Rectangle{face}, true},
		{"a pixel moved outside", at(5, 55, 60), []image.Rectangle{face}, false},
		{"the box moved", base, []image.Rectangle{face.Add(image.Pt(12, 0))}, true},
		{"a second face", base, []image.Rectangle{face, image.Rect(0, 0, 80, 80)}, true},
		{"no face", base, nil, true},
	} {
		tr.thumb = c.thumb
		if got := tr.recheckNeeded(c.boxes, frame); got != c.want {
			t.Errorf("%s: recheck needed %v, want %v", c.name, got, c.want)
		}
	}
}

// A periodic re-detection rechecks the faces while nothing changed outside
// their surroundings, searches the part that changed (one cell more on
// every side) when it is small, and the whole frame when it is large or a
// second has passed since the last search.
func TestRedetectionPlanFollowsTheChange(t *testing.T) {
	frame := image.Pt(640, 480)
	face := image.Rect(240, 120, 400, 280) // surroundings: thumbnail 20..60 x 5..45
	base := make([]byte, thumbWidth*thumbHeight)
	for i := range base {
		base[i] = byte(40 + i%50)
	}
	var tr tracker
	tr.thumb = append([]byte(nil), base...)
	at := time.Unix(1000, 0)
	if kind, _ := tr.plan([]image.Rectangle{face}, frame, at); kind != wholeSearch {
		t.Fatalf("no search yet: kind %d, want a whole-frame search", kind)
	}
	tr.searchedWhole(at)
	changed := func(cells ...image.Rectangle) []byte {
		th := append([]byte(nil), base...)
		for _, c := range cells {
			for y := c.Min.Y; y < c.Max.Y; y++ {
				for x := c.Min.X; x < c.Max.X; x++ {
					th[y*thumbWidth+x] += 50
				}
			}
		}
		return th
	}
	bottomRight := image.Rect(70, 50, 80, 60) // the last cell, 560..640 x 400..480
	for _, c := range []struct {
		name   string
		thumb  []byte
		after  time.Duration
		kind   redetectKind
		region image.Rectangle
	}{
		{"nothing changed", base, 100 * time.Millisecond, recheckOnly, image.Rectangle{}},
		{"inside the surroundings only", changed(image.Rect(30, 10, 50, 40)), 100 * time.Millisecond, recheckOnly, image.Rectangle{}},
		{"one corner cell", changed(bottomRight), 100 * time.Millisecond, regionSearch, image.Rect(480, 320, 640, 480)},
		{"two cells apart", changed(bottomRight, image.Rect(0, 50, 10, 60)), 100 * time.Millisecond, regionSearch, image.Rect(0, 320, 640, 480)},
		{"most of the frame", changed(image.Rect(0, 0, 80, 60)), 100 * time.Millisecond, wholeSearch, image.Rectangle{}},
		{"a second later", base, wholeSearchMaxQuiet, wholeSearch, image.Rectangle{}},
	} {
		tr.thumb = c.thumb
		kind, region := tr.plan([]image.Rectangle{face}, frame, at.Add(c.after))
		if kind != c.kind || region != c.region {
			t.Errorf("%s: kind %d region %v, want kind %d region %v", c.name, kind, region, c.kind, c.region)
		}
	}
	// A region search measures later changes from its frame, but does not
	// put off the next whole-frame search.
	tr.thumb = changed(bottomRight)
	tr.searchedPart()
	if kind, _ := tr.plan([]image.Rectangle{face}, frame, at.Add(500*time.Millisecond)); kind != recheckOnly {
		t.Errorf("after a region search of the change: kind %d, want a recheck", kind)
	}
	if kind, _ := tr.plan([]image.Rectangle{face}, frame, at.Add(wholeSearchMaxQuiet)); kind != wholeSearch {
		t.Errorf("a second after the last whole-frame search, region searches between: kind %d, want a whole-frame search", kind)
	}
}
