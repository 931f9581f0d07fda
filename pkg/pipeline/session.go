package pipeline

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"gocv.io/x/gocv"

	"github.com/livetryon/server/pkg/frame"
	"github.com/livetryon/server/pkg/landmarks"
)

// Input is one frame as a client sent it: JPEG bytes, or a JPEG data URL
// that a worker decodes (so base64 never runs on a transport's reader), or
// a picture a video track's decoder already made. Exactly one of JPEG,
// DataURL and Image is set. Tag is opaque to the pipeline and comes back
// in the Result, for transports to match answers to requests.
type Input struct {
	JPEG    []byte
	DataURL string
	// Image is a BGR picture (CV_8UC3). The session owns it from Submit on,
	// whatever Submit returns, and closes it.
	Image *gocv.Mat
	Tag   any
	// Captured is when the camera took the frame, if known; smoothing uses
	// the time between frames. Zero means the time of Submit.
	Captured time.Time
}

// release closes the input's picture, if it has one.
func (in *Input) release() {
	if in.Image != nil {
		in.Image.Close()
		in.Image = nil
	}
}

// Encoder encodes a session's answered pictures for its transport instead
// of as JPEG: a video codec, whose frames depend on the ones before. It is
// called on a worker, for one frame at a time, in the order of the
// answers, with the time the frame was captured (or submitted).
type Encoder interface {
	Encode(img gocv.Mat, captured time.Time) (EncodedFrame, error)
}

// EncodedFrame is one answered picture as a session's Encoder wrote it.
type EncodedFrame struct {
	// Seq numbers the encoder's frames from 1. A video codec's frames are
	// predicted from those before, so a gap (a frame the client layer's
	// outbox replaced by a newer one) tells the transport its peer's
	// decoder would predict from a frame it never got.
	Seq uint64
	// Key is set for a frame that decodes alone (a key frame, or a raw
	// picture).
	Key bool
	// Data is the frame, in Go memory the receiver may keep.
	Data []byte
}

// Output is what a session's answers carry.
type Output int

const (
	// OutputImage answers with the processed JPEG and the faces.
	OutputImage Output = iota
	// OutputLandmarks answers with the faces only: no effects are drawn and
	// no JPEG is encoded, for frontends that draw their own.
	OutputLandmarks
)

// QueuePolicy is how a session holds frames that wait for a worker.
type QueuePolicy int

const (
	// NewestWins keeps only the newest waiting frame: a newer frame replaces
	// one not yet started, which is answered Dropped. For live video, where
	// latency must never build up. Submit never blocks.
	NewestWins QueuePolicy = iota
	// Ordered keeps up to QueueDepth frames in order and processes every
	// one; Submit waits for room (back-pressure). For video files.
	Ordered
)

// SessionOptions set up a session. Zero values are a live camera client:
// newest frame wins, image output, no effects.
type SessionOptions struct {
	ID         string // for logs
	Effects    []Effect
	Output     Output
	Queue      QueuePolicy
	QueueDepth int // Ordered only; default 8
	// Encoder, if set, encodes the answers instead of JPEG (Result.Encoded).
	Encoder Encoder
	// NoOverlay leaves out the FPS stamp a live client's answers carry by
	// default (the classic tutorial's clients expect it; pages that show
	// the rate in their own UI, or save snapshots, do not want it).
	NoOverlay bool
	// Batch marks work no one watches live (a video file): its frames go
	// to the batch workers, whose threads run at the lowest CPU priority,
	// so live frames get the CPU first. Its frames' Captured times are the
	// video's own clock, which paces re-detection, and no rate is stamped
	// on them.
	Batch bool
	// Scenes, if set, shares the scenes found empty with the other
	// sessions given the same one: the segments of one video file.
	Scenes *SceneMemory
}

// Receiver takes a session's results. Receive is called on a worker for
// processed and refused frames, and on the goroutine calling Submit for a
// frame that Submit replaced (Dropped). It must not block: hand the result
// to the network and return.
type Receiver interface {
	Receive(Result)
}

// ReceiverFunc makes a function a Receiver.
type ReceiverFunc func(Result)

// Receive calls f(r).
func (f ReceiverFunc) Receive(r Result) { f(r) }

