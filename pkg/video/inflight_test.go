package video

import "testing"

// Pictures in flight are bounded by count as well as bytes: a 2x2 clip's
// 64 MiB would otherwise be millions of pictures (and as many channel
// slots, Mats and queue places).
func TestInFlightCountsPictures(t *testing.T) {
	for _, c := range []struct {
		name          string
		width, height int
		want          int
	}{
		{"2x2", 2, 2, MaxInFlight},
		{"640x360", 640, 360, 64 << 20 / (640 * 360 * 3 / 2 * 3)},
		{"1920x1080", 1920, 1080, 7},
		{"4096x4096", 4096, 4096, 4},
	} {
		if got := inFlight(DefaultBufferBytes, c.width*c.height*3/2); got != c.want {
			t.Errorf("%s: %d pictures in flight, want %d", c.name, got, c.want)
		}
	}
}
