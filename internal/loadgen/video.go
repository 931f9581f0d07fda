// Motion-JPEG input: a file of concatenated JPEGs, split into its frames.

package loadgen

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"io"
	"os"

	"github.com/livetryon/server/internal/cvimage"
	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/frameid"
)

const (
	// MaxVideoFrames bounds the frames taken from a --video file (10 s at
	// 30 fps): each is kept encoded twice (bytes and data URL) by every
	// run. A longer video is cut to its first MaxVideoFrames frames.
	MaxVideoFrames = 300
	// MaxVideoBytes bounds the --video file read.
	MaxVideoBytes = 512 << 20
)

// readVideo reads a Motion-JPEG file and returns up to limit of its frames,
// in order.
func readVideo(path string, limit int) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxVideoBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxVideoBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB", path, MaxVideoBytes>>20)
	}
	fr, err := splitMJPEG(b, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return fr, nil
}

// splitMJPEG splits concatenated JPEGs into up to limit frames, in order
// (views of b). It follows each JPEG's marker segments, so a thumbnail
// inside an APP segment does not end a frame early; bytes between frames
// are skipped. It fails on a file with no JPEG in it and on a frame cut
// short; what follows the limit-th frame is not read.
func splitMJPEG(b []byte, limit int) ([][]byte, error) {
	var frames [][]byte
	pos := 0
	for len(frames) < limit {
		i := bytes.Index(b[pos:], []byte{0xFF, 0xD8, 0xFF})
		if i < 0 {
			break
		}
		start := pos + i
		end, err := jpegEnd(b, start)
		if err != nil {
			return nil, fmt.Errorf("frame %d at byte %d: %w", len(frames), start, err)
		}
		frames = append(frames, b[start:end:end])
		pos = end
	}
	if len(frames) == 0 {
		return nil, errors.New("no JPEG frame in it (not Motion-JPEG?)")
	}
	return frames, nil
}

var errTruncated = errors.New("truncated JPEG")

// jpegEnd returns the offset just past the EOI of the JPEG whose SOI is
// at b[start].
func jpegEnd(b []byte, start int) (int, error) {
	i := start + 2
	for {
		if i >= len(b) {
			return 0, errTruncated
		}
		if b[i] != 0xFF {
			return 0, fmt.Errorf("no marker at byte %d", i)
		}
		for i < len(b) && b[i] == 0xFF { // fill bytes
			i++
		}
		if i >= len(b) {
			return 0, errTruncated
		}
		m := b[i]
		i++
		switch {
		case m == 0xD9: // EOI
			return i, nil
		case m == 0xD8:
			return 0, fmt.Errorf("SOI inside a frame at byte %d", i-2)
		case m == 0x00:
			return 0, fmt.Errorf("stray 0xFF00 at byte %d", i-2)
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7): // no length
			continue
		}
		if i+2 > len(b) {
			return 0, errTruncated
		}
		n := int(b[i])<<8 | int(b[i+1])
		if n < 2 {
			return 0, fmt.Errorf("bad segment length %d at byte %d", n, i)
		}
		if i+n > len(b) {
			return 0, errTruncated
		}
		i += n
		if m != 0xDA { // SOS: entropy-coded data follows
			continue
		}
		for {
			k := bytes.IndexByte(b[i:], 0xFF)
			if k < 0 || i+k+1 >= len(b) {
				return 0, errTruncated
			}
			i += k
			if n := b[i+1]; n == 0x00 || (n >= 0xD0 && n <= 0xD7) {
				i += 2 // stuffed byte or restart marker
				continue
			}
			break // a marker: the outer loop reads it
		}
	}
}

// makeVideoFrames is makeFrames for a video: frame i of the video, framed
// at the size, stamped with i and encoded, for up to cfg.Variants
// (at most MaxVideoFrames) frames. The stamp is the variant's index, as
// for a still picture, so ack and seed answers match alike.
func makeVideoFrames(cfg Config) ([]variant, int, error) {
	jpgs, err := readVideo(cfg.Video, min(cfg.Variants, MaxVideoFrames, frameid.Modulo))
	if err != nil {
		return nil, 0, err
	}
	size := cfg.Size
	if size == (image.Point{}) {
		size = image.Pt(640, 480)
	}
	var f []variant
	largest := 0
	for i, in := range jpgs {
		src, err := cvjpeg.Decode(in)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: frame %d: %w", cfg.Video, i, err)
		}
		if src.Empty() || src.Cols() < 1 || src.Rows() < 1 {
			src.Close()
			return nil, 0, fmt.Errorf("%s: frame %d: empty picture", cfg.Video, i)
		}
		img := cvimage.CameraFrame(src, size)
		src.Close()
		frameid.Stamp(&img, i)
		jpg, err := cvjpeg.EncodeBytes(img, cvjpeg.Options{Quality: cfg.Quality})
		img.Close()
		if err != nil {
			return nil, 0, err
		}
		largest = max(largest, len(jpg))
		f = append(f, variant{jpeg: jpg, dataURL: "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(jpg)})
	}
	return f, largest, nil
}
