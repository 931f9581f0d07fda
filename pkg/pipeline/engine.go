// Package pipeline turns untrusted frames into try-on frames: decode, find
// faces and landmarks, draw effects, stamp the client's FPS, encode.
//
// Live clients reach it through package client, which opens a Session for
// each and submits its frames; video jobs (package video) and photos
// (Process) call it directly. The Engine's workers process frames and hand
// each Result to the session's Receiver. A live session keeps only its
// newest unprocessed frame (NewestWins), so latency cannot build up: a
// frame that is replaced before a worker takes it is dropped and counted.
// A video job's session keeps its frames in order instead (Ordered).
//
// Workers take live sessions first, in the order they became ready, one
// frame at a time each, so a client that floods the server gets no more of
// it than one that does not; then background detections; then photos, on
// all workers but one, so a photo never holds back every live client.
// Batch sessions (video jobs) run on workers of their own whose threads
// have the lowest CPU priority (batch.go).
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/frame"
	"github.com/livetryon/server/pkg/landmarks"
)

// Effect is what the pipeline draws with; effects.Build makes them.
type Effect = effects.Effect

// Config sets up an Engine. Zero fields take the defaults noted.
type Config struct {
	ModelPath   string       // default landmarks.DefaultModelPath
	Workers     int          // default runtime.NumCPU()
	Limits      frame.Limits // default frame.DefaultLimits
	JPEGQuality int          // of answered frames, 1..100; default 80
	// MinFace is the smallest face to find, as a fraction of the frame's
	// width (dlib's box). Frames are scaled for detection so that such a
	// face is as wide as the smallest one HOG finds (MinDetectableFace),
	// whatever the camera's resolution: 1/8 gives a 480 px wide detection
	// frame, so a 1920x1080 frame costs what a 640x480 one does. Default
	// 0.125.
	MinFace float64
	// DetectWidth, if set, fixes the detection width instead; landmarks
	// are still fitted at full resolution. A width at or above the frame's
	// detects at full resolution.
	DetectWidth int
	// LandmarkCascades, if set, fits each face with only the shape model's
	// first cascades of its 15; 0 uses them all. Each cascade refines what
	// the ones before left, and a fit's cost and the model's memory grow
	// with their number: 10 fit in 1.7 ms where 15 take 2.9 (with the cold
	// caches of a busy server). But fewer converge less, and tracking, which
	// places each box from the last fit, drifts: on the shared webcam clip
	// the worst frame is 23% of the inter-ocular distance off fresh
	// detection with 12, against 6% with all 15. So all is the default.
	LandmarkCascades int
	// RedetectEvery runs the face detector on every n-th frame of a client
	// and tracks faces from their landmarks in between; 1 detects on every
	// frame, and lifts the search's budget (search.go). While faces are tracked the detection runs beside the answer
	// path (redetect.go), so a new face is in the answers at most n frames
	// after the detector can see it (TestFaceEnteringIsFound), or
	// RedetectInterval and a frame for a client faster than n frames in
	// that time.
	RedetectEvery int
	// RedetectInterval is the least time between two periodic detections
	// of a session, by the frames' arrival: the n frames of RedetectEvery
	// are 167 ms at 30 fps, but a client sending as fast as it is answered
	// (100-250 frames/s on loopback) would otherwise pay for a detection
	// every few milliseconds to find a new face no sooner in time. 0 counts
	// frames only. It never delays a detection that tracking needs (no face
	// tracked, a scene change); those are paced by the search's budget
	// instead (search.go).
	RedetectInterval time.Duration
	// NoSmoothing turns off the One Euro filter on landmarks, which keeps a
	// still face's effects still without making a moving face's lag.
	NoSmoothing bool
	// PhotoQueue bounds the photos (Process) waiting for a worker; past it
	// Process returns ErrBusy. Photos run at a lower priority than live
	// frames: a worker takes one only when no live frame waits, and they
	// never hold more than Workers-1 workers. Default 8.
	PhotoQueue int
	// Delay is added to every frame's processing. For tests that need a
	// slow server; never set it in production.
	Delay  time.Duration
	Logger zerolog.Logger
}

