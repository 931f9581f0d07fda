package frame

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image"
	"image/jpeg"
	"os"
	"strings"
	"testing"
)

func jpegBytes(t testing.TB, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h)), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withDeclaredSize rewrites the SOF0 dimensions of a real JPEG: the classic
// decompression bomb, a tiny file that declares a huge frame.
func withDeclaredSize(t testing.TB, b []byte, w, h int) []byte {
	t.Helper()
	out := bytes.Clone(b)
	i := bytes.Index(out, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("no SOF0")
	}
	out[i+5], out[i+6] = byte(h>>8), byte(h)
	out[i+7], out[i+8] = byte(w>>8), byte(w)
	return out
}

func dataURL(b []byte) string {
	return "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(b)
}

func code(err error) string {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	return ""
}

func TestDecodeDataURL(t *testing.T) {
	good := jpegBytes(t, 64, 48)
	lim := DefaultLimits
	cases := []struct {
		name, in, code string
	}{
		{"good", dataURL(good), ""},
		{"unpadded", strings.TrimRight(dataURL(good), "="), ""},
		{"jpg alias", strings.Replace(dataURL(good), "image/jpeg", "image/jpg", 1), ""},
		{"plain text", "hello", CodeNotDataURL},
		{"no comma", "data:image/jpeg;base64", CodeNotDataURL},
		{"not base64 url", "data:image/jpeg," + string(good), CodeNotDataURL},
		{"png", "data:image/png;base64,iVBORw0KGgo=", CodeNotJPEG},
		{"bad base64", "data:image/jpeg;base64,@@@@", CodeBadBase64},
		{"too large", "data:image/jpeg;base64," + strings.Repeat("A", lim.MaxDataURLLen()), CodeTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := DecodeDataURL(c.in, nil, lim)
			if code(err) != c.code {
				t.Fatalf("code %q, want %q (err %v)", code(err), c.code, err)
			}
			if c.code == "" && !bytes.Equal(got, good) {
				t.Fatalf("decoded %d bytes, want the %d-byte JPEG", len(got), len(good))
			}
		})
	}
}

func TestCheckJPEG(t *testing.T) {
	good := jpegBytes(t, 64, 48)
	lim := Limits{MaxBytes: 1 << 20, MaxPixels: 100 * 100, MaxSide: 200}
	cases := []struct {
		name string
		in   []byte
		code string
	}{
		{"good", good, ""},
		{"bomb 60000x60000", withDeclaredSize(t, good, 60000, 60000), CodeTooManyPixels},
		{"too wide", withDeclaredSize(t, good, 300, 10), CodeTooManyPixels},
		{"too many pixels", withDeclaredSize(t, good, 150, 150), CodeTooManyPixels},
		{"empty frame", withDeclaredSize(t, good, 0, 10), CodeNotJPEG},
		{"png", []byte("\x89PNG\r\n\x1a\n0000"), CodeNotJPEG},
		{"cut", good[:20], CodeNotJPEG},
		{"too large", append(bytes.Clone(good), make([]byte, 1<<20)...), CodeTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, h, err := CheckJPEG(c.in, lim)
			if code(err) != c.code {
				t.Fatalf("code %q, want %q (err %v)", code(err), c.code, err)
			}
			if c.code == "" && (w != 64 || h != 48) {
				t.Fatalf("size %dx%d, want 64x48", w, h)
			}
		})
	}
}

func TestJPEGSizeOnPhotos(t *testing.T) {
	for _, name := range []string{"obama-480p.jpg", "faces/2008_002470.jpg", "faces/dogs.jpg"} {
		b, err := os.ReadFile("../../testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		w, h, err := JPEGSize(b)
		cfg, cerr := jpeg.DecodeConfig(bytes.NewReader(b))
		if err != nil || cerr != nil || w != cfg.Width || h != cfg.Height {
			t.Errorf("%s: JPEGSize %dx%d (%v), image/jpeg %dx%d (%v)", name, w, h, err, cfg.Width, cfg.Height, cerr)
		}
	}
}

func FuzzDecodeDataURL(f *testing.F) {
	f.Add(dataURL(jpegBytes(f, 8, 8)))
	f.Add("data:image/jpeg;base64,")
	f.Add("data:,")
	f.Add("data:image/jpeg;base64,AAA")
	lim := Limits{MaxBytes: 4096, MaxPixels: 64 * 64, MaxSide: 64}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := DecodeDataURL(s, nil, lim)
		if err != nil {
			if code(err) == "" {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		if len(b) > lim.MaxBytes {
			t.Fatalf("accepted %d bytes over the %d limit", len(b), lim.MaxBytes)
		}
	})
}

// FuzzJPEGSize checks the header parser never panics and agrees with the
// standard library whenever both accept the input.
func FuzzJPEGSize(f *testing.F) {
	f.Add(jpegBytes(f, 8, 8))
	f.Add(withDeclaredSize(f, jpegBytes(f, 8, 8), 60000, 60000))
	for _, name := range []string{"obama-480p.jpg", "faces/dogs.jpg"} {
		if b, err := os.ReadFile("../../testdata/" + name); err == nil {
			f.Add(b[:min(len(b), 2048)])
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		w, h, err := JPEGSize(b)
		if err != nil {
			if code(err) != CodeNotJPEG {
				t.Fatalf("unexpected code for %v", err)
			}
			return
		}
		if w <= 0 || h <= 0 {
			t.Fatalf("accepted empty size %dx%d", w, h)
		}
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(b)); err == nil && (cfg.Width != w || cfg.Height != h) {
			t.Fatalf("JPEGSize %dx%d, image/jpeg %dx%d", w, h, cfg.Width, cfg.Height)
		}
	})
}

