// Uploads: admission against the cluster's queue cap, probing an upload
// and queueing it as a job, and handing the job to asynq.

package jobqueue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/jobs"
	"github.com/livetryon/server/pkg/video"
)

// NewUpload makes a place for an upload.
func (q *Queue) NewUpload() (string, string, error) { return q.cfg.Store.NewUpload() }

// Discard removes an upload that did not become a job.
func (q *Queue) Discard(id string) {
	if validID(id) {
		q.cfg.Store.Remove(context.Background(), id)
	}
}

// Admit says whether an upload may start: nil, or why not (the cluster's
// queue is full: busy; Redis is down: unavailable).
func (q *Queue) Admit(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	n, err := q.rdb.ZCard(ctx, q.queuedKey()).Result()
	switch {
	case err != nil:
		return unavailable()
	case n >= int64(q.cfg.Jobs.MaxQueued):
		return &apierr.Error{Code: apierr.CodeBusy, RetryAfter: 30,
			Message: "as many videos are waiting as the cluster queues (--video-queue); try again later"}
	}
	return nil
}

// Add probes upload id and queues it as a job of the cluster. A file that
// is not an acceptable video gets a *video.Error; the upload is removed on
// any error.
func (q *Queue) Add(ctx context.Context, id, name string, fx []effects.Effect, preview jobs.Preview) (jobs.Status, error) {
	if preview != nil {
		preview.Close() // the job's watchers, on any node, get Preview's relay
	}
	fail := func(err error) (jobs.Status, error) {
		q.Discard(id)
		return jobs.Status{}, err
	}
	path, err := q.cfg.Store.Input(ctx, id)
	if err != nil {
		return fail(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return fail(err)
	}
	wait := time.NewTimer(q.cfg.Jobs.ProbeWait)
	select {
	case q.probes <- struct{}{}:
		wait.Stop()
	case <-wait.C:
		return fail(jobs.ErrBusy)
	case <-ctx.Done():
		wait.Stop()
		return fail(ctx.Err())
	}
	info, err := video.Probe(ctx, path, q.cfg.Jobs.Limits)
	<-q.probes
	if err != nil {
		return fail(err)
	}
	now := time.Now()
	rec := record{Info: info, Status: jobs.Status{
		ID: id, State: jobs.Queued, FramesTotal: info.Frames, Effects: effects.SpecsOf(fx), Created: now,
		Input: jobs.Input{Name: apierr.Clip(name, 128), Bytes: st.Size(), Width: info.Width, Height: info.Height, FPS: info.FPS,
			Duration: info.Duration.Seconds(), Rotation: info.Rotation, Audio: info.HasAudio},
	}}
	b, _ := json.Marshal(rec)
	// The cap and the new job in one transaction: two nodes admitting the
	// last place at once cannot both take it.
	err = q.retryTx(ctx, func() error {
		return q.rdb.Watch(ctx, func(tx *redis.Tx) error {
			n, err := tx.ZCard(ctx, q.queuedKey()).Result()
			if err != nil {
				return err
			}
			if n >= int64(q.cfg.Jobs.MaxQueued) {
				return jobs.ErrQueueFull
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, q.jobKey(id), b, 0)
				p.ZAdd(ctx, q.queuedKey(), redis.Z{Score: float64(now.UnixMilli()), Member: id})
				p.Publish(ctx, q.changedChannel(), "*")
				return nil
			})
			return err
		}, q.queuedKey())
	})
	if errors.Is(err, jobs.ErrQueueFull) {
		return fail(err)
	}
	if err == nil {
		err = q.enqueue(ctx, id, rec)
		if err != nil {
			q.forget(context.Background(), id)
		}
	}
	if err != nil {
		q.log.Warn().Err(err).Str("job", jobs.Short(id)).Msg("cannot queue the video job")
		return fail(unavailable())
	}
	q.log.Info().Str("job", jobs.Short(id)).Int("frames", info.Frames).Str("size", fmt.Sprintf("%dx%d", info.Width, info.Height)).Msg("video job queued")
	status, _, err := q.Get(ctx, id)
	if err != nil {
		return rec.Status, nil
	}
	return status, nil
}

// enqueue gives the job to asynq: the first task is named by the job's id,
// each hand-over's by the id and the attempts so far, so a hand-over never
// collides with the task a dead worker still holds.
func (q *Queue) enqueue(ctx context.Context, id string, rec record) error {
	taskID := id
	if rec.Attempts > 0 {
		taskID = id + "-" + strconv.Itoa(rec.Attempts)
	}
	payload, _ := json.Marshal(taskPayload{ID: id})
	_, err := q.client.EnqueueContext(ctx, asynq.NewTask(taskType, payload), asynq.TaskID(taskID), asynq.Queue(q.queueName()),
		// Retries are for a node that stopped or lost Redis mid-way; a
		// video that fails is recorded failed and its task succeeds.
		asynq.MaxRetry(10),
		// Past the job's own deadline, which fails it as timeout first.
		asynq.Timeout(jobs.Deadline(rec.Info)+time.Minute))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil // enqueued already, by another node's hand-over
	}
	return err
}

type taskPayload struct {
	ID string `json:"id"`
}
