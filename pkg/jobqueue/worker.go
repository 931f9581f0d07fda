// The worker: asynq's handler, the claim of a job's lease, processing,
// the progress reports that extend the lease, and the hand-back of a job
// stopped before its end.

package jobqueue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/jobs"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/video"
)

// handle is asynq's call: process the job, if it is this worker's to do.
func (q *Queue) handle(actx context.Context, t *asynq.Task) error {
	var p taskPayload
	if json.Unmarshal(t.Payload(), &p) != nil || !validID(p.ID) {
		return fmt.Errorf("jobqueue: a task without a job: %w", asynq.SkipRetry)
	}
	id := p.ID
	b := make([]byte, 4)
	rand.Read(b)
	token := q.cfg.Node + "." + hex.EncodeToString(b)
	rec, err := q.claim(actx, id, token)
	switch {
	case errors.Is(err, errNotClaimable):
		return nil // finished, removed, or being processed: a second delivery
	case err != nil:
		return err // Redis: asynq delivers it again
	}
	return q.process(actx, id, token, rec)
}

// claim takes job id's lease for token, if the job is unfinished and no
// live worker holds it.
func (q *Queue) claim(ctx context.Context, id, token string) (record, error) {
	var out record
	var exhausted bool
	err := q.change(ctx, id, "", func(tx *redis.Tx, rec *record, p redis.Pipeliner) error {
		if rec.Status.State.Finished() {
			return errNotClaimable
		}
		lease, err := tx.Get(ctx, q.leaseKey(id)).Result()
		if err == nil && !strings.HasPrefix(lease, "handover.") {
			return errNotClaimable
		}
		if err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		now := time.Now()
		p.ZRem(ctx, q.queuedKey(), id)
		p.Publish(ctx, q.changedChannel(), "*") // the queue moved
		if rec.Attempts >= q.cfg.MaxAttempts {
			exhausted = true
			rec.Status.State, rec.Status.Node, rec.Status.Position = jobs.Failed, "", 0
			rec.Status.Error = &jobs.Error{Code: jobs.CodeInterrupted, Message: fmt.Sprintf("the video's processing stopped %d times before its end; upload it again", rec.Attempts)}
			q.finishLocked(rec, now, p)
			return nil
		}
		rec.Attempts++
		rec.Status.State, rec.Status.Node, rec.Status.Position = jobs.Processing, q.cfg.Node, 0
		rec.Status.Started, rec.Status.FramesDone, rec.Status.FPS, rec.Status.TimeLeft = &now, 0, 0, 0
		p.Set(ctx, q.leaseKey(id), token, q.cfg.Lease)
		p.SAdd(ctx, q.activeKey(), id)
		out = *rec
		return nil
	})
	if err == nil && exhausted {
		q.cfg.Store.Remove(ctx, id)
		q.failed.Add(1)
		return out, errNotClaimable
	}
	return out, err
}

// finishLocked records a finished job's end in the transaction p.
func (q *Queue) finishLocked(rec *record, now time.Time, p redis.Pipeliner) {
	ctx := context.Background()
	exp := now.Add(q.cfg.Jobs.Retention)
	rec.Status.Finished, rec.Status.Expires, rec.Status.TimeLeft = &now, &exp, 0
	p.Del(ctx, q.leaseKey(rec.Status.ID))
	p.SRem(ctx, q.activeKey(), rec.Status.ID)
	p.ZAdd(ctx, q.expiryKey(), redis.Z{Score: float64(exp.UnixMilli()), Member: rec.Status.ID})
}

// progress is what a running job reports at its next tick.
type progress struct {
	mu   sync.Mutex
	p    video.Progress
	seen bool
}

