package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/video"
)

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
		Input: Input{Name: apierr.Clip(name, 128), Bytes: st.Size(), Width: info.Width, Height: info.Height, FPS: info.FPS,
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
	started := m.startLocked()
	status := j.status
	m.mu.Unlock()
	m.save(j)
	m.saveAll(started)
	m.log.Info().Str("job", Short(id)).Int("frames", info.Frames).Str("size", fmt.Sprintf("%dx%d", info.Width, info.Height)).Msg("video job queued")
	return status, nil
}

// startLocked starts queued jobs while fewer than Concurrent run, and
// returns them: the caller saves their state once the mutex is released.
func (m *Manager) startLocked() (started []*job) {
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
		m.wg.Add(1)
		go m.run(ctx, j)
		started = append(started, j)
	}
	return started
}

// saveAll saves each job's state.
func (m *Manager) saveAll(js []*job) {
	for _, j := range js {
		m.save(j)
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
	var resultBytes int64
	if err == nil {
		if st, serr := os.Stat(filepath.Join(j.dir, resultName)); serr == nil {
			resultBytes = st.Size()
		}
	} else {
		os.Remove(part)
	}

	m.mu.Lock()
	now := time.Now()
	j.status.Finished, j.status.TimeLeft = &now, 0
	j.status.FramesDone, j.status.FPS = prog.Done, round(prog.FPS())
	var verr *video.Error
	switch {
	case err == nil:
		j.status.State, j.status.FramesTotal, j.status.ResultBytes = Done, prog.Done, resultBytes
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
	removed := j.removed
	if removed {
		m.forgetLocked(j)
	} else {
		m.notifyLocked(j)
	}
	started := m.startLocked()
	state := j.status.State
	m.mu.Unlock()
	if removed {
		m.removeFiles(j)
	} else {
		m.save(j)
	}
	m.saveAll(started)
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

func round(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
