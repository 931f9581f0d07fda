package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/pipeline"
)

// Example shows the contract every transport follows: open a session with a
// Receiver, submit frames, receive each answer (release its JPEG once sent),
// and close the session when the client goes.
func Example() {
	cfg := pipeline.DefaultConfig()
	engine, err := pipeline.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer engine.Close(context.Background())

	answers := make(chan pipeline.Result, 1)
	session := engine.NewSession(pipeline.SessionOptions{
		ID:      "example",
		Effects: []pipeline.Effect{effects.DefaultLipstick},
	}, pipeline.ReceiverFunc(func(r pipeline.Result) { answers <- r })) // must not block
	defer session.Close()

	jpg, _ := os.ReadFile(testmedia.Path("obama-480p.jpg"))
	if err := session.Submit(context.Background(), pipeline.Input{JPEG: jpg, Tag: "frame 1"}); err != nil {
		fmt.Println(err)
		return
	}
	res := <-answers
	defer res.Release() // after the JPEG has been sent on
	fmt.Println(res.Tag, res.Width, res.Height, len(res.Faces), len(res.JPEG) > 0)
	// Output: frame 1 853 480 1 true
}

// TestOrderedQueueKeepsOrderWithBackPressure: an Ordered session answers
// every frame in the order submitted, drops none, and Submit waits while its
// queue is full.
func TestOrderedQueueKeepsOrderWithBackPressure(t *testing.T) {
	e := newEngine(t, func(c *pipeline.Config) { c.Workers = 2; c.Delay = 20 * time.Millisecond })
	c := newCollector()
	s := e.NewSession(pipeline.SessionOptions{ID: "video", Queue: pipeline.Ordered, QueueDepth: 2, Output: pipeline.OutputLandmarks}, c)
	defer s.Close()
	jpg := testmedia.WebcamJPEG(t)
	const n = 12
	blocked := 0
	for i := 0; i < n; i++ {
		short, cancel := context.WithTimeout(ctx, time.Millisecond)
		err := s.Submit(short, pipeline.Input{JPEG: jpg, Tag: i})
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			blocked++ // the queue was full: wait for room as a producer would
			if err := s.Submit(ctx, pipeline.Input{JPEG: jpg, Tag: i}); err != nil {
				t.Fatal(err)
			}
		} else if err != nil {
			t.Fatal(err)
		}
	}
	c.wait(t, n)
	res, _ := c.results()
	for i, r := range res {
		if r.Tag != i || r.Err != nil || len(r.Faces) != 1 {
			t.Fatalf("answer %d: tag %v err %v faces %d; want tag %d, one face", i, r.Tag, r.Err, len(r.Faces), i)
		}
	}
	if len(c.dropped) != 0 {
		t.Errorf("ordered session dropped %d frames", len(c.dropped))
	}
	if blocked == 0 {
		t.Error("Submit never waited: the queue bound did not hold")
	}
	t.Logf("%d of %d submits waited for room", blocked, n)
}

// TestProcessIsNotASession: a photo is answered through Process without
// counting as a connected client.
func TestProcessIsNotASession(t *testing.T) {
	e := newEngine(t, nil)
	jpg := testmedia.WebcamJPEG(t)
	res, err := e.Process(ctx, pipeline.Input{JPEG: jpg}, pipeline.PhotoOptions{Effects: []pipeline.Effect{effects.DefaultLipstick}})
	if err != nil || res.Err != nil {
		t.Fatalf("process: %v %v", err, res.Err)
	}
	defer res.Release()
	if len(res.Faces) != 1 || len(res.JPEG) == 0 || res.Tracked {
		t.Fatalf("faces %d, %d JPEG bytes, tracked %v; want one face found afresh and an image", len(res.Faces), len(res.JPEG), res.Tracked)
	}
	res2, err := e.Process(ctx, pipeline.Input{JPEG: jpg}, pipeline.PhotoOptions{Output: pipeline.OutputLandmarks})
	if err != nil || res2.JPEG != nil || len(res2.Faces) != 1 {
		t.Fatalf("landmarks-only photo: err %v, JPEG %d bytes, %d faces", err, len(res2.JPEG), len(res2.Faces))
	}
	if st := e.Stats(); st.Sessions != 0 || st.Photos != 2 {
		t.Errorf("stats %+v: want 0 sessions and 2 photos", st)
	}
	if _, err := e.Process(ctx, pipeline.Input{JPEG: []byte("nope")}, pipeline.PhotoOptions{}); err != nil {
		t.Errorf("a bad photo is a Result.Err, not an error: %v", err)
	}
}

