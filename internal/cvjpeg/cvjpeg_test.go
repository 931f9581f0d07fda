package cvjpeg_test

import (
	"bytes"
	"image"
	"image/color"
	stdjpeg "image/jpeg"
	"math"
	"os"
	"testing"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/testmedia"
)

func portrait(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(testmedia.Path("obama-480p.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// meanDiff compares a BGR Mat with a Go image, levels per channel.
func meanDiff(t *testing.T, m gocv.Mat, img image.Image) float64 {
	t.Helper()
	r := img.Bounds()
	if m.Cols() != r.Dx() || m.Rows() != r.Dy() {
		t.Fatalf("size %dx%d, want %dx%d", m.Cols(), m.Rows(), r.Dx(), r.Dy())
	}
	pix, err := m.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			c := color.RGBAModel.Convert(img.At(r.Min.X+x, r.Min.Y+y)).(color.RGBA)
			i := (y*r.Dx() + x) * 3
			sum += math.Abs(float64(pix[i])-float64(c.B)) +
				math.Abs(float64(pix[i+1])-float64(c.G)) +
				math.Abs(float64(pix[i+2])-float64(c.R))
		}
	}
	return sum / float64(3*r.Dx()*r.Dy())
}

// Decoding agrees with Go's own decoder, an independent implementation,
// up to their different IDCT and chroma upsampling.
func TestDecodeAgreesWithGo(t *testing.T) {
	b := portrait(t)
	m, err := cvjpeg.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Type() != gocv.MatTypeCV8UC3 {
		t.Fatalf("type %v, want CV_8UC3", m.Type())
	}
	ref, err := stdjpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if d := meanDiff(t, m, ref); d > 1.5 {
		t.Errorf("mean difference from Go's decoder %.2f levels, want ≤ 1.5", d)
	} else {
		t.Logf("mean difference from Go's decoder: %.2f levels", d)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	src, err := cvjpeg.Decode(portrait(t))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for _, o := range []cvjpeg.Options{{Quality: 90}, {Quality: 90, Progressive: true}} {
		buf, err := cvjpeg.Encode(src, o)
		if err != nil {
			t.Fatal(err)
		}
		jpg := append([]byte(nil), buf.Bytes()...)
		buf.Close()
		buf.Close() // twice is harmless
		if buf.Bytes() != nil {
			t.Error("Bytes after Close is not nil")
		}
		// Progressive JPEGs start their frame with SOF2, baseline with SOF0.
		sof2 := bytes.Contains(jpg, []byte{0xFF, 0xC2})
		if sof2 != o.Progressive {
			t.Errorf("%+v: SOF2 present %v", o, sof2)
		}
		back, err := stdjpeg.Decode(bytes.NewReader(jpg))
		if err != nil {
			t.Fatalf("%+v: Go cannot decode the result: %v", o, err)
		}
		if d := meanDiff(t, src, back); d > 3 {
			t.Errorf("%+v: mean difference after a round trip %.2f levels, want ≤ 3", o, d)
		}
	}
}

func TestEncodeRegionAndGray(t *testing.T) {
	src, err := cvjpeg.Decode(portrait(t))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	region := src.Region(image.Rect(100, 50, 300, 250)) // not continuous
	defer region.Close()
	jpg, err := cvjpeg.EncodeBytes(region, cvjpeg.Options{Quality: 95})
	if err != nil {
		t.Fatal(err)
	}
	back, err := stdjpeg.Decode(bytes.NewReader(jpg))
	if err != nil {
		t.Fatal(err)
	}
	crop := region.Clone()
	defer crop.Close()
	if d := meanDiff(t, crop, back); d > 3 {
		t.Errorf("region: mean difference %.2f levels, want ≤ 3", d)
	}

	gray := gocv.NewMat()
	defer gray.Close()
	gocv.CvtColor(src, &gray, gocv.ColorBGRToGray)
	jpg, err = cvjpeg.EncodeBytes(gray, cvjpeg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if g, err := stdjpeg.Decode(bytes.NewReader(jpg)); err != nil {
		t.Fatal(err)
	} else if _, ok := g.(*image.Gray); !ok {
		t.Errorf("a gray Mat encoded as %T, want a one-component JPEG", g)
	}

	f := gocv.NewMatWithSize(4, 4, gocv.MatTypeCV32F)
	defer f.Close()
	if _, err := cvjpeg.Encode(f, cvjpeg.Options{}); err == nil {
		t.Error("a float Mat was encoded")
	}
}

// DecodeInto keeps the Mat's buffer when the size does not change, and
// gives it a new one when it does.
func TestDecodeIntoReusesBuffer(t *testing.T) {
	b := portrait(t)
	m := gocv.NewMat()
	defer m.Close()
	if err := cvjpeg.DecodeInto(b, &m); err != nil {
		t.Fatal(err)
	}
	p1, _ := m.DataPtrUint8()
	if err := cvjpeg.DecodeInto(b, &m); err != nil {
		t.Fatal(err)
	}
	p2, _ := m.DataPtrUint8()
	if &p1[0] != &p2[0] {
		t.Error("second decode of the same size allocated a new buffer")
	}
	small := testmedia.PortraitAt(t, 320, 240)
	if err := cvjpeg.DecodeInto(small, &m); err != nil {
		t.Fatal(err)
	}
	if m.Cols() != 320 || m.Rows() != 240 {
		t.Errorf("after a 320x240 frame the Mat is %dx%d", m.Cols(), m.Rows())
	}
}

func TestDecodeGrayReduced(t *testing.T) {
	b := portrait(t)
	full, err := cvjpeg.DecodeGray(b, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	for _, reduce := range []int{2, 4, 8} {
		m, err := cvjpeg.DecodeGray(b, reduce)
		if err != nil {
			t.Fatal(err)
		}
		wantW := (full.Cols() + reduce - 1) / reduce
		wantH := (full.Rows() + reduce - 1) / reduce
		if m.Type() != gocv.MatTypeCV8UC1 || m.Cols() != wantW || m.Rows() != wantH {
			t.Errorf("reduce %d: %dx%d type %v, want %dx%d CV_8UC1", reduce, m.Cols(), m.Rows(), m.Type(), wantW, wantH)
		}
		// The same picture: compare with the full decode averaged down.
		avg := gocv.NewMat()
		gocv.Resize(full, &avg, image.Pt(m.Cols(), m.Rows()), 0, 0, gocv.InterpolationArea)
		diff := gocv.NewMat()
		gocv.AbsDiff(m, avg, &diff)
		if mean := diff.Mean().Val1; mean > 4 {
			t.Errorf("reduce %d: mean difference from the averaged full image %.2f, want ≤ 4", reduce, mean)
		}
		avg.Close()
		diff.Close()
		m.Close()
	}
	if _, err := cvjpeg.DecodeGray(b, 3); err == nil {
		t.Error("reduce 3 accepted")
	}
}

func TestDecodeRefusesWhatIsNotJPEG(t *testing.T) {
	b := portrait(t)
	var png bytes.Buffer
	png.WriteString("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR")
	for name, in := range map[string][]byte{
		"empty":       nil,
		"PNG":         png.Bytes(),
		"SOI only":    b[:2],
		"header only": b[:200],
		"garbage":     bytes.Repeat([]byte{0xFF, 0xD8, 0x00}, 100),
	} {
		m, err := cvjpeg.Decode(in)
		if err == nil {
			m.Close()
			t.Errorf("%s: decoded", name)
		}
	}
	// A file cut short is padded, as libjpeg and OpenCV always did.
	m, err := cvjpeg.Decode(b[:len(b)/2])
	if err != nil {
		t.Fatalf("half a JPEG: %v", err)
	}
	m.Close()
}

// withOrientation inserts an EXIF APP1 segment with orientation o after
// the SOI, in the given byte order.
func withOrientation(jpg []byte, o int, bigEndian bool) []byte {
	tiff := []byte("II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	tiff[18] = byte(o)
	if bigEndian {
		tiff = []byte("MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00")
		tiff[19] = byte(o)
	}
	seg := append([]byte("Exif\x00\x00"), tiff...)
	n := len(seg) + 2
	out := append([]byte{0xFF, 0xD8, 0xFF, 0xE1, byte(n >> 8), byte(n)}, seg...)
	return append(out, jpg[2:]...)
}

// Phones' photos are turned upright from their EXIF orientation, as
// OpenCV's imdecode did: each of the 8 orientations gives the pixels of
// the matching flip or turn.
func TestDecodeAppliesEXIFOrientation(t *testing.T) {
	b := portrait(t)
	plain, err := cvjpeg.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	turned := func(o int) gocv.Mat {
		out, tmp := gocv.NewMat(), gocv.NewMat()
		defer tmp.Close()
		switch o {
		case 1:
			plain.CopyTo(&out)
		case 2:
			gocv.Flip(plain, &out, 1)
		case 3:
			gocv.Rotate(plain, &out, gocv.Rotate180Clockwise)
		case 4:
			gocv.Flip(plain, &out, 0)
		case 5: // transposed: mirrored, then turned a quarter anticlockwise
			gocv.Flip(plain, &tmp, 1)
			gocv.Rotate(tmp, &out, gocv.Rotate90CounterClockwise)
		case 6:
			gocv.Rotate(plain, &out, gocv.Rotate90Clockwise)
		case 7: // transversed: mirrored, then turned a quarter clockwise
			gocv.Flip(plain, &tmp, 1)
			gocv.Rotate(tmp, &out, gocv.Rotate90Clockwise)
		case 8:
			gocv.Rotate(plain, &out, gocv.Rotate90CounterClockwise)
		}
		return out
	}
	for o := 1; o <= 8; o++ {
		for _, big := range []bool{false, true} {
			in := withOrientation(b, o, big)
			if got := cvjpeg.Orientation(in); got != o {
				t.Fatalf("Orientation = %d, want %d (big endian %v)", got, o, big)
			}
			m, err := cvjpeg.Decode(in)
			if err != nil {
				t.Fatal(err)
			}
			want := turned(o)
			diff := gocv.NewMat()
			if m.Cols() != want.Cols() || m.Rows() != want.Rows() {
				t.Errorf("orientation %d: %dx%d, want %dx%d", o, m.Cols(), m.Rows(), want.Cols(), want.Rows())
			} else if gocv.AbsDiff(m, want, &diff); gocv.CountNonZero(diff.Reshape(1, 0)) != 0 {
				t.Errorf("orientation %d: pixels differ from the expected turn", o)
			}
			diff.Close()
			want.Close()
			m.Close()
		}
	}
	if o := cvjpeg.Orientation(b); o != 1 {
		t.Errorf("a JPEG with no EXIF: orientation %d", o)
	}
}

func BenchmarkDecodeInto(b *testing.B) {
	jpg := testmedia.WebcamJPEG(b)
	m := gocv.NewMat()
	defer m.Close()
	b.SetBytes(int64(len(jpg)))
	for b.Loop() {
		if err := cvjpeg.DecodeInto(jpg, &m); err != nil {
			b.Fatal(err)
		}
	}
}
