// Package frame checks untrusted frame input before any decoder sees it.
//
// Every byte a client sends is untrusted. The checks here are cheap and run
// in order of cost: the data URL's shape and length, then base64, then the
// JPEG header's declared dimensions, then a walk over every marker of the
// file. Only a frame that passes all of them is handed to the JPEG decoder,
// so a 2 KB file that declares 60000x60000 pixels is refused before it can
// claim gigabytes, and a progressive file with 200,000 empty scans (each
// one a pass over the whole image, half a minute of decoding that cannot
// be cancelled) is refused in about a millisecond.
package frame

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/livetryon/server/pkg/apierr"
)

// Error codes of frames refused here, from the one table (package apierr).
const (
	CodeBadPayload    = apierr.CodeBadPayload
	CodeNotDataURL    = apierr.CodeNotDataURL
	CodeBadBase64     = apierr.CodeBadBase64
	CodeNotJPEG       = apierr.CodeNotJPEG
	CodeTooLarge      = apierr.CodeTooLarge
	CodeTooManyPixels = apierr.CodeTooManyPixels
	CodeTooManyScans  = apierr.CodeTooManyScans
	CodeDecodeFailed  = apierr.CodeDecodeFailed
	CodeInternal      = apierr.CodeInternal
)

// Error is input refused with a stable code and a message for people.
type Error = apierr.Error

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Limits bound what one frame may cost.
type Limits struct {
	MaxBytes  int // JPEG bytes after base64 decoding
	MaxPixels int // width*height declared in the JPEG header
	MaxSide   int // largest width or height
}

// DefaultLimits admit 1920x1080 at any JPEG quality. A 1280x720 frame at
// quality 0.9 is about 220 KB of JPEG, 300 KB as a data URL.
var DefaultLimits = Limits{
	MaxBytes:  2 << 20,
	MaxPixels: 1920 * 1080,
	MaxSide:   4096,
}

// MaxDataURLLen is the longest data URL that can carry MaxBytes of JPEG.
func (l Limits) MaxDataURLLen() int {
	return len("data:image/jpeg;base64,") + base64.StdEncoding.EncodedLen(l.MaxBytes)
}

// DecodeDataURL extracts the JPEG bytes of a "data:image/jpeg;base64,..."
// URL, appending them to dst[:0] so the caller can reuse a buffer.
func DecodeDataURL(s string, dst []byte, lim Limits) ([]byte, error) {
	if !strings.HasPrefix(s, "data:") {
		return nil, errorf(CodeNotDataURL, "frame must be a data URL (data:image/jpeg;base64,...), got %q", apierr.Clip(s, 32))
	}
	comma := strings.IndexByte(s, ',')
	if comma < 0 || comma > 100 {
		return nil, errorf(CodeNotDataURL, "data URL has no ',' after its header")
	}
	header, data := s[len("data:"):comma], s[comma+1:]
	mime, isBase64 := strings.CutSuffix(header, ";base64")
	if !isBase64 {
		return nil, errorf(CodeNotDataURL, "data URL must be base64-encoded (;base64)")
	}
	if mime != "image/jpeg" && mime != "image/jpg" {
		return nil, errorf(CodeNotJPEG, "frame must be image/jpeg, got %q", apierr.Clip(mime, 32))
	}
	if base64.StdEncoding.DecodedLen(len(data)) > lim.MaxBytes+2 {
		return nil, errorf(CodeTooLarge, "frame is %d base64 characters; the limit is %d bytes of JPEG (%d characters)",
			len(data), lim.MaxBytes, base64.StdEncoding.EncodedLen(lim.MaxBytes))
	}
	enc := base64.StdEncoding
	if len(data)%4 != 0 {
		// Some encoders drop the '=' padding; accept that, nothing else.
		enc = base64.RawStdEncoding
	}
	n := enc.DecodedLen(len(data))
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	dst = dst[:n]
	n, err := enc.Decode(dst, []byte(data))
	if err != nil {
		return nil, errorf(CodeBadBase64, "frame is not valid base64: %v", err)
	}
	if n > lim.MaxBytes {
		return nil, errorf(CodeTooLarge, "frame is %d bytes; the limit is %d", n, lim.MaxBytes)
	}
	return dst[:n], nil
}

// The structure a JPEG may have. Cameras and browsers write one scan
// (baseline) or about ten (libjpeg's progressive script has 10). Decoding
// cost grows with scans times pixels, so the scan count is what bounds it.
const (
	MaxScans    = 64
	MaxSegments = 512 // marker segments of any kind: tables, APPn, COM, scans
)

