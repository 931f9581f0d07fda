package effects

import (
	"image/color"
	"math"
)

// Rectangular: bold black rims around rounded-rectangle clear lenses.
func init() {
	registerGlasses(GlassesStyle{
		Name:       "rectangular",
		Lens:       roundedRect(0.40, 0.25, 0.09, 12),
		LensCentre: point{0.52, 0.04},
		Frame:      color.RGBA{R: 0x14, G: 0x14, B: 0x16, A: 0xff},
		Tint:       color.RGBA{R: 0xd8, G: 0xe8, B: 0xf0, A: 0x18},
		Thickness:  0.07,
	})
}

// roundedRect samples a rectangle of half-width hw and half-height hh with
// corners of radius r, n points per corner.
func roundedRect(hw, hh, r float64, n int) []point {
	corners := []struct{ cx, cy, start float64 }{
		{hw - r, hh - r, 0}, {-hw + r, hh - r, math.Pi / 2}, {-hw + r, -hh + r, math.Pi}, {hw - r, -hh + r, 3 * math.Pi / 2},
	}
	var pts []point
	for _, c := range corners {
		for i := 0; i <= n; i++ {
			t := c.start + math.Pi/2*float64(i)/float64(n)
			pts = append(pts, point{c.cx + r*math.Cos(t), c.cy + r*math.Sin(t)})
		}
	}
	return pts
}