// process runs the job this worker claimed.
func (q *Queue) process(actx context.Context, id, token string, rec record) error {
	q.processing.Add(1)
	defer q.processing.Add(-1)
	log := q.log.With().Str("job", jobs.Short(id)).Logger()
	log.Info().Int("attempt", rec.Attempts).Msg("video job started")
	// The job stops when asynq says (its lease, its deadline), when this
	// node stops, when the job's lease is lost or the job removed, or at
	// the job's own deadline.
	ctx, cancel := context.WithCancelCause(actx)
	defer cancel(nil)
	stopOnClose := context.AfterFunc(q.run, func() { cancel(context.Cause(q.run)) })
	defer stopOnClose()
	ctx, cancelDeadline := context.WithTimeoutCause(ctx, jobs.Deadline(rec.Info), errTimeout)
	defer cancelDeadline()

	var prog progress
	var wantPreview atomic.Bool
	reporting := make(chan struct{})
	go func() {
		defer close(reporting)
		q.report(ctx, cancel, id, token, &prog, &wantPreview)
	}()

	out := q.cfg.Store.Output(id, token)
	var result video.Progress
	in, err := q.cfg.Store.Input(ctx, id)
	var fx []pipeline.Effect
	if err == nil {
		fx, err = effects.Build("effects", rec.Status.Effects)
	}
	if err == nil {
		var lastPreview time.Time
		result, err = video.Process(ctx, q.engine, in, rec.Info, out, video.Options{
			ID: "video/" + jobs.Short(id), Effects: fx, BufferBytes: q.cfg.Jobs.BufferBytes, Limits: q.cfg.Jobs.Limits,
			Progress: func(p video.Progress) {
				prog.mu.Lock()
				prog.p, prog.seen = p, true
				prog.mu.Unlock()
			},
			Frame: func(_ int, yuv []byte, width, height int) {
				now := time.Now()
				if !wantPreview.Load() || now.Sub(lastPreview).Seconds() < 1/q.cfg.Jobs.PreviewFPS {
					return
				}
				lastPreview = now
				if jpg, err := video.JPEG(yuv, width, height, 75); err == nil {
					pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
					q.rdb.Publish(pctx, q.previewChannel(id), jpg)
					cancel()
				}
			},
		})
	}
	cause := context.Cause(ctx)
	cancel(nil)
	<-reporting
	var bytes int64
	if err == nil {
		bytes, err = q.cfg.Store.Commit(context.Background(), id, token)
	}
	if err != nil {
		q.cfg.Store.Abort(id, token)
	}
	defer debug.FreeOSMemory() // as pkg/jobs: a job's buffers are garbage now

	switch {
	case err != nil && errors.Is(cause, errLostLease):
		log.Warn().Msg("video job taken over by another node: this attempt stops")
		return nil
	case err != nil && errors.Is(cause, errRemoved):
		q.cfg.Store.Remove(context.Background(), id)
		log.Info().Msg("video job removed while processing")
		return nil
	case err != nil && (errors.Is(cause, errStopping) || (actx.Err() != nil && !errors.Is(cause, errTimeout))):
		// This node stops, or asynq gave up on it: the job goes back to
		// the queue as it was, for the next worker.
		q.handBack(id, token)
		log.Info().Msg("video job handed back to the queue")
		return fmt.Errorf("jobqueue: %w", errStopping)
	}

	now := time.Now()
	final := func(rec *record) {
		rec.Status.FramesDone, rec.Status.FPS, rec.Status.Node = result.Done, round(result.FPS()), q.cfg.Node
		var verr *video.Error
		switch {
		case err == nil:
			rec.Status.State, rec.Status.FramesTotal, rec.Status.ResultBytes = jobs.Done, result.Done, bytes
		case errors.Is(cause, errTimeout):
			rec.Status.State, rec.Status.Error = jobs.Failed, &jobs.Error{Code: jobs.CodeTimeout, Message: "the video took too long to process"}
		case errors.As(err, &verr):
			rec.Status.State, rec.Status.Error = jobs.Failed, &jobs.Error{Code: verr.Code, Message: verr.Message}
		default:
			rec.Status.State, rec.Status.Error = jobs.Failed, &jobs.Error{Code: jobs.CodeInternal, Message: "the server could not process the video"}
			log.Error().Err(err).Msg("video job failed")
		}
	}
	// Redis may be away at this moment: the end is written as soon as it
	// is back, unless another worker took the job meanwhile.
	var state jobs.State
	for try := 0; ; try++ {
		wctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		werr := q.change(wctx, id, token, func(_ *redis.Tx, rec *record, p redis.Pipeliner) error {
			final(rec)
			q.finishLocked(rec, now, p)
			state = rec.Status.State
			return nil
		})
		cancel()
		switch {
		case werr == nil:
			q.cfg.Store.Finish(context.Background(), id)
			q.frames.Add(uint64(result.Done))
			if state == jobs.Done {
				q.done.Add(1)
			} else {
				q.failed.Add(1)
			}
			log.Info().Str("state", string(state)).Int("frames", result.Done).Float64("fps", round(result.FPS())).Msg("video job finished")
			return nil
		case errors.Is(werr, errRemoved):
			q.cfg.Store.Remove(context.Background(), id)
			return nil
		case errors.Is(werr, errLostLease):
			log.Warn().Msg("video job finished, but another node had taken it over")
			return nil
		}
		if try == 0 {
			log.Warn().Err(werr).Msg("cannot record the video job's end; trying again")
		}
		select {
		case <-q.run.Done():
			return werr
		case <-time.After(time.Second):
		}
	}
}

// report writes the job's progress four times a second, which extends its
// lease; it cancels the job when the lease is lost or the job removed.
// While Redis cannot be reached the job goes on: if the lease expired
// meanwhile, the next report finds it lost.
func (q *Queue) report(ctx context.Context, cancel context.CancelCauseFunc, id, token string, prog *progress, wantPreview *atomic.Bool) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var lastViewers time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		prog.mu.Lock()
		p, seen := prog.p, prog.seen
		prog.mu.Unlock()
		wctx, wcancel := context.WithTimeout(ctx, time.Second)
		err := q.change(wctx, id, token, func(_ *redis.Tx, rec *record, pipe redis.Pipeliner) error {
			if seen {
				rec.Status.FramesDone, rec.Status.FramesTotal = p.Done, p.Total
				rec.Status.FPS, rec.Status.TimeLeft = round(p.FPS()), round(p.Left().Seconds())
			}
			pipe.PExpire(wctx, q.leaseKey(id), q.cfg.Lease)
			return nil
		})
		if time.Since(lastViewers) >= time.Second {
			lastViewers = time.Now()
			if n, err := q.rdb.PubSubNumSub(wctx, q.previewChannel(id)).Result(); err == nil {
				wantPreview.Store(n[q.previewChannel(id)] > 0)
			}
		}
		wcancel()
		if errors.Is(err, errLostLease) || errors.Is(err, errRemoved) {
			cancel(err)
			return
		}
	}
}

// handBack puts a job this worker stops before its end back in the queue,
// at its place, with its lease released.
func (q *Queue) handBack(id, token string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	q.change(ctx, id, token, func(_ *redis.Tx, rec *record, p redis.Pipeliner) error {
		rec.Status.State, rec.Status.Node, rec.Status.FramesDone, rec.Status.FPS, rec.Status.TimeLeft = jobs.Queued, "", 0, 0, 0
		p.Del(ctx, q.leaseKey(id))
		p.SRem(ctx, q.activeKey(), id)
		p.ZAdd(ctx, q.queuedKey(), redis.Z{Score: float64(rec.Status.Created.UnixMilli()), Member: id})
		p.Publish(ctx, q.changedChannel(), "*")
		return nil
	})
}

func round(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
