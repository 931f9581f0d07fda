// Package jobs runs uploaded videos through the try-on pipeline: a bounded
// queue of jobs, a few processed at once (pkg/video), each with its files
// in its own directory under the data directory, its progress observable
// while it runs, and its result kept for a retention time.
//
// A job's state is written to its directory at every change of state, so
// a restarted server knows its jobs: finished ones are served until they
// expire, and unfinished ones are reported failed ("interrupted"), never
// lost silently.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
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

// Config sets up a Manager.
type Config struct {
	Dir         string        // the data directory; made if missing
	Concurrent  int           // jobs processed at once; default 1 (one already uses every batch worker)
	MaxQueued   int           // jobs waiting; past it Add refuses (ErrQueueFull); default 16
	Retention   time.Duration // a finished job's files are removed after this; default 1 hour
	Limits      video.Limits  // what an upload may be
	BufferBytes int64         // each job's reorder buffer (video.Options); default video's
	// PreviewFPS bounds the JPEGs made for a job's watchers; default 15.
	PreviewFPS float64
	// MaxProbes bounds the uploads checked at once (each runs an ffprobe
	// and an ffmpeg); default 2. One more waits up to ProbeWait (default
	// 2 s) for its turn, then Add answers ErrBusy.
	MaxProbes int
	ProbeWait time.Duration
	Logger    zerolog.Logger
}

// Preview is where a job's watchers get its frames: pkg/watch's Stream.
type Preview interface {
	Viewers() int
	Publish(jpg []byte)
	Close()
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

	mu      sync.Mutex
	jobs    map[string]*job
	queue   []*job // waiting, first next
	running int
	closed  bool
	wg      sync.WaitGroup
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
}

// record is what a job's directory keeps of it across restarts.
type record struct {
	Status Status `json:"status"`
}

// New opens the data directory: jobs a previous run left are loaded,
// unfinished ones marked failed, and half-made uploads removed.
func New(cfg Config, engine *pipeline.Engine) (*Manager, error) {
	if cfg.Concurrent <= 0 {
		cfg.Concurrent = 1
	}
	if cfg.MaxQueued <= 0 {
		cfg.MaxQueued = 16
	}
	if cfg.Retention <= 0 {
		cfg.Retention = time.Hour
	}
	if cfg.PreviewFPS <= 0 {
		cfg.PreviewFPS = 15
	}
	cfg.Limits = cfg.Limits.WithDefaults()
	if cfg.MaxProbes <= 0 {
		cfg.MaxProbes = 2
	}
	if cfg.ProbeWait <= 0 {
		cfg.ProbeWait = 2 * time.Second
	}
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

// load reads the jobs a previous run left.
func (m *Manager) load() error {
	entries, err := os.ReadDir(m.cfg.Dir)
	if err != nil {
		return fmt.Errorf("jobs: the data directory: %w", err)
	}
	now := time.Now()
	for _, e := range entries {
		dir := filepath.Join(m.cfg.Dir, e.Name())
		if !e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, "job.json"))
		var rec record
		if err != nil || json.Unmarshal(b, &rec) != nil || rec.Status.ID != e.Name() {
			os.RemoveAll(dir) // an upload that never became a job
			continue
		}
		j := &job{dir: dir, changed: make(chan struct{}), status: rec.Status}
		if !j.status.State.Finished() {
			j.status.State = Failed
			j.status.Error = &Error{Code: CodeInterrupted, Message: "the server stopped before this video was finished; upload it again"}
			j.status.Finished = &now
			j.status.Position = 0
			os.Remove(filepath.Join(dir, resultPart))
			m.log.Warn().Str("job", Short(j.status.ID)).Msg("video job interrupted by a restart: marked failed")
		}
		if j.status.State != Done {
			os.Remove(filepath.Join(dir, inputName)) // nothing will use it again
		}
		m.setExpiry(j)
		m.persist(j)
		m.jobs[j.status.ID] = j
	}
	return nil
}

// File names in a job's directory.
const (
	inputName  = "input"
	resultName = "result.mp4"
	resultPart = "result.mp4.part"
)

// Short is the prefix of a job id that logs carry: a job's id is its
// owner's key to it (whoever has it can watch, download and DELETE), so
// the whole of it is never written to a log.
func Short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// NewUpload makes a directory for an upload and returns its id and the
// path to write the file to. The caller passes both to Add, or calls
// Discard.
func (m *Manager) NewUpload() (id, path string, err error) {
	b := make([]byte, 16)
	rand.Read(b)
	id = hex.EncodeToString(b)
	dir := filepath.Join(m.cfg.Dir, id)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("jobs: %w", err)
	}
	return id, filepath.Join(dir, inputName), nil
}

// Discard removes an upload that did not become a job.
func (m *Manager) Discard(id string) {
	if len(id) == 32 {
		os.RemoveAll(filepath.Join(m.cfg.Dir, id))
	}
}

// QueueFull says whether Add would refuse a job now: checked before an
// upload is read, so a full server wastes no disk on it.
func (m *Manager) QueueFull() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.queue) >= m.cfg.MaxQueued
}

