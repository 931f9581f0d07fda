// Package testmedia gives tests the project's test media: the files in
// testdata/ and frames made from them the way a browser would send them.
package testmedia

import (
	"bytes"
	"encoding/base64"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvimage"
	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/pkg/landmarks"
)

// Path returns the absolute path of a file under the repository's testdata/.
func Path(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", name)
}

// RepoPath returns the absolute path of a file in the repository.
func RepoPath(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", name)
}

// WebcamJPEG is obama-480p.jpg cropped to 640x480 and encoded at quality
// 50, like a browser's canvas.toDataURL('image/jpeg', 0.5).
func WebcamJPEG(t testing.TB) []byte {
	t.Helper()
	return WebcamJPEGQuality(t, 50)
}

// WebcamJPEGQuality is WebcamJPEG at another JPEG quality (1..100).
func WebcamJPEGQuality(t testing.TB, quality int) []byte {
	t.Helper()
	img, err := cvimage.ReadFile(Path("obama-480p.jpg"))
	if err != nil {
		t.Fatal("cannot read testdata/obama-480p.jpg")
	}
	defer img.Close()
	x := (img.Cols() - 640) / 2
	crop := img.Region(image.Rect(x, 0, x+640, 480))
	defer crop.Close()
	buf, err := cvjpeg.Encode(crop, cvjpeg.Options{Quality: quality})
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Close()
	return append([]byte(nil), buf.Bytes()...)
}

// PortraitAt is obama-480p.jpg as a w x h camera would frame it
// (cvimage.CameraFrame), as a JPEG of quality 90.
func PortraitAt(t testing.TB, w, h int) []byte {
	t.Helper()
	img, err := cvimage.ReadFile(Path("obama-480p.jpg"))
	if err != nil {
		t.Fatal("cannot read testdata/obama-480p.jpg")
	}
	defer img.Close()
	frame := cvimage.CameraFrame(img, image.Pt(w, h))
	defer frame.Close()
	buf, err := cvjpeg.Encode(frame, cvjpeg.Options{Quality: 90})
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Close()
	return append([]byte(nil), buf.Bytes()...)
}

// DeclareSize returns a copy of a baseline JPEG whose frame header declares
// w x h pixels, for tests of the header checks (the image data is left as
// it is).
func DeclareSize(jpg []byte, w, h int) []byte {
	out := append([]byte(nil), jpg...)
	for i := 0; i+8 < len(out); i++ {
		if out[i] == 0xFF && out[i+1] == 0xC0 {
			out[i+5], out[i+6], out[i+7], out[i+8] = byte(h>>8), byte(h), byte(w>>8), byte(w)
			break
		}
	}
	return out
}

// ManyScanJPEG is the hostile file of issue 10: a valid progressive
// 1920x1080 JPEG followed by scans empty scans (each one a pass over the
// whole image for libjpeg), about 10 bytes each. With 200,000 scans it is
// 2 MB and took 32-37 s to decode, uncancellable.
func ManyScanJPEG(t testing.TB, scans int) []byte {
	t.Helper()
	img := gocv.NewMatWithSize(1080, 1920, gocv.MatTypeCV8UC3)
	defer img.Close()
	buf, err := cvjpeg.Encode(img, cvjpeg.Options{Quality: 80, Progressive: true})
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Close()
	jpg := buf.Bytes()
	out := append([]byte(nil), jpg[:len(jpg)-2]...) // without EOI
	// An AC scan of band 63 of component 1, with no entropy-coded data.
	scan := []byte{0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x3F, 0x3F, 0x00}
	for range scans {
		out = append(out, scan...)
	}
	return append(out, 0xFF, 0xD9)
}

// DataURL wraps JPEG bytes as a data URL.
func DataURL(jpg []byte) string {
	return "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(jpg)
}

// The detector and the 99 MB model are loaded once per test binary, not per
// call; the mutex serialises their use (dlib's detector is not safe to share).
var (
	facesMu   sync.Mutex
	detector  *landmarks.Detector
	predictor *landmarks.Predictor
)

// Faces finds the faces in a JPEG with the real detector and model, at full
// resolution, for tests that check where an effect landed.
func Faces(t testing.TB, jpg []byte) []landmarks.Face {
	t.Helper()
	return FacesUpsampled(t, jpg, 0)
}

