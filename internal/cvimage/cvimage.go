// Package cvimage shares pixel buffers between gocv Mats and Go image types
// without copying.
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
