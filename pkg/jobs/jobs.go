// Package jobs runs uploaded videos through the try-on pipeline: a bounded
// queue of jobs, a few processed at once (pkg/video), each with its files
// in its own directory under the data directory, its progress observable
// while it runs, and its result kept for a retention time.
//
// A job's state is written to its directory at every change of state, so
// a restarted server knows its jobs: finished ones are served until they
// expire, and unfinished ones are reported failed ("interrupted"), never
// lost silently. Files are written and removed outside the Manager's
// mutex (disk.go), so a slow disk never stalls a status read or an event
// stream.
//
// The files: jobs.go, the Manager and what callers ask of it; run.go, a
// job from Add to its end; disk.go, a job's directory.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/video"
)

// State is where a job is in its life.
type State string

const (
	Queued     State = "queued"
	Processing State = "processing"
	Done       State = "done"
	Failed     State = "failed"
	Cancelled  State = "cancelled"
)

// Finished says whether the job will change no more.
func (s State) Finished() bool { return s == Done || s == Failed || s == Cancelled }

// Codes of a failed job's error, besides pkg/video's (package apierr's
// table): interrupted, the server stopped while the job was queued or
// running; internal, the server failed and the video may be fine; timeout,
// processing took longer than its frames allow (Deadline); cancelled.
const (
	CodeInterrupted = apierr.CodeInterrupted
	CodeInternal    = apierr.CodeInternal
	CodeTimeout     = apierr.CodeTimeout
	CodeCancelled   = apierr.CodeCancelled
)

// Status is a job as its owner sees it: GET /api/v1/videos/{id}.
type Status struct {
	ID    string `json:"id"`
	State State  `json:"state"`
	// Node is the node processing the job now (with --redis, of several).
	Node string `json:"node,omitempty"`
	// Position is the place in the queue, 1 being next; 0 once started.
	Position    int            `json:"queue_position,omitempty"`
	FramesDone  int            `json:"frames_done"`
	FramesTotal int            `json:"frames_total"`
	FPS         float64        `json:"fps"`         // frames processed per second so far
	TimeLeft    float64        `json:"time_left_s"` // estimated, in seconds
	Error       *Error         `json:"error,omitempty"`
	Effects     []effects.Spec `json:"effects"`
	Input       Input          `json:"input"`
	Created     time.Time      `json:"created"`
	Started     *time.Time     `json:"started,omitempty"`
	Finished    *time.Time     `json:"finished,omitempty"`
	Expires     *time.Time     `json:"expires,omitempty"` // when a finished job's files are removed
	ResultBytes int64          `json:"result_bytes,omitempty"`
}

// Input describes the uploaded video.
type Input struct {
	Name     string  `json:"name,omitempty"` // the file name the client gave
	Bytes    int64   `json:"bytes"`
	Width    int     `json:"width"` // as displayed
	Height   int     `json:"height"`
	FPS      float64 `json:"fps"`
	Duration float64 `json:"duration_s"`
	Rotation int     `json:"rotation"`
	Audio    bool    `json:"audio"`
}

// Error is why a job failed: {code, message} in its status.
type Error = apierr.Error

// Config sets up a Manager. A zero field takes DefaultConfig's value.
type Config struct {
	Dir         string        // the data directory; made if missing
	Concurrent  int           // jobs processed at once (one already uses every batch worker)
	MaxQueued   int           // jobs waiting; past it Add refuses (ErrQueueFull)
	Retention   time.Duration // a finished job's files are removed after this
	Limits      video.Limits  // what an upload may be
	BufferBytes int64         // each job's reorder buffer (video.Options)
	// PreviewFPS bounds the JPEGs made for a job's watchers.
	PreviewFPS float64
	// MaxProbes bounds the uploads checked at once (each runs an ffprobe
	// and an ffmpeg). One more waits up to ProbeWait for its turn, then
	// Add answers ErrBusy.
	MaxProbes int
	ProbeWait time.Duration
	Logger    zerolog.Logger
}

