package testmedia

import (
	"fmt"
	"testing"

	"github.com/livetryon/server/internal/cvjpeg"
)

// BenchmarkDecodeManyScanJPEG is what the hostile file would cost if it
// reached OpenCV: decoding time grows with the scans (frame.CheckJPEG
// refuses over 64 before any decoding).
func BenchmarkDecodeManyScanJPEG(b *testing.B) {
	for _, scans := range []int{64, 2000} {
		jpg := ManyScanJPEG(b, scans)
		b.Run(fmt.Sprintf("scans=%d", scans), func(b *testing.B) {
			for b.Loop() {
				m, err := cvjpeg.Decode(jpg)
				if err != nil || m.Empty() {
					b.Fatal("does not decode", err)
				}
				m.Close()
			}
		})
	}
}