// DefaultConfig is what the server runs with unless flags say otherwise.
func DefaultConfig() Config {
	return Config{
		ModelPath:        landmarks.DefaultModelPath,
		Workers:          runtime.NumCPU(),
		Limits:           frame.DefaultLimits,
		JPEGQuality:      80,
		MinFace:          0.125,
		RedetectEvery:    5,
		RedetectInterval: 150 * time.Millisecond,
		PhotoQueue:       8,
		Logger:           zerolog.Nop(),
	}
}

// ErrClosed is returned by Submit and Process when the session or the
// engine is closed; the frame is not processed and no answer comes.
var ErrClosed = errors.New("pipeline: closed")

// ErrBusy is returned by Process when PhotoQueue photos already wait.
var ErrBusy = errors.New("pipeline: the photo queue is full")

// job is what a worker runs: a session's next frame, or one photo.
type job interface {
	run(w *worker)
	cancel() // the engine closed before a worker took the job
}

// Engine owns the shared landmark model and the worker pool.
type Engine struct {
	cfg       Config
	predictor *landmarks.Predictor
	log       zerolog.Logger

	mu    sync.Mutex
	wake  *sync.Cond
	ready []job // sessions with a frame waiting and none running; oldest first
	// background are detections beside the answer path (redetect.go),
	// taken when no live frame waits, before photos.
	background []job
	// batch are sessions of batch work (video files), taken only by the
	// batch workers: threads of their own at the lowest CPU priority
	// (batch.go), so the kernel gives a live frame's worker the CPU first.
	batch     []job
	batchWake *sync.Cond
	batchPool []*worker // started by the first batch session (batch.go)
	batchOnce sync.Once
	photoQ    []*photo // photos waiting, oldest first: taken when ready and background are empty
	// photosRunning are photos on a worker now, at most maxPhotosRunning.
	photosRunning int
	closed        bool
	stopped       chan struct{} // closed once the workers have ended and the model is freed
	wg            sync.WaitGroup

	workers []*worker
	alive   atomic.Int64 // workers running

	started                             time.Time
	sessions                            atomic.Int64 // live ones
	batchSessions                       atomic.Int64
	processed, refused, dropped, photos atomic.Uint64
	busy                                atomic.Uint64 // photos refused: the queue was full
	detections, backgroundDetections    atomic.Uint64
	rechecks, rechecksSkipped           atomic.Uint64
	regionSearches                      atomic.Uint64
}

// Stats are the engine's counters since it started.
type Stats struct {
	Sessions        int64  `json:"sessions"`         // live sessions open now; photos are not sessions
	BatchSessions   int64  `json:"batch_sessions"`   // sessions of video files' segments open now
	FramesProcessed uint64 `json:"frames_processed"` // answered, photos included
	Photos          uint64 `json:"photos"`           // one-shot photos answered (Process)
	PhotosBusy      uint64 `json:"photos_busy"`      // photos refused because PhotoQueue were waiting
	FramesDropped   uint64 `json:"frames_dropped"`   // replaced by a newer frame before processing
	FramesRefused   uint64 `json:"frames_refused"`   // bad input
	// Detections ran on live frames' answer path (no face tracked, a scene
	// change); BackgroundDetections beside it (redetect.go), over the whole
	// frame; Rechecks beside it too, around the tracked faces only
	// (recheck.go), and in place for video files.
	Detections           uint64 `json:"detections"`
	BackgroundDetections uint64 `json:"background_detections"`
	Rechecks             uint64 `json:"rechecks"`
	// RechecksSkipped were due but not run: the faces' surroundings were
	// the picture the last detection saw (recheck.go).
	RechecksSkipped uint64 `json:"rechecks_skipped"`
	// RegionSearches are rechecks that also searched the part of the
	// frame that changed since the last search (recheck.go), beside the
	// answers or, for video files, in place.
	RegionSearches uint64  `json:"region_searches"`
	Workers        int     `json:"workers"`
	UptimeSeconds  float64 `json:"uptime_s"`
}

// Stats returns the counters.
func (e *Engine) Stats() Stats {
	return Stats{
		Sessions: e.sessions.Load(), BatchSessions: e.batchSessions.Load(), FramesProcessed: e.processed.Load(), Photos: e.photos.Load(), PhotosBusy: e.busy.Load(), FramesDropped: e.dropped.Load(),
		FramesRefused: e.refused.Load(), Detections: e.detections.Load(), BackgroundDetections: e.backgroundDetections.Load(), Rechecks: e.rechecks.Load(), RechecksSkipped: e.rechecksSkipped.Load(), RegionSearches: e.regionSearches.Load(),
		Workers: e.cfg.Workers, UptimeSeconds: time.Since(e.started).Seconds(),
	}
}

