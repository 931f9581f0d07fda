package pipeline_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/frameid"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/vp8"
)

// vp8Encoder is the pipeline.Encoder a WebRTC session uses, at its
// simplest: one encoder, made for the first picture's size.
type vp8Encoder struct {
	enc   *vp8.Encoder
	start time.Time
}

func (v *vp8Encoder) Encode(img gocv.Mat, at time.Time) (pipeline.EncodedFrame, error) {
	if v.enc == nil {
		var err error
		if v.enc, err = vp8.NewEncoder(img.Cols(), img.Rows(), vp8.EncoderOptions{Bitrate: 2_000_000}); err != nil {
			return pipeline.EncodedFrame{}, err
		}
		v.start = at
	}
	frame, key, err := v.enc.Encode(nil, img, at.Sub(v.start), time.Second/30, false)
	return pipeline.EncodedFrame{Key: key, Data: frame}, err
}

// A session fed decoded pictures, as a video track gives them, and
// answering through an Encoder: the answers are VP8 frames of the
// processed pictures, in order, lips recoloured.
func TestVideoSessionRoundTrip(t *testing.T) {
	e := newEngine(t, nil)
	c := newCollector()
	enc := &vp8Encoder{}
	defer func() {
		if enc.enc != nil {
			enc.enc.Close()
		}
	}()
	s := e.NewSession(pipeline.SessionOptions{ID: "video", Effects: []pipeline.Effect{effects.DefaultLipstick}, Encoder: enc}, c)
	defer s.Close()
	orig, err := cvjpeg.Decode(testmedia.WebcamJPEG(t))
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	const n = 10
	start := time.Now()
	for i := range n {
		pic := orig.Clone()
		frameid.Stamp(&pic, i)
		if err := s.Submit(ctx, pipeline.Input{Image: &pic, Tag: i, Captured: start.Add(time.Duration(i) * time.Second / 30)}); err != nil {
			t.Fatal(err)
		}
		c.wait(t, 1) // one at a time: every picture is answered
	}
	res, _ := c.results()
	dec, err := vp8.NewDecoder(1920, 1920, 1920*1080)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	out := gocv.NewMat()
	defer out.Close()
	for i, r := range res {
		if r.Err != nil || r.JPEG != nil || len(r.Encoded.Data) == 0 || len(r.Faces) != 1 {
			t.Fatalf("answer %d: err %v, %d JPEG bytes, %d encoded, %d faces", i, r.Err, len(r.JPEG), len(r.Encoded.Data), len(r.Faces))
		}
		if err := dec.Decode(r.Encoded.Data, &out); err != nil {
			t.Fatalf("answer %d does not decode: %v", i, err)
		}
		if id, ok := frameid.ReadImage(out); !ok || id != i {
			t.Errorf("answer %d carries frame %d (ok %v)", i, id, ok)
		}
		lip := testmedia.LipPoint(r.Faces[0])
		if testmedia.Redness(out, lip) <= testmedia.Redness(orig, lip)+10 {
			t.Errorf("answer %d: lip at %v redness %d, was %d", i, lip, testmedia.Redness(out, lip), testmedia.Redness(orig, lip))
		}
	}
}

