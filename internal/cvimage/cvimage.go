// Package cvimage shares pixel buffers between gocv Mats and Go image types
// without copying, and frames pictures as cameras would.
package cvimage

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"

	"github.com/livetryon/server/internal/cvjpeg"
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

// ReadFile reads a JPEG or PNG file into a new BGR Mat (CV_8UC3): JPEG
// through libjpeg-turbo (cvjpeg), PNG through Go's image/png, the two
// formats the repository's media and golden images use.
func ReadFile(path string) (gocv.Mat, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return gocv.Mat{}, err
	}
	if bytes.HasPrefix(b, []byte{0xFF, 0xD8}) {
		m, err := cvjpeg.Decode(b)
		if err != nil {
			return gocv.Mat{}, fmt.Errorf("%s: %w", path, err)
		}
		return m, nil
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return gocv.Mat{}, fmt.Errorf("%s: not a JPEG, and as PNG: %w", path, err)
	}
	return FromImage(img), nil
}

// FromImage copies any image.Image into a new BGR Mat.
func FromImage(img image.Image) gocv.Mat {
	r := img.Bounds()
	pix := make([]byte, 0, r.Dx()*r.Dy()*3)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			pix = append(pix, c.B, c.G, c.R)
		}
	}
	m, err := gocv.NewMatFromBytes(r.Dy(), r.Dx(), gocv.MatTypeCV8UC3, pix)
	if err != nil { // only for a size that does not match pix, which it does
		panic(err)
	}
	return m
}

// WritePNG writes a BGR Mat as a PNG file.
func WritePNG(path string, m gocv.Mat) error {
	c := m.Clone() // continuous, even for a Region
	defer c.Close()
	if c.Type() != gocv.MatTypeCV8UC3 {
		return fmt.Errorf("cvimage: WritePNG wants CV_8UC3, got %v", c.Type())
	}
	pix, err := c.DataPtrUint8()
	if err != nil {
		return err
	}
	img := image.NewNRGBA(image.Rect(0, 0, c.Cols(), c.Rows()))
	for i, o := 0, 0; i+2 < len(pix); i, o = i+3, o+4 {
		img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = pix[i+2], pix[i+1], pix[i], 0xFF
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
