package cvjpeg_test

import (
	"bytes"
	"errors"
	"image"
	stdjpeg "image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/testmedia"
)

func decodePlanes(t testing.TB, jpg []byte) cvjpeg.Planes {
	t.Helper()
	var p cvjpeg.Planes
	if err := cvjpeg.DecodePlanes(jpg, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// meanAbsDiff is the mean difference of two Mats of one size and type, in
// levels per channel, and the largest.
func meanAbsDiff(t testing.TB, a, b gocv.Mat) (mean float64, most int) {
	t.Helper()
	pa, _ := a.DataPtrUint8()
	pb, _ := b.DataPtrUint8()
	if len(pa) != len(pb) || len(pa) == 0 {
		t.Fatalf("Mats of %d and %d bytes", len(pa), len(pb))
	}
	sum := 0
	for i := range pa {
		d := int(pa[i]) - int(pb[i])
		if d < 0 {
			d = -d
		}
		sum += d
		most = max(most, d)
	}
	return float64(sum) / float64(len(pa)), most
}

// webcamBothWays is the webcam frame decoded to its planes and to BGR.
func webcamBothWays(t *testing.T) (cvjpeg.Planes, gocv.Mat) {
	t.Helper()
	jpg := testmedia.WebcamJPEG(t)
	p := decodePlanes(t, jpg)
	bgr, err := cvjpeg.Decode(jpg)
	if err != nil {
		p.Close()
		t.Fatal(err)
	}
	return p, bgr
}

// roundTripDiff is meanAbsDiff's mean, and the share of values that
// differ by more than 2 levels.
func roundTripDiff(t testing.TB, a, b gocv.Mat) (mean, far float64) {
	t.Helper()
	mean, _ = meanAbsDiff(t, a, b)
	pa, _ := a.DataPtrUint8()
	pb, _ := b.DataPtrUint8()
	n := 0
	for i := range pa {
		if d := int(pa[i]) - int(pb[i]); d > 2 || d < -2 {
			n++
		}
	}
	return mean, float64(n) / float64(len(pa))
}

// A frame's planes are its picture: Y is the gray picture OpenCV makes
// from the decoded BGR, and the planes made BGR are the decoded BGR but
// for the chroma's upsampling (libjpeg's smooth one there, repeated 2x2
// blocks here).
func TestDecodePlanesIsThePicture(t *testing.T) {
	// Heights that are not whole 16-row blocks (1080, 360) send libjpeg's
	// padding rows to a spare row; a progressive frame is decoded from its
	// buffered coefficients.
	for name, jpg := range map[string][]byte{
		"640x480":             testmedia.WebcamJPEG(t),
		"1920x1080":           testmedia.PortraitAt(t, 1920, 1080),
		"640x360":             testmedia.PortraitAt(t, 640, 360),
		"640x480 progressive": progressive(t, testmedia.WebcamJPEG(t)),
	} {
		t.Run(name, func(t *testing.T) {
			p := decodePlanes(t, jpg)
			defer p.Close()
			bgr, err := cvjpeg.Decode(jpg)
			if err != nil {
				t.Fatal(err)
			}
			defer bgr.Close()
			checkPlanesArePicture(t, p, bgr)
		})
	}
}

// progressive is jpg encoded again as a progressive JPEG.
func progressive(t *testing.T, jpg []byte) []byte {
	t.Helper()
	m, err := cvjpeg.Decode(jpg)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	out, err := cvjpeg.EncodeBytes(m, cvjpeg.Options{Quality: 80, Progressive: true})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func checkPlanesArePicture(t *testing.T, p cvjpeg.Planes, bgr gocv.Mat) {
	t.Helper()
	if p.Size() != image.Pt(bgr.Cols(), bgr.Rows()) || p.Cb.Cols() != bgr.Cols()/2 || p.Cr.Rows() != bgr.Rows()/2 {
		t.Fatalf("planes %v, chroma %dx%d, for a %dx%d picture", p.Size(), p.Cb.Cols(), p.Cb.Rows(), bgr.Cols(), bgr.Rows())
	}
	gray := gocv.NewMat()
	defer gray.Close()
	gocv.CvtColor(bgr, &gray, gocv.ColorBGRToGray)
	if mean, _ := meanAbsDiff(t, p.Y, gray); mean > 0.6 {
		t.Errorf("Y against the BGR's gray: mean difference %.2f levels", mean)
	}
	viaPlanes := gocv.NewMatWithSize(bgr.Rows(), bgr.Cols(), gocv.MatTypeCV8UC3)
	defer viaPlanes.Close()
	if err := p.ToBGR(&viaPlanes, image.Rect(0, 0, bgr.Cols(), bgr.Rows())); err != nil {
		t.Fatal(err)
	}
	if mean, _ := meanAbsDiff(t, viaPlanes, bgr); mean > 1.5 {
		t.Errorf("the planes as BGR against libjpeg's BGR: mean difference %.2f levels", mean)
	}
}

// ToBGR writes only its rectangle, grown to whole 2x2 blocks; FromBGR
// puts an unchanged rectangle back as it was, so the parts of a frame that
// no effect changed come out as the client sent them.
func TestPlanesRegionRoundTrip(t *testing.T) {
	p := decodePlanes(t, testmedia.WebcamJPEG(t))
	defer p.Close()
	orig := cvjpeg.Planes{Y: p.Y.Clone(), Cb: p.Cb.Clone(), Cr: p.Cr.Clone()}
	defer orig.Close()
	bgr := gocv.NewMatWithSize(480, 640, gocv.MatTypeCV8UC3)
	defer bgr.Close()
	bgr.SetTo(gocv.NewScalar(1, 2, 3, 0))
	r := image.Rect(101, 51, 300, 250) // odd corners: grown to 100,50-300,250
	if err := p.ToBGR(&bgr, r); err != nil {
		t.Fatal(err)
	}
	px, _ := bgr.DataPtrUint8()
	for _, c := range []image.Point{{99, 100}, {300, 100}, {150, 49}, {150, 250}} {
		if at := px[(c.Y*640+c.X)*3:][:3]; at[0] != 1 || at[1] != 2 || at[2] != 3 {
			t.Errorf("pixel %v outside the region was written: %v", c, at)
		}
	}
	if at := px[(50*640+100)*3:][:3]; at[0] == 1 && at[1] == 2 && at[2] == 3 {
		t.Errorf("the region's corner (100,50) was not written")
	}
	if err := p.FromBGR(bgr, r); err != nil {
		t.Fatal(err)
	}
	// Within rounding, but where the YCbCr the JPEG holds is no colour BGR
	// has: libjpeg's BGR is clamped there too.
	for name, pair := range map[string][2]gocv.Mat{"Y": {p.Y, orig.Y}, "Cb": {p.Cb, orig.Cb}, "Cr": {p.Cr, orig.Cr}} {
		if mean, far := roundTripDiff(t, pair[0], pair[1]); far > 0.002 || mean > 0.05 {
			t.Errorf("%s after a round trip: mean difference %.3f levels, %.2f%% of values off by more than 2", name, mean, 100*far)
		}
	}
	// A changed rectangle does change the planes: red there makes Cr high.
	red := bgr.Region(image.Rect(200, 200, 240, 240))
	red.SetTo(gocv.NewScalar(0, 0, 255, 0))
	red.Close()
	if err := p.FromBGR(bgr, r); err != nil {
		t.Fatal(err)
	}
	if v := p.Cr.GetUCharAt(110, 110); v < 230 {
		t.Errorf("Cr under a red square: %d", v)
	}
	if v := p.Y.GetUCharAt(220, 220); v < 70 || v > 82 {
		t.Errorf("Y of pure red: %d, want 76", v)
	}
}

// Planes encode to the picture they hold, as close to it as encoding its
// BGR is.
func TestEncodePlanes(t *testing.T) {
	p, bgr := webcamBothWays(t)
	defer p.Close()
	defer bgr.Close()
	buf, err := cvjpeg.EncodePlanes(&p, cvjpeg.Options{Quality: 90})
	if err != nil {
		t.Fatal(err)
	}
	img, err := stdjpeg.Decode(bytes.NewReader(buf.Bytes()))
	buf.Close()
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Size() != image.Pt(640, 480) {
		t.Fatalf("encoded %v", img.Bounds())
	}
	if d := meanDiff(t, bgr, img); d > 3 {
		t.Errorf("planes encoded and decoded: %.2f levels from the picture", d)
	}
	if _, err := cvjpeg.EncodePlanes(&cvjpeg.Planes{}, cvjpeg.Options{}); err == nil {
		t.Error("no planes encoded")
	}
	if _, err := cvjpeg.EncodePlanes(&p, cvjpeg.Options{Progressive: true}); err == nil {
		t.Error("a progressive encode of planes did not say it is not done")
	}
}

// Pictures that are not 4:2:0 of whole 16-pixel columns and even rows, or
// that must be turned, are ErrNotPlanar (Decode takes them); corrupt
// data is another error; a file cut short decodes, as Decode's does.
func TestDecodePlanesRefuses(t *testing.T) {
	yuv444 := filepath.Join(t.TempDir(), "444.jpg")
	src := filepath.Join(t.TempDir(), "in.jpg")
	if err := os.WriteFile(src, testmedia.WebcamJPEG(t), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ffmpeg", "-loglevel", "error", "-i", src, "-pix_fmt", "yuvj444p", yuv444).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	b444, err := os.ReadFile(yuv444)
	if err != nil {
		t.Fatal(err)
	}
	gray := gocv.NewMat()
	defer gray.Close()
	m, _ := cvjpeg.Decode(testmedia.WebcamJPEG(t))
	gocv.CvtColor(m, &gray, gocv.ColorBGRToGray)
	m.Close()
	grayJPEG, err := cvjpeg.EncodeBytes(gray, cvjpeg.Options{Quality: 80})
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string][]byte{
		"4:4:4":            b444,
		"gray":             grayJPEG,
		"630 wide":         testmedia.PortraitAt(t, 630, 480),
		"481 high":         testmedia.PortraitAt(t, 640, 481),
		"EXIF orientation": withOrientation(testmedia.WebcamJPEG(t), 6, false),
	} {
		var p cvjpeg.Planes
		if err := cvjpeg.DecodePlanes(in, &p); !errors.Is(err, cvjpeg.ErrNotPlanar) {
			t.Errorf("%s: %v, want ErrNotPlanar", name, err)
		}
		p.Close()
		if m, err := cvjpeg.Decode(in); err != nil {
			t.Errorf("%s: Decode: %v", name, err)
		} else {
			m.Close()
		}
	}
	b := testmedia.WebcamJPEG(t)
	for name, in := range map[string][]byte{
		"empty":       nil,
		"header only": b[:200],
		"garbage":     bytes.Repeat([]byte{0xFF, 0xD8, 0x00}, 100),
	} {
		var p cvjpeg.Planes
		if err := cvjpeg.DecodePlanes(in, &p); err == nil || errors.Is(err, cvjpeg.ErrNotPlanar) {
			t.Errorf("%s: %v, want a decoding error", name, err)
		}
		p.Close()
	}
	p := decodePlanes(t, b[:len(b)/2])
	p.Close()
}

// A frame whose chroma uses a quantization table it never defines fails
// after the header, where the decoder has taken memory for its padding
// rows: that memory is freed on the error's path too, so such frames,
// sent again and again, do not grow the process.
func TestDecodePlanesErrorAfterTheHeaderFreesItsMemory(t *testing.T) {
	jpg := testmedia.PortraitAt(t, 4096, 16)
	bad := append([]byte(nil), jpg...)
	sof := bytes.Index(bad, []byte{0xFF, 0xC0})
	if sof < 0 || bad[sof+9] != 3 {
		t.Fatal("no baseline 3-component frame header")
	}
	bad[sof+10+3+2] = 3 // the second component's table: 3, never defined
	var p cvjpeg.Planes
	defer p.Close()
	if err := cvjpeg.DecodePlanes(jpg, &p); err != nil {
		t.Fatal(err)
	}
	rss := func() int {
		b, err := os.ReadFile("/proc/self/statm")
		if err != nil {
			t.Fatal(err)
		}
		pages, _ := strconv.Atoi(strings.Fields(string(b))[1])
		return pages * os.Getpagesize()
	}
	before := rss()
	const n = 20000 // 82 MB, at 4096 bytes each, were it leaked
	for i := 0; i < n; i++ {
		err := cvjpeg.DecodePlanes(bad, &p)
		if err == nil || errors.Is(err, cvjpeg.ErrNotPlanar) {
			t.Fatalf("an undefined quantization table: %v", err)
		}
	}
	if grown := rss() - before; grown > 16<<20 {
		t.Errorf("%d failed decodes grew the process by %d MB", n, grown>>20)
	}
}

// Planes of the frame's size are reused, as DecodeInto reuses its Mat.
func TestDecodePlanesReuses(t *testing.T) {
	jpg := testmedia.WebcamJPEG(t)
	p := decodePlanes(t, jpg)
	defer p.Close()
	y := p.Y.Ptr()
	if err := cvjpeg.DecodePlanes(jpg, &p); err != nil {
		t.Fatal(err)
	}
	if p.Y.Ptr() != y {
		t.Error("a second frame of the same size got new planes")
	}
	if err := cvjpeg.DecodePlanes(testmedia.PortraitAt(t, 320, 240), &p); err != nil {
		t.Fatal(err)
	}
	if p.Size() != image.Pt(320, 240) || p.Cb.Cols() != 160 {
		t.Errorf("planes %v after a 320x240 frame", p.Size())
	}
}

// ToBGR and FromBGR refuse a picture that is not the planes' size.
func TestPlanesCheckTheirPicture(t *testing.T) {
	p := decodePlanes(t, testmedia.WebcamJPEG(t))
	defer p.Close()
	small := gocv.NewMatWithSize(240, 320, gocv.MatTypeCV8UC3)
	defer small.Close()
	if err := p.ToBGR(&small, image.Rect(0, 0, 10, 10)); err == nil {
		t.Error("ToBGR into a smaller picture")
	}
	if err := p.FromBGR(small, image.Rect(0, 0, 10, 10)); err == nil {
		t.Error("FromBGR from a smaller picture")
	}
}

// FuzzDecodePlanes: any bytes decode to planes or fail with an error.
func FuzzDecodePlanes(f *testing.F) {
	f.Add(testmedia.WebcamJPEGQuality(f, 30))
	f.Add(testmedia.PortraitAt(f, 64, 48))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 1<<16 {
			return
		}
		var p cvjpeg.Planes
		if cvjpeg.DecodePlanes(in, &p) == nil && p.Y.Cols()%16 != 0 {
			t.Fatalf("planes %v", p.Size())
		}
		p.Close()
	})
}

// 1280x720, as a camera sends it: the planar path's stages against
// decoding to BGR, its gray, and encoding the BGR.
func BenchmarkPlanes720p(b *testing.B) {
	jpg := testmedia.PortraitAt(b, 1280, 720)
	whole := image.Rect(0, 0, 1280, 720)
	p := decodePlanes(b, jpg)
	defer p.Close()
	bgr, gray := gocv.NewMatWithSize(720, 1280, gocv.MatTypeCV8UC3), gocv.NewMat()
	defer bgr.Close()
	defer gray.Close()
	b.Run("DecodePlanes", func(b *testing.B) {
		for b.Loop() {
			if err := cvjpeg.DecodePlanes(jpg, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("DecodeInto+gray", func(b *testing.B) {
		for b.Loop() {
			if err := cvjpeg.DecodeInto(jpg, &bgr); err != nil {
				b.Fatal(err)
			}
			gocv.CvtColor(bgr, &gray, gocv.ColorBGRToGray)
		}
	})
	b.Run("ToBGR", func(b *testing.B) {
		for b.Loop() {
			if err := p.ToBGR(&bgr, whole); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("FromBGR", func(b *testing.B) {
		for b.Loop() {
			if err := p.FromBGR(bgr, whole); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("EncodePlanes", func(b *testing.B) {
		for b.Loop() {
			buf, err := cvjpeg.EncodePlanes(&p, cvjpeg.Options{Quality: 80})
			if err != nil {
				b.Fatal(err)
			}
			buf.Close()
		}
	})
	b.Run("Encode", func(b *testing.B) {
		for b.Loop() {
			buf, err := cvjpeg.Encode(bgr, cvjpeg.Options{Quality: 80})
			if err != nil {
				b.Fatal(err)
			}
			buf.Close()
		}
	})
}
