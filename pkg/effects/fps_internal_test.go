package effects

import (
	"image"
	"testing"

	"gocv.io/x/gocv"
)

// The stamp cache keeps to its bytes however many values a long session
// drifts through, at the widest frames.
func TestStampCacheKeepsToItsBytes(t *testing.T) {
	img := gocv.NewMatWithSize(64, 4096, gocv.MatTypeCV8UC3)
	defer img.Close()
	for i := range 300 {
		DrawFPS(&img, float64(i)/10)
	}
	stamps.mu.Lock()
	defer stamps.mu.Unlock()
	total := 0
	for _, p := range stamps.m {
		total += len(p)
	}
	if total != stamps.bytes || total > stampCacheBytes || len(stamps.m) != len(stamps.order) {
		t.Errorf("cache of %d stamps (%d in order), %d bytes (counted %d); the cap is %d", len(stamps.m), len(stamps.order), total, stamps.bytes, stampCacheBytes)
	}
	if len(stamps.m) < 2 {
		t.Errorf("the cache holds %d stamps", len(stamps.m))
	}
}

// A stamp drawn into a region of a bigger picture (rows apart) is the
// stamp drawn on a picture of its own.
func TestDrawFPSIntoARegion(t *testing.T) {
	big := gocv.NewMatWithSize(480, 1280, gocv.MatTypeCV8UC3)
	defer big.Close()
	big.SetTo(gocv.NewScalar(50, 60, 70, 0))
	region := big.Region(image.Rect(100, 50, 740, 530-50))
	defer region.Close()
	if region.IsContinuous() {
		t.Fatal("the region is continuous")
	}
	DrawFPS(&region, 29.9)
	alone := gocv.NewMatWithSize(region.Rows(), region.Cols(), gocv.MatTypeCV8UC3)
	defer alone.Close()
	alone.SetTo(gocv.NewScalar(50, 60, 70, 0))
	DrawFPS(&alone, 29.9)
	d := gocv.NewMat()
	defer d.Close()
	gocv.AbsDiff(region, alone, &d)
	if m := d.Mean(); m.Val1+m.Val2+m.Val3 != 0 {
		t.Errorf("the stamp in a region differs from the stamp alone by %v", m)
	}
	lit := gocv.NewMat()
	defer lit.Close()
	gocv.CvtColor(region, &lit, gocv.ColorBGRToGray)
	if n := gocv.CountNonZero(lit); n == region.Rows()*region.Cols() {
		t.Error("no dark box drawn in the region")
	}
}
