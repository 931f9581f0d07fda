package pipeline

import (
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetryon/server/pkg/frame"
	"github.com/livetryon/server/pkg/landmarks"
)

// Input is one frame as a client sent it. Exactly one of DataURL and JPEG is
// set. Tag is opaque to the pipeline and comes back in the Result, for
// transports to match answers to requests.
type Input struct {
	DataURL string
	JPEG    []byte
	Tag     any
	// NoImage skips the effects and the JPEG encode, for clients that want
	// only the landmarks.
	NoImage bool
	// Still marks a photo rather than a video frame: faces are detected at
	// full resolution, small images upsampled first, with no tracking,
	// smoothing or FPS overlay.
	Still bool
	// Captured is when the camera took the frame, if known; smoothing uses
	// the time between frames. Zero means the time of Submit.
	Captured time.Time
}

// Result is the answer to one Input.
type Result struct {
	Tag any
	// Dropped is set when a newer frame replaced this one before a worker
	// took it; nothing else is then. Transports that promised an answer per
	// frame (acknowledgements) answer with it; others ignore it.
	Dropped bool
	// Err is set when the frame was refused; nothing else is then.
	Err *frame.Error
	// JPEG is the answered frame. It points into memory owned by OpenCV and
	// is valid until Release is called.
	JPEG          []byte
	Width, Height int
	Faces         []landmarks.Face
	FPS           float64 // this session's answered frames per second
	Timings       Timings
	release       func()
}

// Release frees the answered JPEG. Deliver functions must call it once they
// have copied or sent r.JPEG.
func (r *Result) Release() {
	if r.release != nil {
		r.release()
		r.release = nil
	}
	r.JPEG = nil
}

// Timings are the per-stage costs of one frame.
type Timings struct {
	Queue     time.Duration // from Submit until a worker took the frame
	Decode    time.Duration // base64 and JPEG decode, gray conversion
	Detect    time.Duration
	Landmarks time.Duration
	Effects   time.Duration // effects and FPS overlay
	Encode    time.Duration
}

// Total is the time from Submit to the encoded answer.
func (t Timings) Total() time.Duration {
	return t.Queue + t.Decode + t.Detect + t.Landmarks + t.Effects + t.Encode
}

// Session is one client's slot in the engine: it holds that client's newest
// unprocessed frame, its effects and its FPS meter.
type Session struct {
	engine  *Engine
	deliver func(Result)
	log     zerolog.Logger

	mu        sync.Mutex
	pending   *queued // newest frame not yet taken by a worker
	scheduled bool    // queued in the engine or being processed
	closed    bool
	effects   []Effect
	dropped   uint64 // frames replaced before processing, in all
	unlogged  uint64 // of those, not yet logged
	lastLog   time.Time

	// Touched only by the worker processing this session.
	rate  RateMeter
	track tracker
}

type queued struct {
	in Input
	at time.Time // when it was submitted
}

// NewSession opens a session whose results go to deliver, called from a
// worker goroutine. deliver must not block: hand the result to the network
// and return. Effects start as effects; SetEffects changes them.
func (e *Engine) NewSession(id string, deliver func(Result), effects ...Effect) *Session {
	e.sessions.Add(1)
	return &Session{
		engine:  e,
		deliver: deliver,
		log:     e.log.With().Str("client", id).Logger(),
		effects: effects,
	}
}

// SetEffects replaces the effects applied to this session's next frames.
func (s *Session) SetEffects(effects ...Effect) {
	s.mu.Lock()
	s.effects = effects
	s.mu.Unlock()
}

// Dropped is how many frames were replaced by newer ones before processing.
func (s *Session) Dropped() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Submit queues in as the session's newest frame and returns at once. A
// frame still waiting from before is dropped: the newest frame wins.
func (s *Session) Submit(in Input) {
	now := time.Now()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	var replaced *Input
	if s.pending != nil {
		s.dropped++
		s.unlogged++
		old := s.pending.in
		replaced = &old
		s.pending.in = in
		s.pending.at = now
	} else {
		s.pending = &queued{in: in, at: now}
	}
	s.logDropsLocked(now, false)
	schedule := !s.scheduled
	s.scheduled = true
	s.mu.Unlock()
	if replaced != nil {
		s.engine.dropped.Add(1)
		s.deliver(Result{Tag: replaced.Tag, Dropped: true})
	}
	if !schedule {
		return
	}
	if !s.engine.schedule(s) {
		s.mu.Lock()
		s.scheduled = false
		s.mu.Unlock()
	}
}

// Close stops the session: waiting frames are dropped and no result is
// delivered after the one a worker may be finishing.
func (s *Session) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.engine.sessions.Add(-1)
	}
	s.closed = true
	s.pending = nil
	s.logDropsLocked(time.Now(), true)
}

// logDropsLocked sums drops into at most one line a second per client.
func (s *Session) logDropsLocked(now time.Time, final bool) {
	if s.unlogged == 0 || (!final && now.Sub(s.lastLog) < time.Second) {
		return
	}
	s.log.Warn().Uint64("dropped", s.unlogged).Uint64("dropped_total", s.dropped).
		Msg("client sends faster than it is served; discarded its older frames")
	s.unlogged = 0
	s.lastLog = now
}

// runOne processes the pending frame on w, delivers the result, and puts the
// session back in the engine's queue if a newer frame arrived meanwhile.
func (s *Session) runOne(w *worker) {
	s.mu.Lock()
	q := s.pending
	s.pending = nil
	effects := s.effects
	closed := s.closed
	s.mu.Unlock()
	if q == nil || closed {
		s.finish()
		return
	}
	res := w.process(q, effects, &s.rate, &s.track)
	if res.Err != nil {
		s.engine.refused.Add(1)
	} else {
		s.engine.processed.Add(1)
	}
	if e := s.log.Debug(); e.Enabled() && res.Err == nil {
		t := res.Timings
		e.Int("faces", len(res.Faces)).Dur("queue", t.Queue).Dur("decode", t.Decode).Dur("detect", t.Detect).
			Dur("landmarks", t.Landmarks).Dur("effects", t.Effects).Dur("encode", t.Encode).Dur("total", t.Total()).Msg("frame")
	}
	s.mu.Lock()
	closed = s.closed
	s.mu.Unlock()
	if closed {
		res.Release()
	} else {
		s.deliver(res)
	}
	s.finish()
}

func (s *Session) finish() {
	s.mu.Lock()
	if s.pending == nil || s.closed {
		s.scheduled = false
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	if !s.engine.schedule(s) {
		s.mu.Lock()
		s.scheduled = false
		s.mu.Unlock()
	}
}
