// Package cvjpeg decodes JPEG into gocv Mats and encodes Mats as JPEG with
// libjpeg-turbo directly.
//
// It replaces OpenCV's imgcodecs module, which the server used only for
// JPEG: Debian's build of that module links GDAL, DCMTK, OpenEXR, Qt and
// 130 other libraries whose pages cost the server about 60 MB of resident
// memory, and whose decoders (TIFF, EXR, JPEG 2000, DICOM...) were all
// reachable from a client's bytes. The pixels are the same as imgcodecs'
// (libjpeg-turbo's defaults in both), and so are the encoded bytes.
package cvjpeg

/*
#cgo CFLAGS: -O3
#cgo LDFLAGS: -ljpeg
#include <stdlib.h>
#include "jpeg.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	"gocv.io/x/gocv"
)

// ErrEmpty is returned for an empty input.
var ErrEmpty = errors.New("cvjpeg: no data")

// Decode decodes a JPEG into a new BGR Mat (CV_8UC3), turned upright by
// its EXIF orientation if it has one, as OpenCV's imdecode did. The caller
// closes the Mat.
func Decode(b []byte) (gocv.Mat, error) {
	m := gocv.NewMat()
	if err := DecodeInto(b, &m); err != nil {
		m.Close()
		return gocv.Mat{}, err
	}
	return m, nil
}

// DecodeInto is Decode into *dst, whose buffer is reused when it already
// has the frame's size: a live session's frames all do, so decoding them
// allocates nothing.
func DecodeInto(b []byte, dst *gocv.Mat) error {
	if err := decode(b, 3, 1, dst); err != nil {
		return err
	}
	orient(dst, Orientation(b))
	return nil
}

// DecodeGray decodes a JPEG to an 8-bit gray Mat (CV_8UC1), its sides
// divided by reduce (1, 2, 4 or 8) while decoding: libjpeg's DCT scaling,
// which skips most of the work. EXIF orientation is not applied.
func DecodeGray(b []byte, reduce int) (gocv.Mat, error) {
	switch reduce {
	case 1, 2, 4, 8:
	default:
		return gocv.Mat{}, fmt.Errorf("cvjpeg: reduce %d is not 1, 2, 4 or 8", reduce)
	}
	m := gocv.NewMat()
	if err := decode(b, 1, reduce, &m); err != nil {
		m.Close()
		return gocv.Mat{}, err
	}
	return m, nil
}

func decode(b []byte, components, denom int, dst *gocv.Mat) error {
	if len(b) == 0 {
		return ErrEmpty
	}
	typ := gocv.MatTypeCV8UC3
	if components == 1 {
		typ = gocv.MatTypeCV8UC1
	}
	var msg [C.TRYON_JPEG_MSG]C.char
	for try := 0; try < 2; try++ {
		var pix *C.uchar
		width, height := C.int(0), C.int(0)
		if !dst.Empty() && dst.Type() == typ && dst.IsContinuous() {
			if p, err := dst.DataPtrUint8(); err == nil && len(p) > 0 {
				pix = (*C.uchar)(unsafe.Pointer(&p[0]))
				width, height = C.int(dst.Cols()), C.int(dst.Rows())
			}
		}
		rc := C.tryon_jpeg_decode((*C.uchar)(unsafe.Pointer(&b[0])), C.size_t(len(b)),
			C.int(components), C.int(denom), pix, &width, &height, &msg[0])
		switch rc {
		case 0:
			return nil
		case 1: // dst is not the image's size: give it a buffer that is
			dst.Close()
			*dst = gocv.NewMatWithSize(int(height), int(width), typ)
		default:
			return fmt.Errorf("cvjpeg: %s", C.GoString(&msg[0]))
		}
	}
	return errors.New("cvjpeg: no buffer of the image's size")
}

// Options are the encoder's settings.
type Options struct {
	Quality     int  // 1 to 100; 0 means 95, imencode's default
	Progressive bool // a progressive JPEG (about ten scans) instead of baseline
}

// quality is o's quality, 95 for 0 and within 1..100.
func (o Options) quality() int {
	if o.Quality == 0 {
		return 95
	}
	return min(max(o.Quality, 1), 100)
}

// Buffer is an encoded JPEG in C memory, so the bytes reach the transport
// without a copy into the Go heap. Close frees it; Bytes must not be used
// after.
type Buffer struct {
	p *C.uchar
	n int
}

// Bytes returns the JPEG, a view of C memory valid until Close.
func (b *Buffer) Bytes() []byte {
	if b == nil || b.p == nil {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(b.p)), b.n)
}

// Close frees the buffer. It may be called more than once.
func (b *Buffer) Close() {
	if b != nil && b.p != nil {
		C.free(unsafe.Pointer(b.p))
		b.p, b.n = nil, 0
	}
}

// Encode encodes a BGR (CV_8UC3) or gray (CV_8UC1) Mat. The caller closes
// the Buffer.
func Encode(m gocv.Mat, o Options) (*Buffer, error) {
	components := 3
	switch m.Type() {
	case gocv.MatTypeCV8UC3:
	case gocv.MatTypeCV8UC1:
		components = 1
	default:
		return nil, fmt.Errorf("cvjpeg: cannot encode a Mat of type %v", m.Type())
	}
	if m.Empty() {
		return nil, ErrEmpty
	}
	quality := o.quality()
	if !m.IsContinuous() { // a Region view: rows apart in its parent
		c := m.Clone()
		defer c.Close()
		m = c
	}
	pix, err := m.DataPtrUint8()
	if err != nil {
		return nil, fmt.Errorf("cvjpeg: %w", err)
	}
	progressive := 0
	if o.Progressive {
		progressive = 1
	}
	var out *C.uchar
	var n C.ulong
	var msg [C.TRYON_JPEG_MSG]C.char
	if C.tryon_jpeg_encode((*C.uchar)(unsafe.Pointer(&pix[0])), C.int(m.Cols()), C.int(m.Rows()), C.size_t(m.Cols()*components),
		C.int(components), C.int(quality), C.int(progressive), &out, &n, &msg[0]) != 0 {
		return nil, fmt.Errorf("cvjpeg: %s", C.GoString(&msg[0]))
	}
	return &Buffer{p: out, n: int(n)}, nil
}

// EncodeBytes is Encode into Go memory, for callers that keep the bytes.
func EncodeBytes(m gocv.Mat, o Options) ([]byte, error) {
	buf, err := Encode(m, o)
	if err != nil {
		return nil, err
	}
	defer buf.Close()
	return append([]byte(nil), buf.Bytes()...), nil
}

// EncodeI420 encodes a width x height I420 picture (planar Y, U, V, as
// OpenCV's ColorBGRToYUVI420 makes them: BT.601, limited range) straight
// from its planes, into Go memory: libjpeg takes YCbCr 4:2:0 as it is,
// with no BGR picture in between. Width and height must be even.
func EncodeI420(yuv []byte, width, height int, o Options) ([]byte, error) {
	if width <= 0 || height <= 0 || width%2 != 0 || height%2 != 0 || len(yuv) != width*height*3/2 {
		return nil, fmt.Errorf("cvjpeg: %d bytes are not a %dx%d I420 picture", len(yuv), width, height)
	}
	quality := o.quality()
	var out *C.uchar
	var n C.ulong
	var msg [C.TRYON_JPEG_MSG]C.char
	if C.tryon_jpeg_encode_i420((*C.uchar)(unsafe.Pointer(&yuv[0])), C.int(width), C.int(height), C.int(quality), &out, &n, &msg[0]) != 0 {
		return nil, fmt.Errorf("cvjpeg: %s", C.GoString(&msg[0]))
	}
	buf := &Buffer{p: out, n: int(n)}
	defer buf.Close()
	return append([]byte(nil), buf.Bytes()...), nil
}