// Add probes the upload id (from NewUpload) and queues it as a job. A
// file that is not an acceptable video gets a *video.Error, and its
// upload is removed, as it is on any error.
func (m *Manager) Add(ctx context.Context, id, name string, fx []pipeline.Effect, preview Preview) (Status, error) {
	dir := filepath.Join(m.cfg.Dir, id)
	path := filepath.Join(dir, inputName)
	fail := func(err error) (Status, error) {
		os.RemoveAll(dir)
		if preview != nil {
			preview.Close()
		}
		return Status{}, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return fail(err)
	}
	// At most MaxProbes at once: each is two ffmpeg processes.
	wait := time.NewTimer(m.cfg.ProbeWait)
	select {
	case m.probes <- struct{}{}:
		wait.Stop()
	case <-wait.C:
		return fail(ErrBusy)
	case <-ctx.Done():
		wait.Stop()
		return fail(ctx.Err())
	}
	info, err := video.Probe(ctx, path, m.cfg.Limits)
	<-m.probes
	if err != nil {
		var verr *video.Error
		if errors.As(err, &verr) && verr.Detail != "" {
			m.log.Debug().Str("job", Short(id)).Str("code", verr.Code).Str("ffmpeg", verr.Detail).Msg("video upload refused")
		}
		return fail(err)
	}
	now := time.Now()
	j := &job{dir: dir, fx: fx, info: info, preview: preview, changed: make(chan struct{}), status: Status{
		ID: id, State: Queued, FramesTotal: info.Frames, Effects: effects.SpecsOf(fx), Created: now,
		Input: Input{Name: clip(name), Bytes: st.Size(), Width: info.Width, Height: info.Height, FPS: info.FPS,
			Duration: info.Duration.Seconds(), Rotation: info.Rotation, Audio: info.HasAudio},
	}}
	m.mu.Lock()
	switch {
	case m.closed:
		m.mu.Unlock()
		return fail(ErrClosed)
	case len(m.queue) >= m.cfg.MaxQueued:
		m.mu.Unlock()
		return fail(ErrQueueFull)
	}
	m.jobs[id] = j
	m.queue = append(m.queue, j)
	m.positionsLocked()
	m.persist(j)
	m.startLocked()
	status := j.status
	m.mu.Unlock()
	m.log.Info().Str("job", Short(id)).Int("frames", info.Frames).Str("size", fmt.Sprintf("%dx%d", info.Width, info.Height)).Msg("video job queued")
	return status, nil
}

// startLocked starts queued jobs while fewer than Concurrent run.
func (m *Manager) startLocked() {
	for m.running < m.cfg.Concurrent && len(m.queue) > 0 && !m.closed {
		j := m.queue[0]
		m.queue[0] = nil
		m.queue = m.queue[1:]
		m.running++
		// A deadline, in case a hostile file makes a decoder crawl.
		ctx, cancel := context.WithTimeout(context.Background(), Deadline(j.info))
		j.cancel = cancel
		now := time.Now()
		j.status.State, j.status.Started, j.status.Position = Processing, &now, 0
		m.positionsLocked()
		m.notifyLocked(j)
		m.persist(j)
		m.wg.Add(1)
		go m.run(ctx, j)
	}
}

// Deadline is how long a job may be processed: a minute, and for each
// frame 20 ms plus 180 ms per 1080p-worth of pixels (a 1080p frame may take
// 200 ms, five frames a second, a quarter of what two cores do). It
// follows the frames, not the play time: 10,000 frames of 2x2 get 4.3
// minutes, not the 3.3 hours twenty times a declared 599 s would give.
func Deadline(info video.Info) time.Duration {
	perFrame := 20*time.Millisecond + time.Duration(float64(180*time.Millisecond)*float64(info.Width*info.Height)/(1920*1080))
	return time.Minute + time.Duration(max(info.Frames, 1))*perFrame
}

// positionsLocked numbers the queue.
func (m *Manager) positionsLocked() {
	for i, j := range m.queue {
		if j.status.Position != i+1 {
			j.status.Position = i + 1
			m.notifyLocked(j)
		}
	}
}

