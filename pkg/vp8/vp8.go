// Package vp8 encodes and decodes VP8 video frames with libvpx, between
// BGR gocv Mats and the frames of an RTP video track, tuned for live video:
// real-time deadline, no lag, error resilience, CBR with a bitrate that can
// change every frame, key frames on request.
//
// Encoders and decoders hold C memory; Close frees it. Live counts those
// not yet closed, so tests can check a session leaves none behind.
package vp8

/*
#cgo pkg-config: vpx
#include <stdlib.h>
#include "vpx.h"
*/
import "C"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"gocv.io/x/gocv"
)

var live atomic.Int64

// Live is the number of encoders and decoders not yet closed.
func Live() int64 { return live.Load() }

const msgLen = 200

// Encoder encodes BGR pictures of one size into VP8 frames. It is not safe
// for concurrent use.
type Encoder struct {
	c             *C.tryon_vp8_encoder
	width, height int
	i420          gocv.Mat
}

// EncoderOptions are an encoder's settings.
type EncoderOptions struct {
	Bitrate          int // bits per second; default 1 Mbit/s
	KeyframeInterval int // frames at most between key frames; default 300
}

// NewEncoder returns an encoder for width x height pictures, both even.
func NewEncoder(width, height int, o EncoderOptions) (*Encoder, error) {
	if width <= 0 || height <= 0 || width%2 != 0 || height%2 != 0 {
		return nil, fmt.Errorf("vp8: cannot encode %dx%d: sides must be even and positive", width, height)
	}
	if o.Bitrate <= 0 {
		o.Bitrate = 1_000_000
	}
	if o.KeyframeInterval <= 0 {
		o.KeyframeInterval = 300
	}
	c := C.tryon_vp8_encoder_new(C.int(width), C.int(height), C.int(max(o.Bitrate/1000, 1)), C.int(o.KeyframeInterval))
	if c == nil {
		return nil, errors.New("vp8: cannot create the encoder")
	}
	live.Add(1)
	return &Encoder{c: c, width: width, height: height, i420: gocv.NewMat()}, nil
}

// Size is the size of the pictures the encoder takes.
func (e *Encoder) Size() (width, height int) { return e.width, e.height }

// SetBitrate changes the target bitrate from the next frame on.
func (e *Encoder) SetBitrate(bps int) error {
	if C.tryon_vp8_encoder_set_bitrate(e.c, C.int(max(bps/1000, 1))) != 0 {
		return fmt.Errorf("vp8: cannot set the bitrate to %d bit/s", bps)
	}
	return nil
}

// Encode encodes a BGR picture of the encoder's size, shown at pts for
// duration; keyframe forces a key frame. The frame is appended to dst.
func (e *Encoder) Encode(dst []byte, img gocv.Mat, pts, duration time.Duration, keyframe bool) (frame []byte, isKey bool, err error) {
	if img.Cols() != e.width || img.Rows() != e.height || img.Type() != gocv.MatTypeCV8UC3 {
		return dst, false, fmt.Errorf("vp8: picture %dx%d of type %v, encoder takes %dx%d BGR", img.Cols(), img.Rows(), img.Type(), e.width, e.height)
	}
	gocv.CvtColor(img, &e.i420, gocv.ColorBGRToYUVI420)
	yuv, err := e.i420.DataPtrUint8()
	if err != nil {
		return dst, false, err
	}
	var out *C.uint8_t
	var n C.size_t
	var key C.int
	var msg [msgLen]C.char
	force := C.int(0)
	if keyframe {
		force = 1
	}
	if C.tryon_vp8_encode(e.c, (*C.uint8_t)(unsafe.Pointer(&yuv[0])), C.int64_t(pts.Milliseconds()), C.int64_t(duration.Milliseconds()),
		force, &out, &n, &key, &msg[0], msgLen) != 0 {
		return dst, false, fmt.Errorf("vp8: encode: %s", C.GoString(&msg[0]))
	}
	if n > 0 {
		dst = append(dst, unsafe.Slice((*byte)(unsafe.Pointer(out)), int(n))...)
	}
	return dst, key != 0, nil
}

// Close frees the encoder. It may be called more than once.
func (e *Encoder) Close() {
	if e.c != nil {
		C.tryon_vp8_encoder_free(e.c)
		e.c = nil
		e.i420.Close()
		live.Add(-1)
	}
}

