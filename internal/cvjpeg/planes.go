package cvjpeg

/*
#include <stdlib.h>
#include "jpeg.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"unsafe"

	"gocv.io/x/gocv"
)

// Planes is a picture as a JPEG camera frame stores it: YCbCr 4:2:0 in
// JFIF's full range, Y (a gray picture, BT.601's luma, as OpenCV's
// BGR-to-gray makes it) at full size and Cb and Cr at half size each way.
//
// A live frame is decoded to its planes, so its gray picture for the face
// search costs nothing and no BGR picture is made of the whole frame: only
// the parts the effects draw on are converted to BGR (ToBGR) and back
// (FromBGR), and the frame is encoded from its planes. At 1280x720 that
// is 1.46 ms to decode instead of 2.44 with the gray conversion, and 1.39
// to encode instead of 1.82 (BenchmarkPlanes720p, docs/BENCHMARKS.md).
type Planes struct {
	Y, Cb, Cr gocv.Mat // CV_8UC1, rows packed
}

// ErrNotPlanar is DecodePlanes' answer for a JPEG it does not take as
// planes: not YCbCr 4:2:0, a width not a multiple of 16, an odd height,
// or an EXIF orientation to apply. Decode takes all of them.
var ErrNotPlanar = errors.New("cvjpeg: not a 4:2:0 picture of whole blocks")

// DecodePlanes decodes b into p's planes, reused when they have its size.
func DecodePlanes(b []byte, p *Planes) error {
	if len(b) == 0 {
		return ErrEmpty
	}
	if Orientation(b) > 1 {
		return ErrNotPlanar
	}
	var msg [C.TRYON_JPEG_MSG]C.char
	for try := 0; try < 2; try++ {
		var y, cb, cr *C.uchar
		width, height := C.int(0), C.int(0)
		if p.sized() {
			y, cb, cr = data(p.Y), data(p.Cb), data(p.Cr)
			width, height = C.int(p.Y.Cols()), C.int(p.Y.Rows())
		}
		rc := C.tryon_jpeg_decode_yuv420((*C.uchar)(unsafe.Pointer(&b[0])), C.size_t(len(b)), y, cb, cr, &width, &height, &msg[0])
		switch rc {
		case 0:
			return nil
		case 1:
			p.resize(int(width), int(height))
		case 2:
			return ErrNotPlanar
		default:
			return fmt.Errorf("cvjpeg: %s", C.GoString(&msg[0]))
		}
	}
	return errors.New("cvjpeg: no planes of the image's size")
}

// sized reports whether p holds planes of one picture's sizes.
func (p *Planes) sized() bool {
	for _, m := range []gocv.Mat{p.Y, p.Cb, p.Cr} {
		if m.Ptr() == nil || m.Empty() || m.Type() != gocv.MatTypeCV8UC1 || !m.IsContinuous() {
			return false
		}
	}
	w, h := p.Y.Cols(), p.Y.Rows()
	return w%2 == 0 && h%2 == 0 && p.Cb.Cols() == w/2 && p.Cb.Rows() == h/2 && p.Cr.Cols() == w/2 && p.Cr.Rows() == h/2
}

func (p *Planes) resize(w, h int) {
	p.Close()
	p.Y = gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC1)
	p.Cb = gocv.NewMatWithSize(h/2, w/2, gocv.MatTypeCV8UC1)
	p.Cr = gocv.NewMatWithSize(h/2, w/2, gocv.MatTypeCV8UC1)
}

// Close frees the planes.
func (p *Planes) Close() {
	for _, m := range []*gocv.Mat{&p.Y, &p.Cb, &p.Cr} {
		if m.Ptr() != nil {
			m.Close()
		}
		*m = gocv.Mat{}
	}
}

func data(m gocv.Mat) *C.uchar {
	b, err := m.DataPtrUint8()
	if err != nil || len(b) == 0 {
		return nil
	}
	return (*C.uchar)(unsafe.Pointer(&b[0]))
}

// Size is the picture's size.
func (p *Planes) Size() image.Point { return image.Pt(p.Y.Cols(), p.Y.Rows()) }

// Blocks is r grown to whole 2x2 chroma blocks and cut to the picture:
// what ToBGR and FromBGR convert for r.
func (p *Planes) Blocks(r image.Rectangle) image.Rectangle {
	r.Min.X, r.Min.Y = r.Min.X&^1, r.Min.Y&^1
	r.Max.X, r.Max.Y = (r.Max.X+1)&^1, (r.Max.Y+1)&^1
	return r.Intersect(image.Rectangle{Max: p.Size()})
}

// ToBGR writes the BGR pixels of r (grown to whole 2x2 blocks) into bgr,
// a continuous CV_8UC3 Mat of the planes' size; the rest of bgr is left
// as it was.
func (p *Planes) ToBGR(bgr *gocv.Mat, r image.Rectangle) error {
	if err := p.check(*bgr); err != nil {
		return err
	}
	if r = p.Blocks(r); r.Empty() {
		return nil
	}
	C.tryon_yuv420_to_bgr(data(p.Y), data(p.Cb), data(p.Cr), C.int(p.Y.Cols()),
		C.int(r.Min.X), C.int(r.Min.Y), C.int(r.Max.X), C.int(r.Max.Y), data(*bgr), C.size_t(bgr.Cols()*3))
	return nil
}

// FromBGR writes r (grown to whole 2x2 blocks) of bgr back into the
// planes.
func (p *Planes) FromBGR(bgr gocv.Mat, r image.Rectangle) error {
	if err := p.check(bgr); err != nil {
		return err
	}
	if r = p.Blocks(r); r.Empty() {
		return nil
	}
	C.tryon_bgr_to_yuv420(data(bgr), C.size_t(bgr.Cols()*3), C.int(p.Y.Cols()),
		C.int(r.Min.X), C.int(r.Min.Y), C.int(r.Max.X), C.int(r.Max.Y), data(p.Y), data(p.Cb), data(p.Cr))
	return nil
}

func (p *Planes) check(bgr gocv.Mat) error {
	if !p.sized() {
		return errors.New("cvjpeg: no planes")
	}
	if bgr.Ptr() == nil || bgr.Type() != gocv.MatTypeCV8UC3 || !bgr.IsContinuous() || bgr.Cols() != p.Y.Cols() || bgr.Rows() != p.Y.Rows() {
		return fmt.Errorf("cvjpeg: want a continuous %dx%d BGR Mat", p.Y.Cols(), p.Y.Rows())
	}
	return nil
}

// EncodePlanes encodes the planes, as Encode does a BGR Mat: libjpeg
// takes them as they are, with no colour conversion or downsampling.
func EncodePlanes(p *Planes, o Options) (*Buffer, error) {
	if !p.sized() {
		return nil, errors.New("cvjpeg: no planes")
	}
	if o.Progressive {
		return nil, errors.New("cvjpeg: planes are encoded baseline only")
	}
	quality := o.quality()
	var out *C.uchar
	var n C.ulong
	var msg [C.TRYON_JPEG_MSG]C.char
	if C.tryon_jpeg_encode_yuv420(data(p.Y), data(p.Cb), data(p.Cr), C.int(p.Y.Cols()), C.int(p.Y.Rows()),
		C.int(quality), &out, &n, &msg[0]) != 0 {
		return nil, fmt.Errorf("cvjpeg: %s", C.GoString(&msg[0]))
	}
	return &Buffer{p: out, n: int(n)}, nil
}
