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
	st := fpsStampFor(image.Pt(img.Cols(), img.Rows()), fps)
	gocv.Rectangle(img, st.box, color.RGBA{0, 0, 0, 0}, -1)
	gocv.PutTextWithParams(img, st.text, st.origin, gocv.FontHersheySimplex, st.scale,
		color.RGBA{255, 255, 255, 0}, st.thickness, gocv.LineAA, false)
}

// FPSArea is the part of a picture of size that DrawFPS draws on: its box,
// and the stroke's width around it, where the text's antialiased edge may
// pass the size OpenCV gives for it.
func FPSArea(size image.Point, fps float64) image.Rectangle {
	st := fpsStampFor(size, fps)
	return st.box.Inset(-st.thickness - 1).Intersect(image.Rectangle{Max: size})
}

type fpsStamp struct {
	text      string
	scale     float64
	thickness int
	box       image.Rectangle
	origin    image.Point
}

func fpsStampFor(size image.Point, fps float64) fpsStamp {
	st := fpsStamp{text: "FPS " + strconv.FormatFloat(fps, 'f', 1, 64), scale: max(0.4, float64(size.X)/900)}
	st.thickness = max(1, int(st.scale*2))
	text, baseline := gocv.GetTextSizeWithBaseline(st.text, gocv.FontHersheySimplex, st.scale, st.thickness)
	pad := int(6 * st.scale)
	st.box = image.Rect(0, 0, text.X+2*pad, text.Y+baseline+2*pad).Intersect(image.Rectangle{Max: size})
	st.origin = image.Pt(pad, pad+text.Y)
	return st
}
