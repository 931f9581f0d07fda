package effects

import (
	"image"
	"image/color"
	"strconv"

	"gocv.io/x/gocv"
)

// DrawFPS stamps "FPS 14.9" in the top-left corner, white on a dark box so
// it reads on any background. The text scales with the frame's width.
func DrawFPS(img *gocv.Mat, fps float64) {
	if img.Empty() {
		return
	}
	text := "FPS " + strconv.FormatFloat(fps, 'f', 1, 64)
	scale := max(0.4, float64(img.Cols())/900)
	thickness := max(1, int(scale*2))
	size, baseline := gocv.GetTextSizeWithBaseline(text, gocv.FontHersheySimplex, scale, thickness)
	pad := int(6 * scale)
	box := image.Rect(0, 0, size.X+2*pad, size.Y+baseline+2*pad).Intersect(image.Rect(0, 0, img.Cols(), img.Rows()))
	gocv.Rectangle(img, box, color.RGBA{0, 0, 0, 0}, -1)
	gocv.PutTextWithParams(img, text, image.Pt(pad, pad+size.Y), gocv.FontHersheySimplex, scale,
		color.RGBA{255, 255, 255, 0}, thickness, gocv.LineAA, false)
}
