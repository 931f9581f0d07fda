package watch

import (
	"image"
	"image/color"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
)

// endedText is written across a stream's last frame when its session ends.
const endedText = "Session ended"

// endedFrame is last, darkened, with endedText across it, as a JPEG; a
// plain dark frame when last is nil or does not decode. It is made once
// per ended stream, only when someone watches.
func endedFrame(last []byte) []byte {
	img := gocv.NewMat()
	defer img.Close()
	if last != nil {
		if m, err := cvjpeg.Decode(last); err == nil {
			img.Close()
			img = m
		}
	}
	if img.Empty() {
		img.Close()
		img = gocv.NewMatWithSizeFromScalar(gocv.NewScalar(24, 24, 24, 0), 360, 640, gocv.MatTypeCV8UC3)
	}
	gocv.ConvertScaleAbs(img, &img, 0.3, 0)
	scale := max(0.6, float64(img.Cols())/700)
	thickness := max(1, int(scale*2))
	size := gocv.GetTextSize(endedText, gocv.FontHersheySimplex, scale, thickness)
	at := image.Pt((img.Cols()-size.X)/2, (img.Rows()+size.Y)/2)
	gocv.PutTextWithParams(&img, endedText, at, gocv.FontHersheySimplex, scale,
		color.RGBA{255, 255, 255, 0}, thickness, gocv.LineAA, false)
	jpg, err := cvjpeg.EncodeBytes(img, cvjpeg.Options{Quality: 80})
	if err != nil {
		return last
	}
	return jpg
}