// New loads the model and starts the workers.
func New(cfg Config) (*Engine, error) {
	def := DefaultConfig()
	if cfg.ModelPath == "" {
		cfg.ModelPath = def.ModelPath
	}
	if cfg.Workers <= 0 {
		cfg.Workers = def.Workers
	}
	if cfg.Limits == (frame.Limits{}) {
		cfg.Limits = def.Limits
	}
	if cfg.MinFace <= 0 || cfg.MinFace > 1 {
		cfg.MinFace = def.MinFace
	}
	if cfg.PhotoQueue <= 0 {
		cfg.PhotoQueue = def.PhotoQueue
	}
	if cfg.JPEGQuality <= 0 || cfg.JPEGQuality > 100 {
		cfg.JPEGQuality = def.JPEGQuality
	}
	pred, err := landmarks.LoadPredictorCascades(cfg.ModelPath, cfg.LandmarkCascades)
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, predictor: pred, log: cfg.Logger, started: time.Now(), stopped: make(chan struct{})}
	e.wake = sync.NewCond(&e.mu)
	e.batchWake = sync.NewCond(&e.mu)
	workers := make([]*worker, cfg.Workers)
	for i := range workers {
		if workers[i], err = newWorker(e); err != nil {
			for _, w := range workers[:i] {
				w.close()
			}
			pred.Close()
			return nil, fmt.Errorf("pipeline: worker %d: %w", i, err)
		}
	}
	e.workers = workers
	for _, w := range e.workers {
		e.wg.Add(1)
		e.alive.Add(1)
		go e.run(w)
	}
	return e, nil
}

// Config returns the engine's effective configuration.
func (e *Engine) Config() Config { return e.cfg }

// Close stops the workers after the frames they are processing; frames still
// waiting are dropped, and photos waiting get ErrClosed. It waits, until ctx
// is done, for the workers to finish, and then frees the model; the error is
// ctx's, wrapped, when the wait was cut short (the workers then finish, and
// the model is freed, without a caller). It may be called again, to wait
// longer.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	var waiting []job
	if !e.closed {
		e.closed = true
		waiting = e.ready
		waiting = append(waiting, e.background...)
		waiting = append(waiting, e.batch...)
		for _, p := range e.photoQ {
			waiting = append(waiting, p)
		}
		e.ready, e.background, e.batch, e.photoQ = nil, nil, nil, nil
		e.wake.Broadcast()
		e.batchWake.Broadcast()
		go func() {
			e.wg.Wait()
			e.predictor.Close()
			close(e.stopped)
		}()
	}
	e.mu.Unlock()
	for _, j := range waiting {
		j.cancel()
	}
	select {
	case <-e.stopped:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("pipeline: workers still busy: %w", context.Cause(ctx))
	}
}

// schedule queues a session with a frame waiting: a batch one for the
// batch workers, once they run; any other for the live workers.
func (e *Engine) schedule(j job) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	if s, ok := j.(*Session); ok && s.batch && len(e.batchPool) > 0 {
		e.batch = append(e.batch, j)
		// Every batch worker is woken: one that may not work now (a camera
		// is connected) would otherwise take the only signal.
		e.batchWake.Broadcast()
		return true
	}
	e.ready = append(e.ready, j)
	e.wake.Signal()
	return true
}

// scheduleBackground queues a job that yields to live frames.
func (e *Engine) scheduleBackground(j job) bool { return e.enqueue(&e.background, e.wake, j) }

// enqueue adds j to queue and wakes one of the workers that take it.
func (e *Engine) enqueue(queue *[]job, wake *sync.Cond, j job) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	*queue = append(*queue, j)
	wake.Signal()
	return true
}

func (e *Engine) count(res Result) {
	if res.Err != nil {
		e.refused.Add(1)
	} else {
		e.processed.Add(1)
	}
}

// maxPhotosRunning is how many workers photos may hold at once: all but
// one, so a live frame never waits for photos on a server with two workers
// or more.
func (e *Engine) maxPhotosRunning() int { return max(1, len(e.workers)-1) }

