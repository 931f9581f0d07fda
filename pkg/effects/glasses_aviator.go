package effects

import (
	"image/color"
	"math"
)

// Aviator: thin gold rims around teardrop lenses tinted dark green-grey.
func init() {
	registerGlasses(GlassesStyle{
		Name:       "aviator",
		Lens:       teardrop(0.42, 0.22, 0.40, 64),
		LensCentre: point{0.52, 0.06},
		Frame:      color.RGBA{R: 0xc8, G: 0xa2, B: 0x4a, A: 0xff},
		Tint:       color.RGBA{R: 0x28, G: 0x34, B: 0x2c, A: 0xc0},
		Thickness:  0.03,
	})
}

// teardrop is an outline with a flat-ish top of half-height top and a
// bulging bottom of depth bottom, its low point pulled toward the nose.
func teardrop(hw, top, bottom float64, n int) []point {
	pts := make([]point, n)
	for i := range pts {
		t := 2 * math.Pi * float64(i) / float64(n)
		x, y := hw*math.Cos(t), math.Sin(t)
		if y > 0 {
			y *= bottom
			x -= 0.10 * y / bottom * (1 - math.Cos(t)) / 2 // toward the nose (x < 0)
		} else {
			y *= top
		}
		pts[i] = point{x, y}
	}
	return pts
}
