package vp8_test

import (
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/pkg/vp8"
)

// FuzzDecode: any bytes, as the first frame or after a good key frame,
// decode or fail with an error; nothing over the limits is allocated.
func FuzzDecode(f *testing.F) {
	enc, err := vp8.NewEncoder(64, 48, vp8.EncoderOptions{})
	if err != nil {
		f.Fatal(err)
	}
	pic := gocv.NewMatWithSize(48, 64, gocv.MatTypeCV8UC3)
	key, _, _ := enc.Encode(nil, pic, 0, time.Second/30, false)
	inter, _, _ := enc.Encode(nil, pic, time.Second/30, time.Second/30, false)
	enc.Close()
	pic.Close()
	f.Add(key, false)
	f.Add(inter, true)
	f.Fuzz(func(t *testing.T, frame []byte, afterKey bool) {
		dec, err := vp8.NewDecoder(256, 256, 256*256)
		if err != nil {
			t.Fatal(err)
		}
		defer dec.Close()
		out := gocv.NewMat()
		defer out.Close()
		if afterKey {
			if err := dec.Decode(key, &out); err != nil {
				t.Fatal(err)
			}
		}
		if err := dec.Decode(frame, &out); err == nil && (out.Cols() > 256 || out.Rows() > 256) {
			t.Fatalf("decoded %dx%d past the limits", out.Cols(), out.Rows())
		}
	})
}
