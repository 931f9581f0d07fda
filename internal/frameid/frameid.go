// Package frameid stamps a frame number into an image's pixels and reads it
// back from the processed image, so a load generator can match answers to
// frames even with a server whose protocol carries no id.
//
// The number is 10 bits plus a parity bit, drawn as 11 black or white
// squares of 16x16 pixels along the bottom-left edge, where no effect draws.
// Squares that size survive JPEG at quality 0.5 and can be read from a
// quarter-size decode, which libjpeg does at a fraction of the cost.
package frameid

import (
	"image"
	"image/color"

	"github.com/livetryon/server/internal/cvjpeg"
	"gocv.io/x/gocv"
)

const (
	// Bits is how many bits of the frame number are stamped; numbers repeat
	// every 1<<Bits frames.
	Bits  = 10
	block = 16
	// Modulo is the number of distinct stamps.
	Modulo = 1 << Bits
)

// Stamp draws id mod Modulo into img (BGR, at least 176x16).
func Stamp(img *gocv.Mat, id int) {
	id %= Modulo
	y := img.Rows() - block
	parity := 0
	for i := 0; i <= Bits; i++ {
		bit := 0
		if i < Bits {
			bit = (id >> i) & 1
			parity ^= bit
		} else {
			bit = parity
		}
		c := color.RGBA{0, 0, 0, 0}
		if bit == 1 {
			c = color.RGBA{255, 255, 255, 0}
		}
		gocv.Rectangle(img, image.Rect(i*block, y, (i+1)*block, y+block), c, -1)
	}
}

// Read decodes the stamp from a JPEG. ok is false if the parity does not
// match, i.e. the image carries no stamp or a damaged one.
func Read(jpg []byte) (id int, ok bool) {
	// A quarter-size gray decode: 4x4 pixels a square, about 0.3 ms at 640x480.
	m, err := cvjpeg.DecodeGray(jpg, 4)
	if err != nil || m.Empty() {
		return 0, false
	}
	defer m.Close()
	return readGray(m, block/4)
}

// ReadImage decodes the stamp from a BGR picture, as a video decoder gives.
func ReadImage(img gocv.Mat) (id int, ok bool) {
	if img.Empty() || img.Type() != gocv.MatTypeCV8UC3 {
		return 0, false
	}
	gray := gocv.NewMat()
	defer gray.Close()
	gocv.CvtColor(img, &gray, gocv.ColorBGRToGray)
	return readGray(gray, block)
}

// readGray reads the stamp from a gray picture whose squares are b pixels.
func readGray(m gocv.Mat, b int) (id int, ok bool) {
	if m.Cols() < (Bits+1)*b || m.Rows() < b {
		return 0, false
	}
	y := m.Rows() - b/2 - 1
	parity := 0
	for i := 0; i <= Bits; i++ {
		x := i*b + b/2
		v := (int(m.GetUCharAt(y, x)) + int(m.GetUCharAt(y, x-1)) + int(m.GetUCharAt(y-1, x)) + int(m.GetUCharAt(y-1, x-1))) / 4
		bit := 0
		if v >= 128 {
			bit = 1
		}
		if i < Bits {
			id |= bit << i
			parity ^= bit
		} else if bit != parity {
			return 0, false
		}
	}
	return id, true
}
