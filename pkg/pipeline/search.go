package pipeline

import "sync"

// Face search with a budget. While a session tracks no face, each frame
// would need a detection to find one, and a scene with no face, or with
// only faces the frontal detector never finds (turned away, too small),
// would cost a detection on every frame: on real footage that was half of
// a video's CPU. So the search gets a share of the frames instead:
//
//   - the first frame of a new scene (a cut, the picture jumped, or the
//     session's first frame) searches at once, at the usual scale, so the
//     usual faces are found on the frame they appear on;
//   - the next frame searches at the finer scale (DetectWidth's finer),
//     so a face under the usual reach is found one frame later;
//   - after that, while nothing is found, the gaps between searches double,
//     1, 2, 4 ... up to SearchMaxGap frames, every one at the finer scale;
//   - a scene that was searched through the whole ramp and found empty is
//     remembered by its thumbnail's histogram (the last few such scenes); a
//     cut back to it does not start the ramp again but keeps searching
//     every SearchMaxGap frames.
//
// A scene is told by the histogram of its thumbnail's gray levels, not by
// the thumbnail itself: a pan moves every pixel but keeps the histogram.
// On the multi-face clip, frames 8 apart within a shot differ by at most 5%
// of their pixels' mass, frames across a cut by 22 to 50%, and the dogs'
// scene seen again 6% from the first time.
//
// A face that comes into a scene without a cut (walking in), or with a cut
// back to a known-empty scene, is found within SearchMaxGap frames. The
// segments of one video file, each a session, share their known-empty
// scenes (SceneMemory). Measured on the multi-face clip of
// internal/testvideo: docs/BENCHMARKS.md, "Issue 25: video on multi-face
// footage".

// SearchMaxGap is the most frames between two searches of a session that
// tracks no face: at 30 frames/s, 267 ms.
const SearchMaxGap = 8

// SearchLagAfterCut is how many frames after a cut a face the detector
// can find at all (at least MinDetectableFace at the finer scale) may take
// to be found: the cut's frame searches at the usual scale, the next at the
// finer one.
const SearchLagAfterCut = 1

// emptyScenes is how many known-empty scenes a session remembers: a few
// cameras of one programme.
const emptyScenes = 4

// otherScene is the histogram distance, in percent of the pixels, beyond
// which two thumbnails show different scenes.
const otherScene = 15

// histogram counts a thumbnail's gray levels in 32 bins.
type histogram [32]int32

func histogramOf(thumb []byte) (h histogram) {
	for _, v := range thumb {
		h[v>>3]++
	}
	return h
}

// sameScene says whether two thumbnails' histograms are within
// otherScene percent of each other: half their bins' absolute differences,
// over the pixels.
func sameScene(a, b *histogram) bool {
	var diff, n int32
	for i := range a {
		d := a[i] - b[i]
		if d < 0 {
			d = -d
		}
		diff += d
		n += a[i]
	}
	return n > 0 && diff*100 <= otherScene*2*n
}

// SceneMemory holds known-empty scenes for several sessions: a video
// file's segments are sessions of their own (pkg/video), and a scene one
// found empty is not searched through again from the start by the next.
// It is safe for concurrent use; the zero value holds none.
type SceneMemory struct {
	mu    sync.Mutex
	empty []histogram // oldest first, at most emptyScenes
}

func (m *SceneMemory) knows(h *histogram) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return indexOfScene(m.empty, h) >= 0
}

func (m *SceneMemory) add(h histogram) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if indexOfScene(m.empty, &h) < 0 {
		m.empty = remember(m.empty, h)
	}
}

func (m *SceneMemory) forget(h *histogram) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.empty = forgetScene(m.empty, h)
}

func indexOfScene(scenes []histogram, h *histogram) int {
	for i := range scenes {
		if sameScene(&scenes[i], h) {
			return i
		}
	}
	return -1
}

// remember appends h, dropping the oldest scene beyond emptyScenes.
func remember(scenes []histogram, h histogram) []histogram {
	if len(scenes) == emptyScenes {
		scenes = append(scenes[:0], scenes[1:]...)
	}
	return append(scenes, h)
}

func forgetScene(scenes []histogram, h *histogram) []histogram {
	if i := indexOfScene(scenes, h); i >= 0 {
		return append(scenes[:i], scenes[i+1:]...)
	}
	return scenes
}

// search is one session's search state, part of its tracker.
type search struct {
	searches int // searches since the scene changed or a face was lost
	wait     int // frames to let pass before the next search
	gap      int // frames between the last two searches
	// last is the histogram of the frame last searched: the scene has
	// changed when a frame's is not the same scene's.
	last   histogram
	empty  []histogram  // scenes found empty, oldest first
	shared *SceneMemory // the known-empty scenes of the session's siblings; may be nil
}

// due reports whether a frame of a session with no face tracked (or one
// whose picture jumped, which loses the tracked faces) should search, and
// at which scale. thumb is the frame's thumbnail; jumped says it differs
// from the frame before it as a cut does.
func (s *search) due(thumb []byte, jumped bool) (run, finer bool) {
	h := histogramOf(thumb)
	if jumped || !sameScene(&s.last, &h) {
		s.last = h
		if s.knownEmpty(&h) {
			// Back to a scene already searched through: keep to its pace.
			s.searches, s.gap = max(s.searches, 2), SearchMaxGap
			if s.wait <= 0 {
				s.wait = SearchMaxGap - 1
			}
		} else {
			s.searches, s.wait, s.gap = 0, 0, 0
		}
	}
	if s.wait > 0 {
		s.wait--
		return false, false
	}
	s.searches++
	s.last = h
	return true, s.searches > 1
}

// found records the outcome of a search: with faces, the ramp is over;
// with none, the next search waits twice as long as the last gap, and a
// scene that reached the longest gap is remembered as empty.
func (s *search) found(faces int) {
	if faces > 0 {
		s.searches, s.wait, s.gap = 0, 0, 0
		return
	}
	switch {
	case s.searches <= 1:
		s.gap = 1
	default:
		s.gap = min(2*max(1, s.gap), SearchMaxGap)
	}
	s.wait = s.gap - 1
	if s.gap == SearchMaxGap && s.searches >= 4 {
		if indexOfScene(s.empty, &s.last) < 0 {
			s.empty = remember(s.empty, s.last)
		}
		if s.shared != nil {
			s.shared.add(s.last)
		}
	}
}

// lost records a detection that found none of the faces tracked until
// then: the first search of the scene, at the usual scale.
func (s *search) lost(thumb []byte) {
	s.last = histogramOf(thumb)
	s.searches, s.wait, s.gap = 1, 0, 0
	s.found(0)
}

// forget drops the known-empty scene a face was just found in: a scene
// is empty until someone walks in.
func (s *search) forget(thumb []byte) {
	h := histogramOf(thumb)
	s.empty = forgetScene(s.empty, &h)
	if s.shared != nil {
		s.shared.forget(&h)
	}
}

func (s *search) knownEmpty(h *histogram) bool {
	return indexOfScene(s.empty, h) >= 0 || s.shared != nil && s.shared.knows(h)
}