// Decoder decodes a VP8 stream's frames, in order, into BGR pictures. It
// is not safe for concurrent use.
type Decoder struct {
	c    *C.tryon_vp8_decoder
	i420 gocv.Mat
	// MaxWidth, MaxHeight and MaxPixels bound the pictures a key frame may
	// declare; a larger one is refused before libvpx allocates for it.
	MaxWidth, MaxHeight, MaxPixels int
	width, height                  int // of the stream so far; 0 before its first key frame
}

// NewDecoder returns a decoder that refuses pictures over the limits.
func NewDecoder(maxWidth, maxHeight, maxPixels int) (*Decoder, error) {
	c := C.tryon_vp8_decoder_new()
	if c == nil {
		return nil, errors.New("vp8: cannot create the decoder")
	}
	live.Add(1)
	return &Decoder{c: c, i420: gocv.NewMat(), MaxWidth: maxWidth, MaxHeight: maxHeight, MaxPixels: maxPixels}, nil
}

// ErrNoPicture is returned for a frame that gives no picture to show, and
// for inter frames before the stream's first key frame.
var ErrNoPicture = errors.New("vp8: no picture")

// ErrTooManyPixels is returned for a key frame that declares a picture over
// the decoder's limits, before libvpx allocates for it.
var ErrTooManyPixels = errors.New("vp8: picture over the limits")

// Decode decodes the next frame of the stream into dst (BGR). Every frame
// must be given, in order, even those whose picture is not wanted: the
// next ones are predicted from it.
func (d *Decoder) Decode(frame []byte, dst *gocv.Mat) error {
	if len(frame) == 0 {
		return ErrNoPicture
	}
	if w, h, ok := KeyframeSize(frame); ok {
		if w > d.MaxWidth || h > d.MaxHeight || w*h > d.MaxPixels {
			return fmt.Errorf("%w: key frame declares %dx%d; the limit is %dx%d and %d pixels", ErrTooManyPixels, w, h, d.MaxWidth, d.MaxHeight, d.MaxPixels)
		}
		if w == 0 || h == 0 {
			return fmt.Errorf("vp8: key frame declares %dx%d", w, h)
		}
		if w%2 != 0 || h%2 != 0 {
			return fmt.Errorf("vp8: key frame declares %dx%d; sides must be even", w, h)
		}
		d.width, d.height = w, h
	} else if d.width == 0 {
		return ErrNoPicture // an inter frame with nothing to predict from
	}
	var w, h C.int
	var msg [msgLen]C.char
	switch C.tryon_vp8_decode(d.c, (*C.uint8_t)(unsafe.Pointer(&frame[0])), C.size_t(len(frame)), &w, &h, &msg[0], msgLen) {
	case 0:
	case 1:
		return ErrNoPicture
	default:
		return fmt.Errorf("vp8: decode: %s", C.GoString(&msg[0]))
	}
	if int(w) != d.width || int(h) != d.height {
		return fmt.Errorf("vp8: picture %dx%d in a %dx%d stream", w, h, d.width, d.height)
	}
	rows := int(h) * 3 / 2
	if d.i420.Rows() != rows || d.i420.Cols() != int(w) {
		d.i420.Close()
		d.i420 = gocv.NewMatWithSize(rows, int(w), gocv.MatTypeCV8UC1)
	}
	yuv, err := d.i420.DataPtrUint8()
	if err != nil {
		return err
	}
	C.tryon_vp8_copy_i420(d.c, (*C.uint8_t)(unsafe.Pointer(&yuv[0])))
	gocv.CvtColor(d.i420, dst, gocv.ColorYUVToBGRIYUV)
	return nil
}

// Close frees the decoder. It may be called more than once.
func (d *Decoder) Close() {
	if d.c != nil {
		C.tryon_vp8_decoder_free(d.c)
		d.c = nil
		d.i420.Close()
		live.Add(-1)
	}
}

// KeyframeSize reads the picture size a VP8 key frame declares (RFC 6386,
// section 9.1); ok is false for an inter frame or a frame too short.
func KeyframeSize(frame []byte) (width, height int, ok bool) {
	if len(frame) < 10 || frame[0]&1 != 0 { // bit 0 of the frame tag: 0 is a key frame
		return 0, 0, false
	}
	if frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return 0, 0, false
	}
	return int(binary.LittleEndian.Uint16(frame[6:]) & 0x3fff), int(binary.LittleEndian.Uint16(frame[8:]) & 0x3fff), true
}