// withEmptyScans appends n scans with no entropy-coded data before EOI.
func withEmptyScans(b []byte, n int) []byte {
	out := bytes.Clone(b[:len(b)-2])
	for range n {
		out = append(out, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x3F, 0x3F, 0x00)
	}
	return append(out, 0xFF, 0xD9)
}

func TestCheckJPEGStructure(t *testing.T) {
	good := jpegBytes(t, 64, 48)
	var comments []byte
	for range MaxSegments {
		comments = append(comments, 0xFF, 0xFE, 0x00, 0x03, 'x')
	}
	manyComments := append(append(bytes.Clone(good[:2]), comments...), good[2:]...)
	stuffed := withEmptyScans(good, 1)
	// Entropy data with stuffed bytes, fill bytes and restart markers: none
	// of them starts a segment.
	stuffed = append(stuffed[:len(stuffed)-2], 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF, 0xD1, 0xFF, 0xD9)
	cases := []struct {
		name string
		in   []byte
		code string
	}{
		{"one scan", good, ""},
		{"the limit of scans", withEmptyScans(good, MaxScans-1), ""},
		{"one scan over", withEmptyScans(good, MaxScans), CodeTooManyScans},
		{"200,000 scans", withEmptyScans(good, 200_000), CodeTooManyScans},
		{"segments over the limit", manyComments, CodeTooManyScans},
		{"stuffing and restarts", stuffed, ""},
		{"cut short in a scan", good[:len(good)-40], ""},
		{"scans after the end are never decoded", append(bytes.Clone(good), withEmptyScans(good, 100)...), ""},
		{"zero segment length", append(bytes.Clone(good[:2]), 0xFF, 0xFE, 0x00, 0x00), CodeNotJPEG},
	}
	for _, c := range cases {
		_, _, err := CheckJPEG(c.in, DefaultLimits)
		if code(err) != c.code {
			t.Errorf("%s: got %v, want code %q", c.name, err, c.code)
		}
	}
}

// BenchmarkCheckJPEG is the cost of every check before decoding: on a
// browser's frame, on 2 MB of empty scans (refused), and on the slowest
// file to walk that the limits let in, one scan of 2 MB of stuffed 0xFF00.
func BenchmarkCheckJPEG(b *testing.B) {
	webcam, err := os.ReadFile("../../testdata/obama-480p.jpg")
	if err != nil {
		b.Fatal(err)
	}
	big := jpegBytes(b, 1920, 1080)
	scans := withEmptyScans(big, (DefaultLimits.MaxBytes-len(big))/10)
	stuffing := withEmptyScans(big, 1)
	stuffing = append(stuffing[:len(stuffing)-2], bytes.Repeat([]byte{0xFF, 0x00}, (DefaultLimits.MaxBytes-len(stuffing))/2-1)...)
	stuffing = append(stuffing, 0xFF, 0xD9)
	if _, _, err := CheckJPEG(stuffing, DefaultLimits); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		in   []byte
	}{{"webcam", webcam}, {"2MB-of-scans", scans}, {"2MB-of-stuffing", stuffing}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.in)))
			for b.Loop() {
				CheckJPEG(c.in, DefaultLimits)
			}
		})
	}
}

// FuzzCheckJPEG checks the structure walk never panics, refuses only with
// a code, and accepts only what JPEGSize accepts.
func FuzzCheckJPEG(f *testing.F) {
	good := jpegBytes(f, 16, 16)
	f.Add(good)
	f.Add(withEmptyScans(good, 3))
	f.Add(withEmptyScans(good, MaxScans+1))
	f.Add(append(bytes.Clone(good[:len(good)-2]), 0xFF, 0x00, 0xFF, 0xD3, 0xFF, 0xFF, 0xD9))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, h, err := CheckJPEG(b, DefaultLimits)
		if err != nil {
			if code(err) == "" {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		if sw, sh, err := JPEGSize(b); err != nil || sw != w || sh != h {
			t.Fatalf("CheckJPEG accepted %dx%d, JPEGSize says %dx%d (%v)", w, h, sw, sh, err)
		}
	})
}
