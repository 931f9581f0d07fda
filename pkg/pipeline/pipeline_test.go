package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/frame"
	"github.com/livetryon/server/pkg/pipeline"
)

// ctx is for Submit calls that have no deadline of their own.
var ctx = context.Background()

// newEngine starts an engine with the default config, changed by mod.
// TRYON_TEST_LANDMARK_CASCADES=N runs the tests with --landmark-cascades N,
// to see what fewer cascades cost (docs/BENCHMARKS.md).
func newEngine(t testing.TB, mod func(*pipeline.Config)) *pipeline.Engine {
	t.Helper()
	cfg := pipeline.DefaultConfig()
	if v := os.Getenv("TRYON_TEST_LANDMARK_CASCADES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("TRYON_TEST_LANDMARK_CASCADES=%q: %v", v, err)
		}
		cfg.LandmarkCascades = n
	}
	if mod != nil {
		mod(&cfg)
	}
	e, err := pipeline.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return e
}

// collector gathers delivered results; it copies the JPEG and releases.
type collector struct {
	mu      sync.Mutex
	res     []pipeline.Result
	jpgs    [][]byte
	dropped []any // tags of frames reported dropped
	got     chan struct{}
}

func newCollector() *collector { return &collector{got: make(chan struct{}, 1000)} }

func (c *collector) Receive(r pipeline.Result) {
	if r.Dropped {
		c.mu.Lock()
		c.dropped = append(c.dropped, r.Tag)
		c.mu.Unlock()
		return
	}
	jpg := append([]byte(nil), r.JPEG...)
	r.Release()
	c.mu.Lock()
	c.res = append(c.res, r)
	c.jpgs = append(c.jpgs, jpg)
	c.mu.Unlock()
	c.got <- struct{}{}
}

func (c *collector) wait(t testing.TB, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case <-c.got:
		case <-time.After(20 * time.Second):
			t.Fatalf("only %d of %d results arrived", i, n)
		}
	}
}

func (c *collector) results() ([]pipeline.Result, [][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]pipeline.Result(nil), c.res...), append([][]byte(nil), c.jpgs...)
}

func TestFrameRoundTrip(t *testing.T) {
	e := newEngine(t, nil)
	c := newCollector()
	s := e.NewSession(pipeline.SessionOptions{ID: "t", Effects: []pipeline.Effect{effects.DefaultLipstick}}, c)
	defer s.Close()
	in := testmedia.WebcamJPEG(t)
	s.Submit(ctx, pipeline.Input{DataURL: testmedia.DataURL(in), Tag: 1})
	c.wait(t, 1)
	res, jpgs := c.results()
	r := res[0]
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if r.Tag != 1 || r.Width != 640 || r.Height != 480 || len(r.Faces) != 1 {
		t.Fatalf("tag %v size %dx%d faces %d; want 1, 640x480, 1 face", r.Tag, r.Width, r.Height, len(r.Faces))
	}
	out, err := cvjpeg.Decode(jpgs[0])
	if err != nil || out.Cols() != 640 || out.Rows() != 480 {
		t.Fatalf("answer does not decode to 640x480: %v", err)
	}
	defer out.Close()
	orig, _ := cvjpeg.Decode(in)
	defer orig.Close()
	// The lips are redder than they came in; the forehead is as it was.
	lip := testmedia.LipPoint(r.Faces[0])
	forehead := image.Pt((r.Faces[0].Points[19].X+r.Faces[0].Points[24].X)/2, r.Faces[0].Points[19].Y-25)
	if testmedia.Redness(out, lip) <= testmedia.Redness(orig, lip)+10 {
		t.Errorf("lip at %v: redness %d, was %d; want a visible tint", lip, testmedia.Redness(out, lip), testmedia.Redness(orig, lip))
	}
	if d := testmedia.Redness(out, forehead) - testmedia.Redness(orig, forehead); d > 6 || d < -6 {
		t.Errorf("forehead at %v changed redness by %d", forehead, d)
	}
	t.Logf("timings %+v", r.Timings)
}

