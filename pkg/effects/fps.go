package effects

import (
	"image"
	"image/color"
	"strconv"
	"sync"

	"gocv.io/x/gocv"
)

// DrawFPS stamps "FPS 14.9" in the top-left corner, white on a dark box so
// it reads on any background. The text scales with the frame's width.
//
// A stamp is drawn once for its frame width and text and then copied:
// OpenCV's antialiased text cost 94 us a frame at 1280x720, and a live
// session's stamp takes a few dozen values. The box holds the whole text,
// its antialiased edge included, so a stamp does not depend on the picture
// under it.
func DrawFPS(img *gocv.Mat, fps float64) {
	if img.Empty() || img.Type() != gocv.MatTypeCV8UC3 {
		return
	}
	size := image.Pt(img.Cols(), img.Rows())
	st := fpsStampFor(size.X, fps)
	patch := stamps.get(st)
	box := st.box.Intersect(image.Rectangle{Max: size})
	w := st.box.Dx() * 3
	if !img.IsContinuous() { // a Region view: rows apart in its parent
		src, err := gocv.NewMatFromBytes(st.box.Dy(), st.box.Dx(), gocv.MatTypeCV8UC3, patch)
		if err != nil {
			return
		}
		part, dst := src.Region(box), img.Region(box)
		part.CopyTo(&dst)
		dst.Close()
		part.Close()
		src.Close()
		return
	}
	px, err := img.DataPtrUint8()
	if err != nil {
		return
	}
	for y := box.Min.Y; y < box.Max.Y; y++ {
		copy(px[y*size.X*3:][:box.Dx()*3], patch[y*w:][:box.Dx()*3])
	}
}

// FPSArea is the part of a picture of size that DrawFPS draws on.
func FPSArea(size image.Point, fps float64) image.Rectangle {
	return fpsStampFor(size.X, fps).box.Intersect(image.Rectangle{Max: size})
}

type fpsStamp struct {
	width     int // the frame's, which sets the scale
	text      string
	scale     float64
	thickness int
	box       image.Rectangle
	origin    image.Point
}

func fpsStampFor(frameWidth int, fps float64) fpsStamp {
	st := fpsStamp{width: frameWidth, text: "FPS " + strconv.FormatFloat(fps, 'f', 1, 64), scale: max(0.4, float64(frameWidth)/900)}
	st.thickness = max(1, int(st.scale*2))
	text, baseline := gocv.GetTextSizeWithBaseline(st.text, gocv.FontHersheySimplex, st.scale, st.thickness)
	// The padding, and room for the stroke's antialiased edge, which
	// passes the size OpenCV gives for the text.
	pad := int(6*st.scale) + st.thickness + 1
	st.box = image.Rect(0, 0, text.X+2*pad, text.Y+baseline+2*pad)
	st.origin = image.Pt(pad, pad+text.Y)
	return st
}

// stampCache holds rendered stamps, BGR rows packed, in Go memory: at
// most stampCacheBytes of them, the oldest dropped first. A 1280-wide
// frame's stamp is about 50 KB, a 4096-wide one's about 500 KB; a
// session's rate takes a few dozen values, and a long one drifts through
// more.
type stampCache struct {
	mu    sync.Mutex
	m     map[stampKey][]byte
	order []stampKey
	bytes int
}

type stampKey struct {
	width int
	text  string
}

const stampCacheBytes = 4 << 20

var stamps = stampCache{m: map[stampKey][]byte{}}

func (c *stampCache) get(st fpsStamp) []byte {
	key := stampKey{st.width, st.text}
	c.mu.Lock()
	patch, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return patch
	}
	patch = renderStamp(st)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; !ok {
		for len(c.order) > 0 && c.bytes+len(patch) > stampCacheBytes {
			c.bytes -= len(c.m[c.order[0]])
			delete(c.m, c.order[0])
			c.order = append(c.order[:0], c.order[1:]...)
		}
		c.m[key] = patch
		c.order = append(c.order, key)
		c.bytes += len(patch)
	}
	return patch
}

// renderStamp draws a stamp with OpenCV: its box filled dark, the text
// white on it.
func renderStamp(st fpsStamp) []byte {
	m := gocv.NewMatWithSize(st.box.Dy(), st.box.Dx(), gocv.MatTypeCV8UC3)
	defer m.Close()
	m.SetTo(gocv.NewScalar(0, 0, 0, 0))
	gocv.PutTextWithParams(&m, st.text, st.origin, gocv.FontHersheySimplex, st.scale,
		color.RGBA{255, 255, 255, 0}, st.thickness, gocv.LineAA, false)
	px, err := m.DataPtrUint8()
	if err != nil {
		return make([]byte, st.box.Dx()*st.box.Dy()*3)
	}
	return append([]byte(nil), px...)
}