// Result is the answer to one Input.
type Result struct {
	Tag any
	// Dropped is set when a newer frame replaced this one before a worker
	// took it; nothing else is then. Transports that promised an answer per
	// frame (acknowledgements) answer with it; others ignore it.
	Dropped bool
	// Err is set when the frame was refused; nothing else is then.
	Err *frame.Error
	// JPEG is the answered frame, unless the output is OutputLandmarks or
	// the session has an Encoder. It points into C memory and is valid
	// until Release.
	JPEG []byte
	// Encoded is the answered frame as the session's Encoder wrote it
	// (Data nil without an Encoder).
	Encoded       EncodedFrame
	Width, Height int
	Faces         []landmarks.Face
	FPS           float64 // this session's answered frames per second
	// Tracked is set when the faces were placed from the session's previous
	// landmarks rather than found by the detector.
	Tracked bool
	Timings Timings
	release func()
}

// Release frees the answered JPEG. Receivers must call it once they have
// copied or sent r.JPEG.
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

// Session is one client's slot in the engine: it holds that client's
// waiting frames, its effects, its FPS meter and its face tracker.
type Session struct {
	engine *Engine
	to     Receiver
	log    zerolog.Logger
	policy QueuePolicy
	depth  int
	space  chan struct{} // Ordered: signalled when a frame leaves the queue
	done   chan struct{} // closed by Close

	mu        sync.Mutex
	waiting   []queued // oldest first; at most depth
	scheduled bool     // queued in the engine or being processed
	closed    bool
	effects   []Effect
	output    Output
	encoder   Encoder
	batch     bool
	overlay   bool   // stamp the FPS on live answers
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

// NewSession opens a session whose results go to to.
func (e *Engine) NewSession(opts SessionOptions, to Receiver) *Session {
	if opts.Batch {
		e.startBatchWorkers()
	}
	e.sessionCount(opts.Batch).Add(1)
	depth := 1
	if opts.Queue == Ordered {
		depth = opts.QueueDepth
		if depth <= 0 {
			depth = 8
		}
	}
	return &Session{
		engine:  e,
		to:      to,
		log:     e.log.With().Str("client", opts.ID).Logger(),
		policy:  opts.Queue,
		depth:   depth,
		space:   make(chan struct{}, 1),
		done:    make(chan struct{}),
		effects: opts.Effects,
		output:  opts.Output,
		encoder: opts.Encoder,
		batch:   opts.Batch,
		overlay: !opts.NoOverlay && !opts.Batch,
		lastLog: time.Now(), // the first line sums the first period, as later ones do
		track:   tracker{search: search{shared: opts.Scenes}},
	}
}

// sessionCount is the counter of live or of batch sessions.
func (e *Engine) sessionCount(batch bool) *atomic.Int64 {
	if batch {
		return &e.batchSessions
	}
	return &e.sessions
}

// SetEffects replaces the effects applied to this session's next frames.
func (s *Session) SetEffects(effects ...Effect) {
	s.mu.Lock()
	s.effects = effects
	s.mu.Unlock()
}

// SetOutput changes what this session's next answers carry.
func (s *Session) SetOutput(o Output) {
	s.mu.Lock()
	s.output = o
	s.mu.Unlock()
}

// SetOverlay turns the FPS stamp on this session's next answers on or
// off. A batch session never has one.
func (s *Session) SetOverlay(on bool) {
	s.mu.Lock()
	s.overlay = on && !s.batch
	s.mu.Unlock()
}

// Dropped is how many frames were replaced by newer ones before processing.
func (s *Session) Dropped() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Submit queues in. Under NewestWins it returns at once, and a frame still
// waiting from before is answered Dropped. Under Ordered it waits while the
// queue is full, until there is room or ctx is done. It returns ErrClosed
// when the session or the engine is closed, and then no answer comes.
func (s *Session) Submit(ctx context.Context, in Input) error {
	for {
		now := time.Now()
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			in.release()
			return ErrClosed
		}
		var replaced *Input
		switch {
		case len(s.waiting) < s.depth:
			s.waiting = append(s.waiting, queued{in: in, at: now})
		case s.policy == NewestWins:
			old := s.waiting[0].in
			replaced = &old
			s.waiting[0] = queued{in: in, at: now}
			s.dropped++
			s.unlogged++
			s.logDropsLocked(now, false)
		default: // Ordered and full: wait for room
			s.mu.Unlock()
			select {
			case <-s.space:
				continue
			case <-s.done:
				in.release()
				return ErrClosed
			case <-ctx.Done():
				in.release()
				return ctx.Err()
			}
		}
		schedule := !s.scheduled
		s.scheduled = true
		s.mu.Unlock()
		if replaced != nil {
			replaced.release()
			s.engine.dropped.Add(1)
			s.to.Receive(Result{Tag: replaced.Tag, Dropped: true})
		}
		if schedule && !s.engine.schedule(s) {
			s.mu.Lock()
			s.scheduled = false
			s.releaseWaitingLocked()
			s.mu.Unlock()
			return ErrClosed
		}
		return nil
	}
}