// Redness is R minus the mean of G and B over the 3x3 patch around p of a
// BGR Mat: how red a spot looks, whatever its brightness.
func Redness(m gocv.Mat, p image.Point) int { return dominance(m, p, 2) }

// Blueness is B minus the mean of G and R, as Redness is for red.
func Blueness(m gocv.Mat, p image.Point) int { return dominance(m, p, 0) }

// dominance is how much channel ch (BGR order) exceeds the mean of the two
// others, averaged over the 3x3 patch around p.
func dominance(m gocv.Mat, p image.Point, ch int) int {
	sum := 0
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			v := m.GetVecbAt(p.Y+dy, p.X+dx)
			sum += int(v[ch]) - (int(v[(ch+1)%3])+int(v[(ch+2)%3]))/2
		}
	}
	return sum / 9
}

// LipPoint is a point just inside the lower lip.
func LipPoint(f landmarks.Face) image.Point {
	return image.Pt((f.Points[57].X+f.Points[66].X)/2, (f.Points[57].Y+f.Points[66].Y)/2)
}

// PanZoomClip is n frames of obama-480p.jpg seen through a 640x480 window
// that pans and zooms slowly, like a person in front of a laptop camera,
// encoded as JPEG at quality 85. Made at test time so the repository holds
// only the photo.
func PanZoomClip(t testing.TB, n int) [][]byte {
	t.Helper()
	src, err := cvimage.ReadFile(Path("obama-480p.jpg"))
	if err != nil {
		t.Fatal("cannot read testdata/obama-480p.jpg")
	}
	defer src.Close()
	out := gocv.NewMat()
	defer out.Close()
	clip := make([][]byte, 0, n)
	for i := 0; i < n; i++ {
		phase := float64(i) / float64(n)
		w := 640 - int(60*phase) // zoom in a little
		h := w * 3 / 4
		x := (src.Cols()-w)/2 + int(40*(phase-0.5))
		y := (src.Rows() - h) / 2
		crop := src.Region(image.Rect(x, y, x+w, y+h))
		gocv.Resize(crop, &out, image.Pt(640, 480), 0, 0, gocv.InterpolationArea)
		crop.Close()
		buf, err := cvjpeg.Encode(out, cvjpeg.Options{Quality: 85})
		if err != nil {
			t.Fatal(err)
		}
		clip = append(clip, append([]byte(nil), buf.Bytes()...))
		buf.Close()
	}
	return clip
}

// SharedWebcamClip returns frames of ../shared/media/webcam-640x480.mjpeg,
// every step-th one, when that file is beside the repository, and nil when
// it is not (a clone without shared/).
func SharedWebcamClip(step int) [][]byte {
	b, err := os.ReadFile(RepoPath("../shared/media/webcam-640x480.mjpeg"))
	if err != nil {
		return nil
	}
	var frames [][]byte
	soi := []byte{0xFF, 0xD8, 0xFF}
	for i := 0; ; i++ {
		start := bytes.Index(b, soi)
		if start < 0 {
			break
		}
		next := bytes.Index(b[start+3:], soi)
		end := len(b)
		if next >= 0 {
			end = start + 3 + next
		}
		if i%step == 0 {
			frames = append(frames, b[start:end])
		}
		b = b[end:]
	}
	return frames
}

// StillClip is n frames of the same 640x480 crop of obama-480p.jpg, each
// with its own faint sensor-like noise (Gaussian, sigma 4 levels, fixed
// seed), encoded at quality 80: a person holding still before a camera.
func StillClip(t testing.TB, n int) [][]byte {
	t.Helper()
	base, err := cvjpeg.Decode(WebcamJPEGQuality(t, 95))
	if err != nil {
		t.Fatal(err)
	}
	defer base.Close()
	pix, _ := base.DataPtrUint8()
	rng := rand.New(rand.NewPCG(1, 2))
	clip := make([][]byte, 0, n)
	for i := 0; i < n; i++ {
		noisy := base.Clone()
		np, _ := noisy.DataPtrUint8()
		for j, v := range pix {
			np[j] = uint8(max(0, min(255, int(v)+int(math.Round(rng.NormFloat64()*4)))))
		}
		buf, err := cvjpeg.Encode(noisy, cvjpeg.Options{Quality: 80})
		noisy.Close()
		if err != nil {
			t.Fatal(err)
		}
		clip = append(clip, append([]byte(nil), buf.Bytes()...))
		buf.Close()
	}
	return clip
}