// DefaultConfig is what the server runs with unless flags say otherwise
// (Dir excepted: it has no default).
func DefaultConfig() Config {
	return Config{Concurrent: 1, MaxQueued: 16, Retention: time.Hour, Limits: video.DefaultLimits,
		BufferBytes: video.DefaultBufferBytes, PreviewFPS: 15, MaxProbes: 2, ProbeWait: 2 * time.Second}
}

// WithDefaults fills c's zero fields from DefaultConfig: New's, and the
// cluster's queue's (pkg/jobqueue), which runs jobs by the same Config.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	if c.Concurrent <= 0 {
		c.Concurrent = d.Concurrent
	}
	if c.MaxQueued <= 0 {
		c.MaxQueued = d.MaxQueued
	}
	if c.Retention <= 0 {
		c.Retention = d.Retention
	}
	if c.BufferBytes <= 0 {
		c.BufferBytes = d.BufferBytes
	}
	if c.PreviewFPS <= 0 {
		c.PreviewFPS = d.PreviewFPS
	}
	if c.MaxProbes <= 0 {
		c.MaxProbes = d.MaxProbes
	}
	if c.ProbeWait <= 0 {
		c.ProbeWait = d.ProbeWait
	}
	c.Limits = c.Limits.WithDefaults()
	return c
}

// Preview is where a job's watchers get its frames: pkg/watch's Stream.
type Preview interface {
	Viewers() int
	Publish(jpg []byte)
	Close()
	// ServeHTTP serves the frames to one viewer as they come (MJPEG),
	// within the viewer limits of whoever made the preview.
	http.Handler
}

// ErrQueueFull is Add's answer when MaxQueued jobs wait.
var ErrQueueFull = errors.New("jobs: the queue is full")

// ErrBusy is Add's answer when MaxProbes uploads were being checked for
// all of ProbeWait.
var ErrBusy = errors.New("jobs: as many uploads are being checked as the server allows")

// ErrClosed is the answer of a closed Manager.
var ErrClosed = errors.New("jobs: the manager is closed")

// Manager holds the jobs.
type Manager struct {
	cfg    Config
	engine *pipeline.Engine
	log    zerolog.Logger

	done, failed, cancelled, frames atomic.Uint64 // totals since start
	probes                          chan struct{} // a token per probe running

	mu      sync.Mutex // guards what follows and every job's status; never held across disk work
	jobs    map[string]*job
	queue   []*job // waiting, first next
	running int
	closed  bool
	wg      sync.WaitGroup // the expirer and the running jobs
	stop    chan struct{}
}

type job struct {
	dir     string
	fx      []pipeline.Effect
	info    video.Info // the probe's, for the processing
	preview Preview
	cancel  context.CancelFunc // set while processing
	changed chan struct{}      // closed and replaced at every change
	status  Status             // guarded by Manager.mu
	removed bool               // DELETE: the files go when the job stops
	gone    bool               // out of the map: its files are removed, never written again

	// disk orders the writes and the removal of the job's files: each
	// takes the status under Manager.mu while holding disk, so the last
	// write is of the newest status.
	disk sync.Mutex
}

// New opens the data directory: jobs a previous run left are loaded,
// unfinished ones marked failed, and half-made uploads removed.
func New(cfg Config, engine *pipeline.Engine) (*Manager, error) {
	cfg = cfg.WithDefaults()
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("jobs: the data directory: %w", err)
	}
	m := &Manager{cfg: cfg, engine: engine, log: cfg.Logger, jobs: map[string]*job{}, stop: make(chan struct{}),
		probes: make(chan struct{}, cfg.MaxProbes)}
	if err := m.load(); err != nil {
		return nil, err
	}
	m.wg.Add(1)
	go m.expire()
	return m, nil
}

// Dir is the data directory.
func (m *Manager) Dir() string { return m.cfg.Dir }

// QueueFull says whether Add would refuse a job now: checked before an
// upload is read, so a full server wastes no disk on it.
func (m *Manager) QueueFull() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.queue) >= m.cfg.MaxQueued
}