// TestClosedEngineSaysClosed: Submit and Process on a closed engine return
// ErrClosed at once rather than leaving the caller to time out.
func TestClosedEngineSaysClosed(t *testing.T) {
	e := newEngine(t, nil)
	c := newCollector()
	s := e.NewSession(pipeline.SessionOptions{ID: "t"}, c)
	if err := e.Ready(); err != nil {
		t.Errorf("a new engine is not ready: %v", err)
	}
	e.Close(context.Background())
	if err := e.Ready(); !errors.Is(err, pipeline.ErrClosed) {
		t.Errorf("Ready on a closed engine: %v, want ErrClosed", err)
	}
	jpg := testmedia.WebcamJPEG(t)
	if err := s.Submit(ctx, pipeline.Input{JPEG: jpg}); !errors.Is(err, pipeline.ErrClosed) {
		t.Errorf("Submit on a closed engine: %v, want ErrClosed", err)
	}
	if _, err := e.Process(ctx, pipeline.Input{JPEG: jpg}, pipeline.PhotoOptions{}); !errors.Is(err, pipeline.ErrClosed) {
		t.Errorf("Process on a closed engine: %v, want ErrClosed", err)
	}
	s.Close()
	if err := s.Submit(ctx, pipeline.Input{JPEG: jpg}); !errors.Is(err, pipeline.ErrClosed) {
		t.Errorf("Submit on a closed session: %v, want ErrClosed", err)
	}
}

// A session still queued when the engine closes is ended with it: its
// waiting frame is never answered, and its next Submit returns ErrClosed
// rather than queueing a frame no worker will take.
func TestEngineCloseEndsQueuedSessions(t *testing.T) {
	e := newEngine(t, func(c *pipeline.Config) { c.Workers = 1; c.Delay = 300 * time.Millisecond })
	jpg := testmedia.WebcamJPEG(t)
	busy, queued := newCollector(), newCollector()
	first := e.NewSession(pipeline.SessionOptions{ID: "busy"}, busy)
	defer first.Close()
	second := e.NewSession(pipeline.SessionOptions{ID: "queued"}, queued)
	defer second.Close()
	if err := first.Submit(ctx, pipeline.Input{JPEG: jpg}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the one worker takes it and sleeps
	if err := second.Submit(ctx, pipeline.Input{JPEG: jpg, Tag: "waiting"}); err != nil {
		t.Fatal(err)
	}
	e.Close(context.Background()) // second is in the queue, behind the busy worker
	if err := second.Submit(ctx, pipeline.Input{JPEG: jpg, Tag: "late"}); !errors.Is(err, pipeline.ErrClosed) {
		t.Errorf("Submit on a session queued at Close: %v, want ErrClosed", err)
	}
	queued.mu.Lock()
	defer queued.mu.Unlock()
	if len(queued.res) != 0 {
		t.Errorf("%d answers to the queued session after Close", len(queued.res))
	}
}

// Close waits for a busy worker until its context is done, says so, and
// can be called again to wait until the end; the frame in hand is
// answered first.
func TestEngineCloseWaitsUntilItsContext(t *testing.T) {
	e := newEngine(t, func(c *pipeline.Config) { c.Workers = 1; c.Delay = 700 * time.Millisecond })
	busy := newCollector()
	s := e.NewSession(pipeline.SessionOptions{ID: "busy"}, busy)
	defer s.Close()
	if err := s.Submit(ctx, pipeline.Input{JPEG: testmedia.WebcamJPEG(t)}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the one worker takes it and sleeps
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := e.Close(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close with a worker busy for longer than its context: %v, want the deadline", err)
	}
	if err := e.Close(context.Background()); err != nil {
		t.Fatalf("Close again, waiting to the end: %v", err)
	}
	busy.mu.Lock()
	defer busy.mu.Unlock()
	if len(busy.res) != 1 {
		t.Errorf("%d answers to the frame the worker had when Close began, want 1", len(busy.res))
	}
}
