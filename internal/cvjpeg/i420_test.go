package cvjpeg_test

import (
	"bytes"
	"image"
	stdjpeg "image/jpeg"
	"testing"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
)

// i420 converts a BGR Mat to OpenCV's I420 (BT.601, limited range), as
// the video pipeline hands its pictures to the encoder and the preview.
func i420(t testing.TB, bgr gocv.Mat) []byte {
	t.Helper()
	yuv := gocv.NewMat()
	defer yuv.Close()
	gocv.CvtColor(bgr, &yuv, gocv.ColorBGRToYUVI420)
	b, err := yuv.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), b...)
}

// evenCrop is the portrait cut to 638x358: even, as I420 needs, but not a
// whole number of 16x16 blocks either way, so the edge padding is used.
func evenCrop(t testing.TB) gocv.Mat {
	t.Helper()
	m, err := cvjpeg.Decode(portrait(t))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	r := m.Region(image.Rect(0, 0, 638, 358))
	defer r.Close()
	return r.Clone()
}

// An I420 picture encoded from its planes is the picture: as close to the
// BGR original as encoding the BGR itself, and no darker or paler (the
// limited range mapped to JPEG's full range).
func TestEncodeI420(t *testing.T) {
	bgr := evenCrop(t)
	defer bgr.Close()
	jpg, err := cvjpeg.EncodeI420(i420(t, bgr), bgr.Cols(), bgr.Rows(), cvjpeg.Options{Quality: 90})
	if err != nil {
		t.Fatal(err)
	}
	img, err := stdjpeg.Decode(bytes.NewReader(jpg))
	if err != nil {
		t.Fatal(err)
	}
	viaI420 := meanDiff(t, bgr, img)

	direct, err := cvjpeg.EncodeBytes(bgr, cvjpeg.Options{Quality: 90})
	if err != nil {
		t.Fatal(err)
	}
	dimg, err := stdjpeg.Decode(bytes.NewReader(direct))
	if err != nil {
		t.Fatal(err)
	}
	viaBGR := meanDiff(t, bgr, dimg)
	t.Logf("mean difference from the original: %.2f from I420's planes, %.2f encoding the BGR", viaI420, viaBGR)
	if viaI420 > viaBGR+2 {
		t.Errorf("from I420's planes the picture is %.2f levels off, against %.2f encoding the BGR", viaI420, viaBGR)
	}

	// Flat colours keep their levels: without the range mapping white
	// comes back as 235 and black as 16.
	for _, c := range []gocv.Scalar{{Val1: 255, Val2: 255, Val3: 255}, {}, {Val1: 128, Val2: 128, Val3: 128}, {Val1: 30, Val2: 40, Val3: 220}} {
		flat := gocv.NewMatWithSizeFromScalar(c, 64, 96, gocv.MatTypeCV8UC3)
		jpg, err := cvjpeg.EncodeI420(i420(t, flat), 96, 64, cvjpeg.Options{Quality: 95})
		flat.Close()
		if err != nil {
			t.Fatal(err)
		}
		m, err := cvjpeg.Decode(jpg)
		if err != nil {
			t.Fatal(err)
		}
		v := m.GetVecbAt(32, 48)
		m.Close()
		want := []float64{c.Val1, c.Val2, c.Val3}
		for i := range 3 {
			if d := float64(v[i]) - want[i]; d > 6 || d < -6 {
				t.Errorf("flat BGR %v came back as %v", want, v)
				break
			}
		}
	}
}

func TestEncodeI420RefusesWhatIsNotI420(t *testing.T) {
	for _, tc := range []struct {
		n, w, h int
	}{{0, 0, 0}, {15, 4, 2}, {12, 4, 3} /* odd height */, {12, 3, 4} /* odd width */, {13, 4, 2}} {
		if _, err := cvjpeg.EncodeI420(make([]byte, tc.n), tc.w, tc.h, cvjpeg.Options{}); err == nil {
			t.Errorf("%d bytes as %dx%d: no error", tc.n, tc.w, tc.h)
		}
	}
}

// The video job preview's two ways: I420 planes straight into libjpeg,
// against I420 to BGR and the BGR encoded (the path before).
func BenchmarkPreviewJPEG(b *testing.B) {
	bgr := evenCrop(b)
	defer bgr.Close()
	yuv := i420(b, bgr)
	w, h := bgr.Cols(), bgr.Rows()
	b.Run("i420", func(b *testing.B) {
		for b.Loop() {
			if _, err := cvjpeg.EncodeI420(yuv, w, h, cvjpeg.Options{Quality: 75}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("via-bgr", func(b *testing.B) {
		m := gocv.NewMatWithSize(h*3/2, w, gocv.MatTypeCV8UC1)
		defer m.Close()
		out := gocv.NewMat()
		defer out.Close()
		for b.Loop() {
			dst, _ := m.DataPtrUint8()
			copy(dst, yuv)
			gocv.CvtColor(m, &out, gocv.ColorYUVToBGRIYUV)
			if _, err := cvjpeg.EncodeBytes(out, cvjpeg.Options{Quality: 75}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