// Close stops the session: waiting frames are dropped without an answer,
// and no result is delivered after the one a worker may be finishing.
func (s *Session) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if open := s.engine.sessionCount(s.batch).Add(-1); !s.batch {
		s.engine.liveSessionsChanged(open)
	}
	s.closed = true
	close(s.done)
	s.releaseWaitingLocked()
	s.logDropsLocked(time.Now(), true)
}

// releaseWaitingLocked discards the frames waiting, unanswered.
func (s *Session) releaseWaitingLocked() {
	for i := range s.waiting {
		s.waiting[i].in.release()
	}
	s.waiting = nil
}

// dropLogEvery is how often a client's drops are summed into a log line.
const dropLogEvery = 10 * time.Second

// logDropsLocked sums drops into at most one line per dropLogEvery per
// client, and one at the end. A session with an Encoder answers a video
// track, whose camera sends at its own rate whatever the server manages:
// there, drops are the pacing working, so they are logged at debug level,
// not as a warning about the client.
func (s *Session) logDropsLocked(now time.Time, final bool) {
	if s.unlogged == 0 || (!final && now.Sub(s.lastLog) < dropLogEvery) {
		return
	}
	ev := s.log.Warn()
	if s.encoder != nil {
		ev = s.log.Debug()
	}
	ev.Uint64("dropped", s.unlogged).Uint64("dropped_total", s.dropped).Dur("over", now.Sub(s.lastLog)).
		Msg("client sends faster than it is served; discarded its older frames")
	s.unlogged = 0
	s.lastLog = now
}

// run processes the oldest waiting frame on w, delivers the result, and puts
// the session back in the engine's queue if more frames wait.
func (s *Session) run(w *worker) {
	s.mu.Lock()
	var q queued
	ok := len(s.waiting) > 0 && !s.closed
	if ok {
		q = s.waiting[0]
		s.waiting[0] = queued{}
		s.waiting = s.waiting[1:]
	}
	job := frameJob{effects: s.effects, output: s.output, encoder: s.encoder, batch: s.batch, overlay: s.overlay, rate: &s.rate, track: &s.track, engine: s.engine}
	s.mu.Unlock()
	if !ok {
		s.finish()
		return
	}
	select {
	case s.space <- struct{}{}:
	default:
	}
	res := w.process(q, job)
	s.engine.count(res)
	if e := s.log.Debug(); e.Enabled() && res.Err == nil {
		t := res.Timings
		e.Int("faces", len(res.Faces)).Dur("queue", t.Queue).Dur("decode", t.Decode).Dur("detect", t.Detect).
			Dur("landmarks", t.Landmarks).Dur("effects", t.Effects).Dur("encode", t.Encode).Dur("total", t.Total()).Msg("frame")
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		res.Release()
	} else {
		s.to.Receive(res)
	}
	s.finish()
}

// cancel is called when the engine closes with the session still queued:
// its waiting frames are released unanswered and it is no longer marked
// scheduled, so the next Submit tries to schedule it again and gets
// ErrClosed, instead of queueing a frame no worker will take. An Ordered
// submitter waiting for room is woken to find that out.
func (s *Session) cancel() {
	s.mu.Lock()
	s.scheduled = false
	s.releaseWaitingLocked()
	s.mu.Unlock()
	select {
	case s.space <- struct{}{}:
	default:
	}
}

func (s *Session) finish() {
	s.mu.Lock()
	if len(s.waiting) == 0 || s.closed {
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
