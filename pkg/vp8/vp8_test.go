package vp8_test

import (
	"errors"
	"image"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvimage"
	"github.com/livetryon/server/internal/frameid"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/vp8"
)

// clip is n 640x480 pictures of the portrait, panning, each with its
// number stamped in its pixels.
func clip(t testing.TB, n int) []gocv.Mat {
	t.Helper()
	src, err := cvimage.ReadFile(testmedia.Path("obama-480p.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	out := make([]gocv.Mat, n)
	for i := range out {
		x := 40 + i*2
		region := src.Region(image.Rect(x, 0, x+640, 480))
		out[i] = region.Clone()
		region.Close()
		frameid.Stamp(&out[i], i)
	}
	t.Cleanup(func() {
		for _, m := range out {
			m.Close()
		}
	})
	return out
}

func meanAbsDiff(a, b gocv.Mat) float64 {
	d := gocv.NewMat()
	defer d.Close()
	gocv.AbsDiff(a, b, &d)
	m := d.Mean()
	return (m.Val1 + m.Val2 + m.Val3) / 3
}

func TestRoundTrip(t *testing.T) {
	pics := clip(t, 30)
	enc, err := vp8.NewEncoder(640, 480, vp8.EncoderOptions{Bitrate: 2_000_000})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	dec, err := vp8.NewDecoder(1920, 1920, 1920*1080)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	out := gocv.NewMat()
	defer out.Close()
	var total int
	for i, pic := range pics {
		frame, key, err := enc.Encode(nil, pic, time.Duration(i)*time.Second/30, time.Second/30, false)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if !key {
				t.Error("the first frame is not a key frame")
			}
			if w, h, ok := vp8.KeyframeSize(frame); !ok || w != 640 || h != 480 {
				t.Errorf("key frame declares %dx%d (ok %v)", w, h, ok)
			}
		} else if key {
			t.Errorf("frame %d is a key frame unasked", i)
		}
		total += len(frame)
		if err := dec.Decode(frame, &out); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if id, ok := frameid.ReadImage(out); !ok || id != i {
			t.Errorf("frame %d: read back id %d (ok %v)", i, id, ok)
		}
		if d := meanAbsDiff(out, pic); d > 6 {
			t.Errorf("frame %d: mean difference %.2f levels after a round trip", i, d)
		}
	}
	t.Logf("30 frames at 2 Mbit/s target: %d bytes, %.0f kbit/s at 30 fps", total, float64(total)*8*30/30/1000)

	frame, key, err := enc.Encode(nil, pics[0], time.Second, time.Second/30, true)
	if err != nil || !key {
		t.Errorf("a forced key frame: key %v, err %v", key, err)
	}
	if _, _, ok := vp8.KeyframeSize(frame); !ok {
		t.Error("a forced key frame has no key frame header")
	}
}

// A lower bitrate gives smaller frames, from the frame it is set on.
func TestSetBitrate(t *testing.T) {
	pics := clip(t, 60)
	enc, err := vp8.NewEncoder(640, 480, vp8.EncoderOptions{Bitrate: 3_000_000})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	var high, low int
	for i, pic := range pics {
		if i == 30 {
			if err := enc.SetBitrate(150_000); err != nil {
				t.Fatal(err)
			}
		}
		frame, _, err := enc.Encode(nil, pic, time.Duration(i)*time.Second/30, time.Second/30, false)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case i >= 10 && i < 30:
			high += len(frame)
		case i >= 40:
			low += len(frame)
		}
	}
	t.Logf("20 frames at 3 Mbit/s: %d bytes; at 150 kbit/s: %d bytes", high, low)
	if low*3 > high {
		t.Errorf("at 150 kbit/s the frames took %d bytes, against %d at 3 Mbit/s", low, high)
	}
}

