package watch

import (
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// Resume gives a stream back only to its key, only while its client is
// gone, and only within the grace time; a job's stream is never resumable.
func TestResume(t *testing.T) {
	// Grace of seconds: every call below until the expiry part must see
	// the stream waiting, however busy the machine.
	h := NewHub(Limits{Grace: 30 * time.Second}, zerolog.Nop())
	defer h.Close()
	s := h.OpenResumable()
	if s.Key() == "" || s.Key() == s.ID() {
		t.Fatalf("key %q, id %q", s.Key(), s.ID())
	}
	if h.Resume(s.Key()) != nil {
		t.Error("resumed a stream whose client is connected")
	}
	s.Publish([]byte("frame 1"))
	s.Close()
	if h.Resume("") != nil || h.Resume(s.ID()) != nil {
		t.Error("resumed with the id or an empty key")
	}
	if _, _, _, closed := s.newest(); closed || h.lookup(s.ID()) == nil {
		t.Fatal("a stream within its grace time is gone")
	}
	if got := h.Resume(s.Key()); got != s {
		t.Fatalf("Resume within the grace time: %v", got)
	}
	if h.Resume(s.Key()) != nil {
		t.Error("resumed twice: a connected stream taken again")
	}
	s.Close()
	s.Discard()

	// Expiry, on a hub of its own with a short grace: polled, with a
	// generous deadline, as a busy machine may run the timer late.
	short := NewHub(Limits{Grace: 100 * time.Millisecond}, zerolog.Nop())
	defer short.Close()
	e := short.OpenResumable()
	e.Close()
	for deadline := time.Now().Add(10 * time.Second); short.lookup(e.ID()) != nil && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if short.Resume(e.Key()) != nil || short.lookup(e.ID()) != nil {
		t.Error("a stream past its grace time is still there")
	}
	if _, _, _, closed := e.newest(); !closed {
		t.Error("a stream past its grace time is not closed")
	}

	job := h.Open()
	if job.Key() != "" {
		t.Errorf("a job's stream has a key")
	}
	job.Close()
	if _, _, _, closed := job.newest(); !closed || h.lookup(job.ID()) != nil {
		t.Error("a job's stream outlived its Close")
	}
	if len(h.byKey) != 0 || len(h.streams) != 0 {
		t.Errorf("%d keys and %d streams left", len(h.byKey), len(h.streams))
	}
}

// A viewer of a stream that ends gets the ended frame; one with nobody
// watching makes no picture at all.
func TestEndedFrameOnlyForViewers(t *testing.T) {
	h := NewHub(Limits{Grace: 100 * time.Millisecond}, zerolog.Nop())
	defer h.Close()
	unwatched := h.OpenResumable()
	unwatched.Publish([]byte("last"))
	unwatched.end(true)
	if jpg, _, _, _ := unwatched.newest(); string(jpg) != "last" {
		t.Errorf("an unwatched stream made an ended frame")
	}
	watched := h.OpenResumable()
	watched.Publish([]byte("not a jpeg"))
	if why := h.join(watched); why != "" {
		t.Fatal(why)
	}
	_, seq, _, _ := watched.newest()
	watched.end(true)
	jpg, next, _, closed := watched.newest()
	if !closed || next != seq+1 || len(jpg) < 2 || jpg[0] != 0xff || jpg[1] != 0xd8 {
		t.Errorf("ended frame: closed %v, seq %d→%d, %d bytes", closed, seq, next, len(jpg))
	}
}

// Streams waiting for Resume are capped: a client opening and leaving
// sessions in a loop ends the oldest waiting one, with its ended frame,
// at once rather than after the grace time.
func TestDetachedStreamsCapped(t *testing.T) {
	h := NewHub(Limits{Grace: time.Hour, Detached: 3}, zerolog.Nop())
	defer h.Close()
	var left []*Stream
	for i := 0; i < 5; i++ {
		s := h.OpenResumable()
		s.Publish([]byte("last frame"))
		s.Close()
		left = append(left, s)
	}
	for i, s := range left {
		_, _, _, closed := s.newest()
		if want := i < 2; closed != want {
			t.Errorf("stream %d of 5 left: ended %v, want %v", i, closed, want)
		}
	}
	if n := len(h.waiting); n != 3 {
		t.Errorf("%d streams waiting, want 3", n)
	}
	if h.Resume(left[0].Key()) != nil {
		t.Error("resumed a stream ended by the cap")
	}
	// A resumed stream waits no more, so it makes room.
	if h.Resume(left[4].Key()) != left[4] {
		t.Fatal("could not resume the newest stream")
	}
	next := h.OpenResumable()
	next.Close()
	if _, _, _, closed := left[2].newest(); closed {
		t.Error("the cap counted a resumed stream")
	}
	if h.Stats().Streams != 4 || len(h.waiting) != 3 {
		t.Errorf("%d streams, %d waiting; want 4 and 3", h.Stats().Streams, len(h.waiting))
	}
}