// The session owns a submitted picture: it is closed when the frame is
// processed, replaced by a newer one, or refused because the session is
// closed; and a picture over the limits is refused with a coded error.
func TestSubmittedPicturesAreReleased(t *testing.T) {
	e := newEngine(t, func(c *pipeline.Config) { c.Delay = 50 * time.Millisecond })
	c := newCollector()
	s := e.NewSession(pipeline.SessionOptions{ID: "pictures", Output: pipeline.OutputLandmarks}, c)
	orig, err := cvjpeg.Decode(testmedia.WebcamJPEG(t))
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	pics := make([]gocv.Mat, 4)
	for i := range pics {
		pics[i] = orig.Clone()
		if err := s.Submit(ctx, pipeline.Input{Image: &pics[i], Tag: i}); err != nil {
			t.Fatal(err)
		}
	}
	// Each was processed, or replaced by the next before a worker took it;
	// either way it is answered, and closed before it is.
	deadline := time.Now().Add(20 * time.Second)
	for {
		c.mu.Lock()
		n := len(c.res) + len(c.dropped)
		c.mu.Unlock()
		if n == len(pics) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d frames answered", n, len(pics))
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i := range pics {
		if pics[i].Ptr() != nil {
			t.Errorf("picture %d still open after its frame was answered or replaced", i)
		}
	}

	other := newCollector()
	s2 := e.NewSession(pipeline.SessionOptions{ID: "huge", Output: pipeline.OutputLandmarks}, other)
	defer s2.Close()
	huge := gocv.NewMatWithSize(4000, 4000, gocv.MatTypeCV8UC3)
	s2.Submit(ctx, pipeline.Input{Image: &huge, Tag: "huge"})
	other.wait(t, 1)
	res, _ := other.results()
	if res[0].Err == nil || res[0].Err.Code != "too_many_pixels" {
		t.Errorf("a 4000x4000 picture: %v, want too_many_pixels", res[0].Err)
	}
	if huge.Ptr() != nil {
		t.Error("a refused picture was not closed")
	}
	s.Close()
	late := orig.Clone()
	if err := s.Submit(ctx, pipeline.Input{Image: &late}); !errors.Is(err, pipeline.ErrClosed) {
		t.Errorf("Submit after Close: %v", err)
	}
	if late.Ptr() != nil {
		t.Error("a picture refused by a closed session was not closed")
	}
}

// Batch work (video files) yields to live frames: two batch sessions with
// frames queued on a 2-worker engine run on the batch workers, so a live
// frame submitted after them finds a live worker and is answered first or
// second, never behind two batch frames.
func TestBatchYieldsToLive(t *testing.T) {
	e := newEngine(t, func(c *pipeline.Config) { c.Workers = 2; c.Delay = 40 * time.Millisecond })
	jpg := testmedia.WebcamJPEG(t)
	var mu sync.Mutex
	var order []string
	done := make(chan struct{}, 64)
	receiver := func(kind string) pipeline.ReceiverFunc {
		return func(r pipeline.Result) {
			r.Release()
			mu.Lock()
			order = append(order, kind)
			mu.Unlock()
			done <- struct{}{}
		}
	}
	for i := range 2 {
		s := e.NewSession(pipeline.SessionOptions{ID: fmt.Sprint("file-", i), Output: pipeline.OutputLandmarks,
			Queue: pipeline.Ordered, QueueDepth: 8, Batch: true}, receiver("batch"))
		defer s.Close()
		for range 3 {
			if err := s.Submit(ctx, pipeline.Input{JPEG: jpg}); err != nil {
				t.Fatal(err)
			}
		}
	}
	live := e.NewSession(pipeline.SessionOptions{ID: "camera", Output: pipeline.OutputLandmarks}, receiver("live"))
	defer live.Close()
	time.Sleep(10 * time.Millisecond) // batch frames are on the workers
	if err := live.Submit(ctx, pipeline.Input{JPEG: jpg}); err != nil {
		t.Fatal(err)
	}
	for range 7 {
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("answers did not all come")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("answers in order: %v", order)
	if liveAt := slices.Index(order, "live"); liveAt < 0 || liveAt > 1 {
		t.Errorf("the live frame was answered %d-th, behind batch frames: %v", liveAt+1, order)
	}
}

// While a camera is connected only the first batch worker works. A batch
// frame submitted then wakes every batch worker: were it to wake one, and
// that one may not work, the frame would wait forever. Single frames, one
// at a time, leave no later wake-up to hide such a loss.
func TestBatchRunsBesideALiveSession(t *testing.T) {
	e := newEngine(t, func(c *pipeline.Config) { c.Workers = 2 })
	jpg := testmedia.WebcamJPEG(t)
	live := e.NewSession(pipeline.SessionOptions{ID: "camera", Output: pipeline.OutputLandmarks}, pipeline.ReceiverFunc(func(r pipeline.Result) { r.Release() }))
	answered := make(chan struct{}, 1)
	for round := range 21 {
		if round == 20 {
			live.Close() // the last round runs with no camera
		}
		s := e.NewSession(pipeline.SessionOptions{ID: fmt.Sprint("file-", round), Output: pipeline.OutputLandmarks,
			Queue: pipeline.Ordered, Batch: true}, pipeline.ReceiverFunc(func(r pipeline.Result) {
			r.Release()
			answered <- struct{}{}
		}))
		if err := s.Submit(ctx, pipeline.Input{JPEG: jpg}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-answered:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: the batch frame was not answered in 10 s", round)
		}
		s.Close()
	}
}