func TestEncoderRefusesOtherSizes(t *testing.T) {
	if _, err := vp8.NewEncoder(641, 480, vp8.EncoderOptions{}); err == nil {
		t.Error("an odd width was accepted")
	}
	enc, err := vp8.NewEncoder(320, 240, vp8.EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	pic := clip(t, 1)[0]
	if _, _, err := enc.Encode(nil, pic, 0, time.Second/30, false); err == nil {
		t.Error("a 640x480 picture was encoded by a 320x240 encoder")
	}
}

// Bad streams are refused with an error: a key frame over the limits
// (before libvpx allocates for it), an inter frame before any key frame,
// garbage, a key frame cut short.
func TestDecoderRefusesBadFrames(t *testing.T) {
	enc, err := vp8.NewEncoder(640, 480, vp8.EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	pics := clip(t, 2)
	key, _, _ := enc.Encode(nil, pics[0], 0, time.Second/30, false)
	inter, _, _ := enc.Encode(nil, pics[1], time.Second/30, time.Second/30, false)

	huge := append([]byte(nil), key...)
	huge[6], huge[7], huge[8], huge[9] = 0xff, 0x3f, 0xff, 0x3f // 16383x16383
	garbage := append([]byte{key[0], key[1], key[2], 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01}, make([]byte, 200)...)

	out := gocv.NewMat()
	defer out.Close()
	for name, c := range map[string]struct {
		frames [][]byte
		small  bool // a decoder limited to 320x240
	}{
		"over the limits":      {frames: [][]byte{key}, small: true},
		"16383x16383":          {frames: [][]byte{huge}},
		"inter before key":     {frames: [][]byte{inter}},
		"garbage after header": {frames: [][]byte{garbage}},
		"key frame cut short":  {frames: [][]byte{key[:len(key)/3]}},
		"empty":                {frames: [][]byte{{}}},
		"inter after bad key":  {frames: [][]byte{huge, inter}},
		"one byte":             {frames: [][]byte{{0x00}}},
	} {
		max := 1920
		if c.small {
			max = 320
		}
		dec, err := vp8.NewDecoder(max, max, max*max)
		if err != nil {
			t.Fatal(err)
		}
		var last error
		for _, f := range c.frames {
			last = dec.Decode(f, &out)
		}
		if last == nil {
			t.Errorf("%s: decoded", name)
		} else {
			t.Logf("%s: %v", name, last)
		}
		dec.Close()
	}
	// After all that, a good stream still decodes.
	dec, _ := vp8.NewDecoder(1920, 1920, 1920*1080)
	defer dec.Close()
	if err := dec.Decode(key, &out); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(inter, &out); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(dec.Decode(nil, &out), vp8.ErrNoPicture) {
		t.Error("an empty frame is not ErrNoPicture")
	}
}

func TestLiveCount(t *testing.T) {
	before := vp8.Live()
	enc, _ := vp8.NewEncoder(320, 240, vp8.EncoderOptions{})
	dec, _ := vp8.NewDecoder(640, 480, 640*480)
	if got := vp8.Live(); got != before+2 {
		t.Errorf("Live %d with two open, want %d", got, before+2)
	}
	enc.Close()
	enc.Close()
	dec.Close()
	dec.Close()
	if got := vp8.Live(); got != before {
		t.Errorf("Live %d after closing, want %d", got, before)
	}
}

func BenchmarkEncode(b *testing.B) {
	pics := clip(b, 30)
	enc, err := vp8.NewEncoder(640, 480, vp8.EncoderOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()
	var buf []byte
	i := 0
	for b.Loop() {
		buf, _, err = enc.Encode(buf[:0], pics[i%len(pics)], time.Duration(i)*time.Second/30, time.Second/30, false)
		if err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkDecode(b *testing.B) {
	pics := clip(b, 30)
	enc, _ := vp8.NewEncoder(640, 480, vp8.EncoderOptions{KeyframeInterval: 30})
	defer enc.Close()
	frames := make([][]byte, len(pics))
	for i, p := range pics {
		frames[i], _, _ = enc.Encode(nil, p, time.Duration(i)*time.Second/30, time.Second/30, false)
	}
	dec, _ := vp8.NewDecoder(1920, 1920, 1920*1080)
	defer dec.Close()
	out := gocv.NewMat()
	defer out.Close()
	i := 0
	for b.Loop() {
		if err := dec.Decode(frames[i%len(frames)], &out); err != nil && i%len(frames) != 0 {
			b.Fatal(err)
		}
		i++
	}
}
