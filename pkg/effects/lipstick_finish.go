package effects

import (
	"image"
	"math"

	"github.com/livetryon/server/pkg/landmarks"
)

// finish tints the lips through mask m (over roi) in the matte, gloss or
// shimmer finish. Satin is Lipstick.applyFace's own loop.
func (l Lipstick) finish(px []uint8, stride int, m []uint8, roi image.Rectangle, pts *landmarks.Shape) {
	w, h := roi.Dx(), roi.Dy()
	strength := math.Min(l.Strength, 1)
	c := rgbOf(l.Color)

	// The lips' own light: the mean and the top of their luminance, so a
	// gloss's highlights sit where the lips already catch the light, as
	// bright as that light allows, on any camera exposure.
	var sum, wsum, top float64
	for y := 0; y < h; y++ {
		row := px[(roi.Min.Y+y)*stride+roi.Min.X*3:]
		for x := 0; x < w; x++ {
			if mv := m[y*w+x]; mv > 200 {
				yv := pixel(row[3*x:]).luma()
				sum += yv
				wsum++
				top = math.Max(top, yv)
			}
		}
	}
	if wsum == 0 {
		return
	}
	mean := sum / wsum
	spread := math.Max(top-mean, 0.04)
	// Sparkle is seeded by the position relative to the mouth's corner, so
	// it moves with the lips and a frame always looks the same.
	corner := pts[48]
	mouthW := math.Max(1, float64(pts[54].X-pts[48].X))

	for y := 0; y < h; y++ {
		row := px[(roi.Min.Y+y)*stride+roi.Min.X*3:]
		for x := 0; x < w; x++ {
			mv := m[y*w+x]
			if mv == 0 {
				continue
			}
			p := row[3*x : 3*x+3 : 3*x+3]
			base := pixel(p)
			yv := base.luma()
			a := strength * float64(mv) / 255
			var target rgb
			switch l.Finish {
			case FinishMatte:
				// Flat, velvety: the shading is compressed and the lips'
				// own highlights are taken down.
				shade := 0.62 + 0.45*math.Min(yv, mean+0.08)
				target = rgb{c.B * shade, c.G * shade, c.R * shade}
				a = math.Min(1, a*1.1)
			case FinishGloss:
				shade := 0.35 + 0.9*yv
				target = rgb{c.B * shade, c.G * shade, c.R * shade}
				// Highlights where the lips are brighter than their mean,
				// sharpened toward their brightest, whitish but tinted.
				hl := smoothstep(0.25, 1, (yv-mean)/spread)
				hl *= hl
				glow := mixRGB(c, rgb{1, 1, 1}, 0.8)
				target = mixRGB(target, glow, 0.85*hl)
				// A wet lip is a touch brighter all over.
				target = mixRGB(target, glow, 0.06)
			case FinishShimmer:
				shade := 0.4 + 0.85*yv
				target = rgb{c.B * shade, c.G * shade, c.R * shade}
				// A pearly sheen, then sparse fine glints on the lit parts.
				target = mixRGB(target, mixRGB(c, rgb{1, 1, 1}, 0.6), 0.12*smoothstep(mean-spread, top, yv))
				gx := int(math.Floor(float64(roi.Min.X+x-corner.X) * 120 / mouthW))
				gy := int(math.Floor(float64(roi.Min.Y+y-corner.Y) * 120 / mouthW))
				if v := sparkle(gx, gy); v > 0 {
					lit := 0.45 + 0.55*smoothstep(mean-spread, top, yv)
					target = mixRGB(target, rgb{0.92, 0.97, 1}, 0.75*v*lit)
				}
			}
			put(p, base, target, a)
		}
	}
}

// sparkle is 0 for most cells of a fine grid and 0.5..1 for about one in
// twenty, from a hash of the cell: a fixed, random-looking scatter.
func sparkle(x, y int) float64 {
	h := uint32(x)*0x9E3779B1 ^ uint32(y)*0x85EBCA77
	h ^= h >> 15
	h *= 0x2C1B3C6D
	h ^= h >> 12
	if h%20 != 0 {
		return 0
	}
	return 0.5 + 0.5*float64((h>>8)&0xff)/255
}
