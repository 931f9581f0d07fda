package pipeline

import (
	"image"
	"testing"
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