// CheckJPEG reads the dimensions a JPEG declares and refuses it if they
// exceed lim, then walks every marker of the file and refuses structures no
// encoder makes that would make decoding slow. It never decodes image data,
// and takes time linear in the file's length.
func CheckJPEG(b []byte, lim Limits) (width, height int, err error) {
	if len(b) > lim.MaxBytes {
		return 0, 0, errorf(CodeTooLarge, "frame is %d bytes; the limit is %d", len(b), lim.MaxBytes)
	}
	width, height, err = JPEGSize(b)
	if err != nil {
		return 0, 0, err
	}
	if width > lim.MaxSide || height > lim.MaxSide || width*height > lim.MaxPixels {
		return 0, 0, errorf(CodeTooManyPixels, "frame declares %dx%d pixels; the limit is %d pixels and %d per side",
			width, height, lim.MaxPixels, lim.MaxSide)
	}
	if err := checkStructure(b); err != nil {
		return 0, 0, err
	}
	return width, height, nil
}

// checkStructure walks a JPEG's segments and its entropy-coded data up to
// the end-of-image marker, counting scans and segments. A file cut short is
// not refused here: the decoder pads it, at no extra cost.
func checkStructure(b []byte) error {
	scans, segments := 0, 0
	i := 2 // after SOI
	for {
		for i < len(b) && b[i] != 0xFF {
			i++ // stray bytes between segments, as libjpeg tolerates
		}
		for i < len(b) && b[i] == 0xFF {
			i++
		}
		if i >= len(b) {
			return nil
		}
		marker := b[i]
		i++
		switch {
		case marker == 0xD9: // end of image: whatever follows is never decoded
			return nil
		case marker == 0xD8 || marker == 0x01 || isRestart(marker):
			continue // no payload
		}
		if segments++; segments > MaxSegments {
			return errorf(CodeTooManyScans, "JPEG has over %d segments; no encoder writes that many", MaxSegments)
		}
		if i+2 > len(b) {
			return nil
		}
		length := int(b[i])<<8 | int(b[i+1])
		if length < 2 {
			return errorf(CodeNotJPEG, "JPEG segment length %d is invalid", length)
		}
		i += length
		if marker != 0xDA {
			continue
		}
		if scans++; scans > MaxScans {
			return errorf(CodeTooManyScans, "JPEG has over %d scans; cameras and encoders write at most a few dozen", MaxScans)
		}
		// The scan's entropy-coded data runs to the next marker that is
		// neither a stuffed 0xFF00 nor a restart marker.
		for i < len(b) {
			j := bytes.IndexByte(b[i:], 0xFF)
			if j < 0 {
				return nil
			}
			i += j
			if i+1 >= len(b) {
				return nil
			}
			if next := b[i+1]; next != 0x00 && next != 0xFF && !isRestart(next) {
				break
			}
			i++
		}
	}
}

func isRestart(m byte) bool { return m >= 0xD0 && m <= 0xD7 }

// JPEGSize returns the width and height in a JPEG's start-of-frame segment.
func JPEGSize(b []byte) (width, height int, err error) {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 0, 0, errorf(CodeNotJPEG, "frame is not a JPEG (no start-of-image marker)")
	}
	i := 2
	for {
		// Markers may be preceded by any number of 0xFF fill bytes.
		for i < len(b) && b[i] != 0xFF {
			i++ // tolerate stray bytes between segments, as libjpeg does
		}
		for i < len(b) && b[i] == 0xFF {
			i++
		}
		if i >= len(b) {
			return 0, 0, errorf(CodeNotJPEG, "JPEG ends before its frame header")
		}
		marker := b[i]
		i++
		switch {
		case marker == 0xD8 || marker == 0x01 || isRestart(marker):
			continue // no payload
		case marker == 0xD9 || marker == 0xDA:
			return 0, 0, errorf(CodeNotJPEG, "JPEG has no frame header before its image data")
		}
		if i+2 > len(b) {
			return 0, 0, errorf(CodeNotJPEG, "JPEG segment header is cut short")
		}
		length := int(b[i])<<8 | int(b[i+1])
		if length < 2 || i+length > len(b) {
			return 0, 0, errorf(CodeNotJPEG, "JPEG segment length %d is invalid", length)
		}
		if isStartOfFrame(marker) {
			if length < 8 {
				return 0, 0, errorf(CodeNotJPEG, "JPEG frame header is too short")
			}
			height = int(b[i+3])<<8 | int(b[i+4])
			width = int(b[i+5])<<8 | int(b[i+6])
			if width == 0 || height == 0 {
				return 0, 0, errorf(CodeNotJPEG, "JPEG declares an empty %dx%d frame", width, height)
			}
			return width, height, nil
		}
		i += length
	}
}

// isStartOfFrame reports SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC),
// which share the range but are tables.
func isStartOfFrame(m byte) bool {
	return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC
}
