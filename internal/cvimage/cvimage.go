// Package cvimage shares pixel buffers between gocv Mats and Go image types
// without copying, and frames pictures as cameras would.
package cvimage

import (
	"fmt"
	"image"

	"gocv.io/x/gocv"
)

// Gray returns an *image.Gray whose Pix is the Mat's own buffer. The Mat
// must be continuous, 8-bit, single-channel, and outlive the returned image.
func Gray(m gocv.Mat) (*image.Gray, error) {
	if m.Empty() || m.Type() != gocv.MatTypeCV8UC1 || !m.IsContinuous() {
		return nil, fmt.Errorf("cvimage: want continuous CV_8UC1 Mat, got type %v", m.Type())
	}
	pix, err := m.DataPtrUint8()
	if err != nil {
		return nil, fmt.Errorf("cvimage: %w", err)
	}
	return &image.Gray{Pix: pix, Stride: m.Cols(), Rect: image.Rect(0, 0, m.Cols(), m.Rows())}, nil
}

// CameraFrame frames src as a camera of the given size would: the largest
// centred region of its aspect, scaled to it, so a face keeps its share of
// the frame's width. The caller closes the result.
func CameraFrame(src gocv.Mat, size image.Point) gocv.Mat {
	w, h := src.Cols(), src.Rows()
	if w*size.Y > h*size.X { // src is wider: crop its sides
		w = h * size.X / size.Y
	} else {
		h = w * size.Y / size.X
	}
	x, y := (src.Cols()-w)/2, (src.Rows()-h)/2
	region := src.Region(image.Rect(x, y, x+w, y+h))
	defer region.Close()
	out := gocv.NewMat()
	interp := gocv.InterpolationArea
	if size.X > w {
		interp = gocv.InterpolationCubic
	}
	gocv.Resize(region, &out, size, 0, 0, interp)
	return out
}