// run processes one job.
func (m *Manager) run(ctx context.Context, j *job) {
	defer m.wg.Done()
	id, info := j.status.ID, j.info
	var lastPreview time.Time
	var lastNotify time.Time
	part := filepath.Join(j.dir, resultPart)
	prog, err := video.Process(ctx, m.engine, filepath.Join(j.dir, inputName), info, part, video.Options{
		ID: "video/" + Short(id), Effects: j.fx, BufferBytes: m.cfg.BufferBytes, Limits: m.cfg.Limits,
		Progress: func(p video.Progress) {
			m.mu.Lock()
			j.status.FramesDone, j.status.FramesTotal = p.Done, p.Total
			j.status.FPS, j.status.TimeLeft = round(p.FPS()), round(p.Left().Seconds())
			if now := time.Now(); now.Sub(lastNotify) >= 100*time.Millisecond {
				lastNotify = now
				m.notifyLocked(j)
			}
			m.mu.Unlock()
		},
		Frame: func(_ int, yuv []byte, width, height int) {
			now := time.Now()
			if j.preview == nil || j.preview.Viewers() == 0 || now.Sub(lastPreview).Seconds() < 1/m.cfg.PreviewFPS {
				return
			}
			lastPreview = now
			if jpg, err := video.JPEG(yuv, width, height, 75); err == nil {
				j.preview.Publish(jpg)
			}
		},
	})
	if err == nil {
		err = os.Rename(part, filepath.Join(j.dir, resultName))
	}
	os.Remove(filepath.Join(j.dir, inputName)) // the result has what it needs from it

	m.mu.Lock()
	now := time.Now()
	j.status.Finished, j.status.TimeLeft = &now, 0
	j.status.FramesDone, j.status.FPS = prog.Done, round(prog.FPS())
	var verr *video.Error
	switch {
	case err == nil:
		j.status.State, j.status.FramesTotal = Done, prog.Done
		if st, err := os.Stat(filepath.Join(j.dir, resultName)); err == nil {
			j.status.ResultBytes = st.Size()
		}
	case m.closed && !j.removed:
		j.status.State = Failed
		j.status.Error = &Error{Code: CodeInterrupted, Message: "the server stopped before this video was finished; upload it again"}
	case errors.Is(err, context.DeadlineExceeded):
		j.status.State, j.status.Error = Failed, &Error{Code: CodeTimeout, Message: "the video took too long to process"}
	case j.removed || errors.Is(err, context.Canceled):
		j.status.State = Cancelled
		j.status.Error = &Error{Code: CodeCancelled, Message: "the job was cancelled"}
	case errors.As(err, &verr):
		j.status.State, j.status.Error = Failed, &Error{Code: verr.Code, Message: verr.Message}
		if verr.Detail != "" {
			m.log.Debug().Str("job", Short(id)).Str("code", verr.Code).Str("ffmpeg", verr.Detail).Msg("video job refused")
		}
	default:
		j.status.State, j.status.Error = Failed, &Error{Code: CodeInternal, Message: "the server could not process the video"}
		m.log.Error().Err(err).Str("job", Short(id)).Msg("video job failed")
	}
	if j.status.State != Done {
		os.Remove(part)
	}
	m.frames.Add(uint64(prog.Done))
	switch j.status.State {
	case Done:
		m.done.Add(1)
	case Failed:
		m.failed.Add(1)
	case Cancelled:
		m.cancelled.Add(1)
	}
	m.setExpiry(j)
	if j.preview != nil {
		j.preview.Close()
	}
	m.running--
	if j.removed {
		delete(m.jobs, id)
		os.RemoveAll(j.dir)
	} else {
		m.persist(j)
	}
	m.notifyLocked(j)
	m.startLocked()
	state := j.status.State
	m.mu.Unlock()
	m.log.Info().Str("job", Short(id)).Str("state", string(state)).Int("frames", prog.Done).
		Float64("fps", round(prog.FPS())).Msg("video job finished")
	// A job's pictures, sessions and buffers are garbage now; give their
	// pages back to the system rather than keep them for the next job (a
	// DELETE of a large job otherwise left hundreds of MB resident).
	debug.FreeOSMemory()
}

// setExpiry sets a finished job's expiry time.
func (m *Manager) setExpiry(j *job) {
	if j.status.Finished != nil {
		exp := j.status.Finished.Add(m.cfg.Retention)
		j.status.Expires = &exp
	}
}

// persist writes the job's state to its directory, atomically. A failure
// is logged: the job goes on, but a restart would not know it.
func (m *Manager) persist(j *job) {
	b, err := json.Marshal(record{Status: j.status})
	if err == nil {
		tmp := filepath.Join(j.dir, "job.json.tmp")
		if err = os.WriteFile(tmp, b, 0o600); err == nil {
			err = os.Rename(tmp, filepath.Join(j.dir, "job.json"))
		}
	}
	if err != nil {
		m.log.Warn().Err(err).Str("job", Short(j.status.ID)).Msg("cannot save the video job's state")
	}
}

func (m *Manager) notifyLocked(j *job) {
	close(j.changed)
	j.changed = make(chan struct{})
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
	defer m.mu.Unlock()
	j, ok := m.jobs[id]
	if !ok {
		return false
	}
	if j.status.State == Processing {
		j.removed = true // run removes the files once the ffmpegs are stopped
		j.cancel()
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
	m.notifyLocked(j)
	delete(m.jobs, id)
	os.RemoveAll(j.dir)
	return true
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
			m.mu.Lock()
			for id, j := range m.jobs {
				if j.status.State.Finished() && j.status.Expires != nil && now.After(*j.status.Expires) {
					delete(m.jobs, id)
					os.RemoveAll(j.dir)
					m.notifyLocked(j)
				}
			}
			m.mu.Unlock()
		}
	}
}

// Close cancels the running jobs (a restart reports them failed) and
// waits for them to stop.
func (m *Manager) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	close(m.stop)
	for _, j := range m.jobs {
		if j.cancel != nil && j.status.State == Processing {
			j.cancel()
		}
	}
	m.mu.Unlock()
	m.wg.Wait()
}

func round(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

func clip(s string) string {
	if len(s) > 128 {
		return s[:128]
	}
	return s
}
