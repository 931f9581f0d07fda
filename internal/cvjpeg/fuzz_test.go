package cvjpeg_test

import (
	"os"
	"testing"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/testmedia"
)

// FuzzOrientation: the EXIF reader never panics and always answers 1 to 8.
func FuzzOrientation(f *testing.F) {
	b, err := os.ReadFile(testmedia.Path("obama-480p.jpg"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(withOrientation(b[:64], 6, false))
	f.Add(withOrientation(b[:64], 8, true))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x02})
	f.Fuzz(func(t *testing.T, in []byte) {
		if o := cvjpeg.Orientation(in); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}

// FuzzDecode: any bytes decode or fail with an error; libjpeg's fatal
// errors never reach exit().
func FuzzDecode(f *testing.F) {
	f.Add(testmedia.WebcamJPEGQuality(f, 30))
	f.Add(withOrientation(testmedia.WebcamJPEGQuality(f, 10), 6, false))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 1<<16 {
			return
		}
		if m, err := cvjpeg.Decode(in); err == nil {
			m.Close()
		}
	})
}