func TestBadInputGetsCodedError(t *testing.T) {
	e := newEngine(t, func(c *pipeline.Config) {
		c.Limits = frame.Limits{MaxBytes: 200 << 10, MaxPixels: 1280 * 720, MaxSide: 2000}
	})
	c := newCollector()
	s := e.NewSession(pipeline.SessionOptions{ID: "t"}, c)
	defer s.Close()
	good := testmedia.WebcamJPEG(t)
	// A header that passes the size check but that libjpeg rejects: the
	// frame declares zero colour components.
	corrupt := append([]byte(nil), good...)
	for i := 0; i+9 < len(corrupt); i++ {
		if corrupt[i] == 0xFF && corrupt[i+1] == 0xC0 {
			corrupt[i+9] = 0
			break
		}
	}
	cases := []struct {
		in   pipeline.Input
		code string
	}{
		{pipeline.Input{DataURL: "hello"}, frame.CodeNotDataURL},
		{pipeline.Input{DataURL: "data:image/jpeg;base64,!!!!"}, frame.CodeBadBase64},
		{pipeline.Input{DataURL: "data:image/jpeg;base64,aGVsbG8gd29ybGQ="}, frame.CodeNotJPEG},
		{pipeline.Input{JPEG: make([]byte, 300<<10)}, frame.CodeTooLarge},
		{pipeline.Input{JPEG: testmedia.DeclareSize(good, 60000, 60000)}, frame.CodeTooManyPixels},
		{pipeline.Input{JPEG: corrupt}, frame.CodeDecodeFailed},
	}
	for i, tc := range cases {
		tc.in.Tag = i
		s.Submit(ctx, tc.in)
		c.wait(t, 1)
	}
	s.Submit(ctx, pipeline.Input{JPEG: good, Tag: "good"})
	c.wait(t, 1)
	res, _ := c.results()
	for i, tc := range cases {
		if res[i].Err == nil || res[i].Err.Code != tc.code {
			t.Errorf("case %d: got %v, want code %s", i, res[i].Err, tc.code)
		}
	}
	if last := res[len(res)-1]; last.Err != nil || last.Tag != "good" || len(last.Faces) != 1 {
		t.Errorf("good frame after bad ones: err %v tag %v faces %d", last.Err, last.Tag, len(last.Faces))
	}
}

// TestNewestFrameWins floods a slow engine: frames that wait are replaced,
// counted as dropped, and the last frame sent is always answered.
func TestNewestFrameWins(t *testing.T) {
	e := newEngine(t, func(c *pipeline.Config) { c.Workers = 1; c.Delay = 50 * time.Millisecond })
	c := newCollector()
	s := e.NewSession(pipeline.SessionOptions{ID: "t"}, c)
	defer s.Close()
	jpg := testmedia.WebcamJPEG(t)
	const sent = 20
	for i := 0; i < sent; i++ {
		s.Submit(ctx, pipeline.Input{JPEG: jpg, Tag: i})
	}
	// At most the frame a worker took first and the last one are answered;
	// every other frame was replaced while it waited.
	c.wait(t, 1)
	time.Sleep(300 * time.Millisecond) // time for a second answer, if any
	res, _ := c.results()
	tags := []any{}
	for _, r := range res {
		tags = append(tags, r.Tag)
	}
	if len(res) > 2 || res[len(res)-1].Tag != sent-1 {
		t.Fatalf("answered tags %v, want at most two ending with %d", tags, sent-1)
	}
	if d := s.Dropped(); d != uint64(sent-len(res)) {
		t.Fatalf("answered %v and dropped %d of %d sent", tags, d, sent)
	}
	// Every dropped frame was reported, so acknowledgements can be answered.
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.dropped) != sent-len(res) {
		t.Fatalf("%d drops reported, %d dropped", len(c.dropped), sent-len(res))
	}
}

// TestFloodingClientDoesNotStarveOthers: with one worker, a client that
// floods gets one frame processed at a time, and the other client's frame
// is processed next, not after the flood.
func TestFloodingClientDoesNotStarveOthers(t *testing.T) {
	e := newEngine(t, func(c *pipeline.Config) { c.Workers = 1; c.Delay = 20 * time.Millisecond })
	var mu sync.Mutex
	var order []string
	done := make(chan struct{}, 100)
	record := func(name string) pipeline.ReceiverFunc {
		return func(r pipeline.Result) {
			if r.Dropped {
				return
			}
			r.Release()
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			done <- struct{}{}
		}
	}
	flood := e.NewSession(pipeline.SessionOptions{ID: "flood"}, record("flood"))
	defer flood.Close()
	calm := e.NewSession(pipeline.SessionOptions{ID: "calm"}, record("calm"))
	defer calm.Close()
	jpg := testmedia.WebcamJPEG(t)
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				flood.Submit(ctx, pipeline.Input{JPEG: jpg})
				time.Sleep(time.Millisecond)
			}
		}
	}()
	<-done // the flood is being served
	calm.Submit(ctx, pipeline.Input{JPEG: jpg})
	for {
		<-done
		mu.Lock()
		n, last := len(order), order[len(order)-1]
		mu.Unlock()
		if last == "calm" {
			close(stop)
			// The calm frame waits at most for the flood frame being processed
			// and one more already queued ahead of it.
			if n > 4 {
				t.Fatalf("calm client answered after %d flood frames: %v", n-1, order)
			}
			return
		}
		if n > 20 {
			close(stop)
			t.Fatalf("calm client starved: %v", order)
		}
	}
}

