package loadgen

import (
	"bytes"
	"image"
	"os"
	"path/filepath"
	"testing"

	"github.com/livetryon/server/internal/cvimage"
	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/frameid"
	"github.com/livetryon/server/internal/testmedia"
	"gocv.io/x/gocv"
)

// testFrames encodes n distinct 320x240 pictures: the testdata portraits,
// flipped and cropped.
func testFrames(t *testing.T, n int) [][]byte {
	t.Helper()
	var out [][]byte
	for i := 0; i < n; i++ {
		name := []string{"obama-480p.jpg", "webcam-face-640x480.jpg"}[i%2]
		src, err := cvimage.ReadFile(testmedia.Path(name))
		if err != nil {
			t.Fatal(err)
		}
		crop := src.Region(image.Rect(i*8, 0, src.Cols()-i*8, src.Rows()))
		img := cvimage.CameraFrame(crop, image.Pt(320, 240))
		crop.Close()
		src.Close()
		if i%3 == 2 {
			gocv.Flip(img, &img, 1)
		}
		jpg, err := cvjpeg.EncodeBytes(img, cvjpeg.Options{Quality: 60})
		img.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, jpg)
	}
	return out
}

func writeMJPEG(t *testing.T, frames [][]byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "v.mjpeg")
	if err := os.WriteFile(p, bytes.Join(frames, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSplitMJPEG(t *testing.T) {
	frames := testFrames(t, 5)
	// A thumbnail inside an APP1 segment must not end frame 1 early.
	thumb := frames[3]
	seg := append([]byte{0xFF, 0xE1, byte((len(thumb) + 2) >> 8), byte(len(thumb) + 2)}, thumb...)
	frames[1] = append(append(append([]byte(nil), frames[1][:2]...), seg...), frames[1][2:]...)
	if m, err := cvjpeg.Decode(frames[1]); err != nil {
		t.Fatalf("frame with a thumbnail: %v", err)
	} else {
		m.Close()
	}
	data := bytes.Join(frames, nil)
	got, err := splitMJPEG(data, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(frames) {
		t.Fatalf("%d frames, want %d", len(got), len(frames))
	}
	for i := range frames {
		if !bytes.Equal(got[i], frames[i]) {
			t.Errorf("frame %d: %d bytes, not the frame written (%d bytes)", i, len(got[i]), len(frames[i]))
		}
	}
	// Bytes between frames are skipped; the limit takes the first frames.
	padded := bytes.Join(frames, []byte("\x00\x00--boundary\r\n"))
	if got, err := splitMJPEG(padded, 3); err != nil || len(got) != 3 || !bytes.Equal(got[2], frames[2]) {
		t.Errorf("padded, limit 3: %d frames, %v", len(got), err)
	}

	for name, bad := range map[string][]byte{
		"empty":            nil,
		"no JPEG":          []byte("this is not a video at all, just some text\xff\xd9"),
		"truncated":        data[:len(data)-len(frames[4])/2],
		"truncated header": data[:len(data)-len(frames[4])+5],
		"only SOI":         {0xFF, 0xD8, 0xFF},
		"bad length":       {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01, 0xFF, 0xD9},
		"garbage in frame": {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x02, 0x12, 0x34},
	} {
		if got, err := splitMJPEG(bad, 100); err == nil {
			t.Errorf("%s: %d frames, want an error", name, len(got))
		}
	}
	// Every cut of a small file errs or splits, never panics.
	small := bytes.Join(testFrames(t, 2), nil)
	for n := 0; n < len(small); n += 7 {
		splitMJPEG(small[:n], 100)
	}
}

func TestMakeVideoFrames(t *testing.T) {
	frames := testFrames(t, 4)
	p := writeMJPEG(t, frames)
	fr, largest, err := makeVideoFrames(Config{Video: p, Size: image.Pt(640, 480), Quality: 50, Variants: frameid.Modulo})
	if err != nil {
		t.Fatal(err)
	}
	if len(fr) != len(frames) || largest == 0 {
		t.Fatalf("%d variants (largest %d bytes), want %d", len(fr), largest, len(frames))
	}
	for i, v := range fr {
		if id, ok := frameid.Read(v.jpeg); !ok || id != i {
			t.Errorf("variant %d stamped %d (%v)", i, id, ok)
		}
		if w, h, err := jpegDims(v.jpeg); err != nil || w != 640 || h != 480 {
			t.Errorf("variant %d: %dx%d %v", i, w, h, err)
		}
	}
	// Variants bounds the frames taken.
	if fr, _, err := makeVideoFrames(Config{Video: p, Quality: 50, Variants: 2}); err != nil || len(fr) != 2 {
		t.Errorf("Variants 2: %d variants, %v", len(fr), err)
	}
	// A file that is no video, or is missing, is an error.
	if _, _, err := makeVideoFrames(Config{Video: testmedia.Path("../README.md"), Quality: 50, Variants: 8}); err == nil {
		t.Error("a text file as video: no error")
	}
	if _, _, err := makeVideoFrames(Config{Video: filepath.Join(t.TempDir(), "none"), Quality: 50, Variants: 8}); err == nil {
		t.Error("a missing video: no error")
	}
}

func jpegDims(jpg []byte) (int, int, error) {
	m, err := cvjpeg.Decode(jpg)
	if err != nil {
		return 0, 0, err
	}
	defer m.Close()
	return m.Cols(), m.Rows(), nil
}
