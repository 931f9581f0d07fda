package frameid

import (
	"testing"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/testmedia"
)

func TestStampSurvivesJPEG(t *testing.T) {
	src, err := cvjpeg.Decode(testmedia.WebcamJPEG(t))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for _, id := range []int{0, 1, 2, 511, 512, 777, Modulo - 1, Modulo + 5} {
		img := src.Clone()
		Stamp(&img, id)
		buf, err := cvjpeg.Encode(img, cvjpeg.Options{Quality: 30})
		img.Close()
		if err != nil {
			t.Fatal(err)
		}
		got, ok := Read(buf.Bytes())
		buf.Close()
		if !ok || got != id%Modulo {
			t.Errorf("stamped %d, read %d (ok %v)", id, got, ok)
		}
	}
	// An unstamped photo reads as no stamp (or, rarely, a valid-looking one:
	// the parity bit catches half of the accidents; callers check the id).
	if _, ok := Read([]byte("not a jpeg")); ok {
		t.Error("read a stamp from garbage")
	}
}