// Get returns a job's status, and a channel closed at its next change.
func (m *Manager) Get(id string) (Status, <-chan struct{}, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[id]
	if !ok {
		return Status{}, nil, false
	}
	return j.status, j.changed, true
}

// Result is the path of a done job's MP4, with its status.
func (m *Manager) Result(id string) (string, Status, bool) {
	st, _, ok := m.Get(id)
	if !ok {
		return "", st, false
	}
	return filepath.Join(m.cfg.Dir, id, resultName), st, true
}

// Preview is the job's preview stream while it is unfinished.
func (m *Manager) Preview(id string) (Preview, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[id]
	if !ok || j.preview == nil || j.status.State.Finished() {
		return nil, false
	}
	return j.preview, true
}

// Remove cancels a job if it is unfinished, and removes it and its files;
// false if there is no such job.
func (m *Manager) Remove(id string) bool {
	m.mu.Lock()
	j, ok := m.jobs[id]
	if !ok {
		m.mu.Unlock()
		return false
	}
	if j.status.State == Processing {
		j.removed = true // run removes the files once the ffmpegs are stopped
		j.cancel()
		m.mu.Unlock()
		return true
	}
	if i := slices.Index(m.queue, j); i >= 0 {
		m.queue = slices.Delete(m.queue, i, i+1)
		m.positionsLocked()
	}
	if j.preview != nil {
		j.preview.Close()
	}
	if !j.status.State.Finished() {
		m.cancelled.Add(1)
		j.status.State = Cancelled
	}
	m.forgetLocked(j)
	m.mu.Unlock()
	m.removeFiles(j)
	return true
}

// forgetLocked takes j out of the map; the caller removes its files once
// the mutex is released.
func (m *Manager) forgetLocked(j *job) {
	j.gone = true
	delete(m.jobs, j.status.ID)
	m.notifyLocked(j)
}

func (m *Manager) notifyLocked(j *job) {
	close(j.changed)
	j.changed = make(chan struct{})
}

// Stats count the jobs, for /api/v1/stats and /metrics.
type Stats struct {
	Queued     int `json:"queued"`
	Processing int `json:"processing"`
	Finished   int `json:"finished"` // kept until they expire
	// Totals since the server started.
	Done      uint64 `json:"done_total"`
	Failed    uint64 `json:"failed_total"`
	Cancelled uint64 `json:"cancelled_total"`
	Frames    uint64 `json:"frames_total"` // written into results, of every job
}

// Stats returns the counts.
func (m *Manager) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Stats{Queued: len(m.queue), Processing: m.running,
		Done: m.done.Load(), Failed: m.failed.Load(), Cancelled: m.cancelled.Load(), Frames: m.frames.Load()}
	s.Finished = len(m.jobs) - s.Queued - s.Processing
	return s
}

// expire removes finished jobs past their retention, every so often.
func (m *Manager) expire() {
	defer m.wg.Done()
	every := min(time.Minute, max(time.Second, m.cfg.Retention/10))
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case now := <-t.C:
			var expired []*job
			m.mu.Lock()
			for _, j := range m.jobs {
				if j.status.State.Finished() && j.status.Expires != nil && now.After(*j.status.Expires) {
					expired = append(expired, j)
				}
			}
			for _, j := range expired {
				m.forgetLocked(j)
			}
			m.mu.Unlock()
			for _, j := range expired {
				m.removeFiles(j)
			}
		}
	}
}

// Close cancels the running jobs (a restart reports them failed) and
// waits, until ctx is done, for them and the expirer to stop. It may be
// called again, to wait longer.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	if !m.closed {
		m.closed = true
		close(m.stop)
		for _, j := range m.jobs {
			if j.cancel != nil && j.status.State == Processing {
				j.cancel()
			}
		}
	}
	m.mu.Unlock()
	stopped := make(chan struct{})
	go func() {
		m.wg.Wait()
		close(stopped)
	}()
	select {
	case <-stopped:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("jobs: close: %w", ctx.Err())
	}
}