// next blocks until a job is ready, or returns nil when closed. Live
// frames come first; then background detections, then photos.
func (e *Engine) next() job {
	e.mu.Lock()
	defer e.mu.Unlock()
	for {
		if e.closed {
			return nil
		}
		switch {
		case len(e.ready) > 0:
			s := e.ready[0]
			e.ready[0] = nil
			e.ready = e.ready[1:]
			return s
		case len(e.background) > 0:
			j := e.background[0]
			e.background[0] = nil
			e.background = e.background[1:]
			return j
		case len(e.photoQ) > 0 && e.photosRunning < e.maxPhotosRunning():
			p := e.photoQ[0]
			e.photoQ[0] = nil
			e.photoQ = e.photoQ[1:]
			e.photosRunning++
			return p
		}
		e.wake.Wait()
	}
}

// photoDone frees a photo's place on the workers.
func (e *Engine) photoDone() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.photosRunning--
	if len(e.photoQ) > 0 {
		e.wake.Signal()
	}
}

func (e *Engine) run(w *worker) {
	defer e.wg.Done()
	defer e.alive.Add(-1)
	defer w.close()
	// dlib and OpenCV keep per-thread caches; staying on one OS thread keeps
	// them warm.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for {
		j := e.next()
		if j == nil {
			return
		}
		w.busySince.Store(time.Now().UnixNano())
		j.run(w)
		w.busySince.Store(0)
	}
}

// StuckAfter is how long one frame may hold a worker before Ready says the
// engine is not ready: no frame the input checks let through takes a
// tenth of it.
const StuckAfter = 30 * time.Second

// Ready reports whether the engine can answer frames: the model is loaded
// (New would have failed otherwise), it is not closing, every worker is
// running, and none has been on one frame for StuckAfter. For /readyz.
func (e *Engine) Ready() error {
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if n := e.alive.Load(); n < int64(len(e.workers)) {
		return fmt.Errorf("pipeline: %d of %d workers running", n, len(e.workers))
	}
	now := time.Now().UnixNano()
	for i, w := range e.workers {
		if since := w.busySince.Load(); since != 0 && time.Duration(now-since) > StuckAfter {
			return fmt.Errorf("pipeline: worker %d has been on one frame for %v", i, time.Duration(now-since).Round(time.Second))
		}
	}
	return nil
}

// PhotoOptions say what to do with one photo.
type PhotoOptions struct {
	Effects []Effect
	Output  Output
}

// Process answers one photo: faces are detected at full resolution, small
// photos upsampled first, with no tracking, smoothing or FPS overlay. It
// waits for a worker like any session's frame does, and returns ctx's error
// if ctx ends first, or ErrClosed. A nil error means res.Err may still say
// the photo was refused; the caller must Release res.
func (e *Engine) Process(ctx context.Context, in Input, opts PhotoOptions) (Result, error) {
	p := &photo{in: queued{in: in, at: time.Now()}, opts: opts, done: make(chan Result, 1), engine: e}
	e.mu.Lock()
	switch {
	case e.closed:
		e.mu.Unlock()
		return Result{}, ErrClosed
	case len(e.photoQ) >= e.cfg.PhotoQueue:
		e.mu.Unlock()
		e.busy.Add(1)
		return Result{}, ErrBusy
	}
	e.photoQ = append(e.photoQ, p)
	e.wake.Signal()
	e.mu.Unlock()
	select {
	case res, ok := <-p.done:
		if !ok {
			return Result{}, ErrClosed
		}
		return res, nil
	case <-ctx.Done():
		p.abandon()
		return Result{}, ctx.Err()
	}
}

// photo is one Process call waiting for, or on, a worker.
type photo struct {
	engine *Engine
	in     queued
	opts   PhotoOptions
	done   chan Result // gets the result, or is closed on cancel

	mu        sync.Mutex
	abandoned bool // Process returned: free the result when it comes
}

func (p *photo) run(w *worker) {
	defer p.engine.photoDone()
	p.mu.Lock()
	gone := p.abandoned
	p.mu.Unlock()
	if gone {
		return
	}
	res := w.process(p.in, frameJob{effects: p.opts.Effects, output: p.opts.Output, still: true})
	p.engine.count(res)
	p.engine.photos.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.abandoned {
		res.Release()
		return
	}
	p.done <- res
}

func (p *photo) cancel() { close(p.done) }

func (p *photo) abandon() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.abandoned = true
	select {
	case res, ok := <-p.done: // it came meanwhile
		if ok {
			res.Release()
		}
	default:
	}
}
