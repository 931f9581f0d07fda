package pipeline

import (
	"slices"
	"testing"
)

// While nothing is found, searches come at frames 0 and 1 of a scene (the
// usual scale, then the finer one), then 2, 4 and up to SearchMaxGap
// frames apart; a cut starts over at once; a cut back to a scene searched
// through and found empty does not.
func TestSearchBudget(t *testing.T) {
	scene := func(v byte) []byte {
		b := make([]byte, thumbWidth*thumbHeight)
		for i := range b {
			b[i] = v + byte(i%3)
		}
		return b
	}
	empty, other := scene(10), scene(200)
	var s search
	var at []int
	var finer []bool
	for i := 0; i < 40; i++ {
		if run, f := s.due(empty, false); run {
			at, finer = append(at, i), append(finer, f)
			s.found(0)
		}
	}
	if want := []int{0, 1, 3, 7, 15, 23, 31, 39}; !slices.Equal(at, want) {
		t.Errorf("searches of an empty scene at frames %v, want %v", at, want)
	}
	if !slices.Equal(finer, []bool{false, true, true, true, true, true, true, true}) {
		t.Errorf("finer scale %v: want the usual scale first, then the finer one", finer)
	}
	if run, f := s.due(other, true); !run || f {
		t.Errorf("a cut to a new scene: search %v, finer %v; want a search at the usual scale at once", run, f)
	}
	s.found(0)
	if run, _ := s.due(empty, true); run {
		t.Error("a cut back to the known-empty scene searched at once")
	}
	n := 0
	for i := 0; i < 2*SearchMaxGap; i++ {
		if run, _ := s.due(empty, false); run {
			n++
			s.found(0)
		}
	}
	if n != 2 {
		t.Errorf("%d searches in %d frames of the known-empty scene, want 2", n, 2*SearchMaxGap)
	}
	// A face found there: the scene is no longer known to be empty.
	if run, _ := s.due(other, true); !run {
		t.Fatal("no search on a cut")
	}
	s.found(1)
	s.forget(other)
	s.lost(other)
	if run, f := s.due(other, false); !run || !f {
		t.Errorf("after the tracked faces were lost: search %v finer %v; want the finer search on the next frame", run, f)
	}
}

// A scene one session searched through and found empty is known to
// another session given the same SceneMemory: its first frame there does
// not search. A face found there makes it unknown again for both.
func TestSceneMemoryIsShared(t *testing.T) {
	empty := make([]byte, thumbWidth*thumbHeight)
	for i := range empty {
		empty[i] = byte(i % 7)
	}
	var m SceneMemory
	a := search{shared: &m}
	for range 16 {
		if run, _ := a.due(empty, false); run {
			a.found(0)
		}
	}
	b := search{shared: &m}
	if run, _ := b.due(empty, true); run {
		t.Error("a sibling's first frame of a known-empty scene searched at once")
	}
	c := search{}
	if run, _ := c.due(empty, true); !run {
		t.Error("a session without the memory did not search its first frame")
	}
	a.forget(empty)
	if d := (search{shared: &m}); d.knownEmpty(&[]histogram{histogramOf(empty)}[0]) {
		t.Error("the scene is still known empty after a face was found in it")
	}
}