func TestNoFaceFrameIsAnsweredUnchangedButOverlay(t *testing.T) {
	e := newEngine(t, nil)
	c := newCollector()
	s := e.NewSession(pipeline.SessionOptions{ID: "t", Effects: []pipeline.Effect{effects.DefaultLipstick}}, c)
	defer s.Close()
	dogs, err := os.ReadFile("../../testdata/faces/dogs.jpg")
	if err != nil {
		t.Fatal(err)
	}
	s.Submit(ctx, pipeline.Input{JPEG: dogs})
	c.wait(t, 1)
	res, jpgs := c.results()
	if res[0].Err != nil || len(res[0].Faces) != 0 || len(jpgs[0]) == 0 {
		t.Fatalf("dogs.jpg: err %v, %d faces, %d bytes", res[0].Err, len(res[0].Faces), len(jpgs[0]))
	}
}

func TestRateMeter(t *testing.T) {
	var m pipeline.RateMeter
	t0 := time.Unix(0, 0)
	var fps float64
	for i := 0; i < 60; i++ {
		fps = m.Tick(t0.Add(time.Duration(i) * time.Second / 15))
	}
	if fps < 14.9 || fps > 15.1 {
		t.Fatalf("15 fps measured as %.2f", fps)
	}
	// The rate drops to 5 fps: within a second the meter follows.
	base := t0.Add(4 * time.Second)
	for i := 1; i <= 6; i++ {
		fps = m.Tick(base.Add(time.Duration(i) * 200 * time.Millisecond))
	}
	if fps < 4.9 || fps > 5.1 {
		t.Fatalf("after slowing to 5 fps, measured %.2f", fps)
	}
	// Slower than one a second still reads.
	if fps = m.Tick(base.Add(10 * time.Second)); fps <= 0 || fps > 0.2 {
		t.Fatalf("one event after 8.8 s measured as %.3f fps", fps)
	}
}

// jpegEncoder stands in for a video track's encoder: the pipeline only
// needs something that turns a picture into bytes.
type jpegEncoder struct{}

func (jpegEncoder) Encode(img gocv.Mat, _ time.Time) (pipeline.EncodedFrame, error) {
	b, err := cvjpeg.EncodeBytes(img, cvjpeg.Options{Quality: 80})
	return pipeline.EncodedFrame{Key: true, Data: b}, err
}

// A client's drops are summed into one log line, not one a second: a
// warning for a client that sends faster than it is answered, debug for a
// video track's session, whose camera sends at its own rate by design.
func TestDropsAreSummedInOneLine(t *testing.T) {
	for _, tc := range []struct {
		name    string
		encoder pipeline.Encoder
		level   string
	}{
		{"frames", nil, "warn"},
		{"track", jpegEncoder{}, "debug"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncBuffer
			e := newEngine(t, func(c *pipeline.Config) {
				c.Workers = 1
				c.Delay = 20 * time.Millisecond
				c.Logger = zerolog.New(&logs).Level(zerolog.DebugLevel)
			})
			c := newCollector()
			s := e.NewSession(pipeline.SessionOptions{ID: "flood", Encoder: tc.encoder}, c)
			jpg := testmedia.WebcamJPEG(t)
			for range 50 {
				s.Submit(ctx, pipeline.Input{JPEG: jpg})
				time.Sleep(time.Millisecond)
			}
			s.Close()
			var lines []map[string]any
			for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				var m map[string]any
				if json.Unmarshal([]byte(l), &m) == nil && strings.Contains(fmt.Sprint(m["message"]), "faster than it is served") {
					lines = append(lines, m)
				}
			}
			c.mu.Lock()
			dropped := len(c.dropped)
			c.mu.Unlock()
			if dropped == 0 {
				t.Fatal("no frame was dropped; the test did not flood")
			}
			// 50 frames in well under the 10 s period: one summing line, at
			// Close, with every drop in it.
			if len(lines) != 1 {
				t.Fatalf("%d drop lines, want 1:\n%s", len(lines), logs.String())
			}
			if lines[0]["level"] != tc.level || lines[0]["dropped_total"] != float64(dropped) {
				t.Errorf("drop line %v; want level %s with %d dropped", lines[0], tc.level, dropped)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer for a logger written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
