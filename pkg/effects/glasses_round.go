package effects

import "image/color"

// Round: thin dark-tortoise rims around circular clear lenses.
func init() {
	registerGlasses(GlassesStyle{
		Name:       "round",
		Lens:       ellipse(0.34, 0.34, 64),
		LensCentre: point{0.5, 0.03},
		Frame:      color.RGBA{R: 0x3a, G: 0x24, B: 0x18, A: 0xff},
		Tint:       color.RGBA{R: 0xd8, G: 0xe8, B: 0xf0, A: 0x18},
		Thickness:  0.045,
	})
}
