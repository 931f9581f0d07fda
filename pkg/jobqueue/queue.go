// Package jobqueue runs uploaded-video jobs across several nodes: a job's
// state lives in Redis, its files in a Store every node reads, and its
// processing is an asynq task that any node's worker takes. So an upload
// to one node, its status, events, watch, result and DELETE on others all
// see one job, and a node that dies loses none.
//
// Delivery is at least once, so processing is idempotent: a worker claims
// a job by a lease of its own in Redis before it starts, writes its result
// beside the final one and renames it, and a delivery of a job that is
// finished, removed or leased to a live worker is dropped.
//
// asynq v0.26.0 leases a task for 30 s (rdb.LeaseDuration, a constant),
// and its recoverer looks for expired leases once a minute (hard-coded)
// with 30 s allowed for clock skew: a dead worker's task comes back 60 to
// 120 s after the death. That is too slow for an upload someone waits for,
// so the job's own lease (Config.Lease, a few seconds, extended four times
// a second with the job's progress) is watched by every node, and the
// first to see it expired hands the job over: back in the queue, enqueued
// again as a new task. asynq's own recovery stays as the backstop; its late
// redelivery finds the job taken and is dropped.
package jobqueue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/jobs"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/video"
)

// Config sets up a Queue.
type Config struct {
	Redis redis.UniversalClient
	// Prefix starts every Redis key and names the asynq queue, so several
	// deployments can share one Redis; default "tryon".
	Prefix string
	Node   string // this node's id, in the status of the jobs it processes
	Store  Store
	// Jobs are the caps and limits pkg/jobs uses on one node; here
	// MaxQueued and Retention apply to the whole cluster, Concurrent and
	// MaxProbes to each node. Dir is unused (Store has the files).
	Jobs jobs.Config
	// Lease is how long a job whose worker stopped extending its lease
	// waits before another node takes it over; default 10 s.
	Lease time.Duration
	// MaxAttempts bounds how many workers may start a job (a file that
	// kills its node each time fails, interrupted); default 3.
	MaxAttempts int
	// OpenPreview opens a stream for a job's watchers on this node; nil:
	// jobs cannot be watched.
	OpenPreview func() jobs.Preview
}

// ErrNotClaimable says a delivered job needs nothing from this worker: it
// is finished, removed, or another worker holds its lease.
var errNotClaimable = errors.New("jobqueue: the job is not for this worker")

// Why a job's processing stopped before its end.
var (
	errLostLease = errors.New("jobqueue: another worker took the job over")
	errRemoved   = errors.New("jobqueue: the job was removed")
	errStopping  = errors.New("jobqueue: the node is stopping")
	errTimeout   = errors.New("jobqueue: the job took longer than its frames allow")
	errLeaseHeld = errors.New("jobqueue: the job's lease is held")
)

// Unavailable is the answer while Redis cannot be reached.
func unavailable() *apierr.Error {
	return &apierr.Error{Code: apierr.CodeUnavailable, RetryAfter: 5,
		Message: "the video job store cannot be reached; try again shortly"}
}

func unknownJob() *apierr.Error {
	return apierr.New(apierr.CodeUnknownJob, "no such video job: it expired, was removed, or never was")
}

const taskType = "video:process"

// record is a job as Redis keeps it.
type record struct {
	Status   jobs.Status `json:"status"`
	Info     video.Info  `json:"info"`
	Attempts int         `json:"attempts"` // workers that started it
}

// Queue is the job backend of a node of a cluster.
type Queue struct {
	cfg    Config
	rdb    redis.UniversalClient
	log    zerolog.Logger
	engine *pipeline.Engine
	client *asynq.Client
	server *asynq.Server
	probes chan struct{}

	// run is the parent of every job this node processes; cancelled with
	// errStopping by Close. bg ends the node's loops.
	run      context.Context
	stopJobs context.CancelCauseFunc
	bg       context.Context
	stopBG   context.CancelFunc
	wg       sync.WaitGroup

	// The cluster's counts as Redis last gave them, and when it was asked.
	statsMu sync.Mutex
	last    jobs.Stats
	lastAt  time.Time

	done, failed, cancelled, frames atomic.Uint64 // this node's, since it started
	processing                      atomic.Int64  // jobs this node runs now

	mu      sync.Mutex
	waiters map[string]chan struct{} // closed at the job's next change
	relays  map[string]jobs.Preview  // preview streams fed from Redis
	closed  bool
}

// New starts the node's worker and its watchers. It needs no Redis to
// start: while Redis is down, the worker waits and every call answers
// unavailable; all resumes when it returns.
func New(cfg Config, engine *pipeline.Engine) (*Queue, error) {
	if cfg.Redis == nil || cfg.Store == nil || cfg.Node == "" {
		return nil, errors.New("jobqueue: want Redis, a Store and a node id")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "tryon"
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 10 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 3
	}
	cfg.Jobs = withDefaults(cfg.Jobs)
	j := &cfg.Jobs
	q := &Queue{cfg: cfg, rdb: cfg.Redis, log: j.Logger, engine: engine,
		probes: make(chan struct{}, j.MaxProbes), waiters: map[string]chan struct{}{}, relays: map[string]jobs.Preview{}}
	q.run, q.stopJobs = context.WithCancelCause(context.Background())
	q.bg, q.stopBG = context.WithCancel(context.Background())
	q.client = asynq.NewClientFromRedisClient(cfg.Redis)
	q.server = asynq.NewServerFromRedisClient(cfg.Redis, asynq.Config{
		Concurrency: j.Concurrent,
		Queues:      map[string]int{q.queueName(): 1},
		// A job handed back by a stopping node is taken by another at once.
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return time.Second },
		TaskCheckInterval:        250 * time.Millisecond,
		DelayedTaskCheckInterval: time.Second,
		ShutdownTimeout:          3 * time.Second,
		Logger:                   asynqLogger{q.log.With().Str("component", "asynq").Logger()},
		LogLevel:                 asynq.WarnLevel,
	})
	if err := q.server.Start(asynq.HandlerFunc(q.handle)); err != nil {
		q.client.Close()
		return nil, fmt.Errorf("jobqueue: %w", err)
	}
	q.wg.Add(3)
	go q.subscribe()
	go q.watchLeases()
	go q.expire()
	return q, nil
}

// Keys.
func (q *Queue) queueName() string { return q.cfg.Prefix + "-videos" }
func (q *Queue) key(parts ...string) string {
	return q.cfg.Prefix + ":video:" + strings.Join(parts, ":")
}
func (q *Queue) jobKey(id string) string   { return q.key("job", id) }
func (q *Queue) leaseKey(id string) string { return q.key("lease", id) }
func (q *Queue) queuedKey() string         { return q.key("queued") } // ZSET: waiting, by upload time
func (q *Queue) activeKey() string         { return q.key("active") } // SET: claimed, or being handed over
func (q *Queue) expiryKey() string         { return q.key("expiry") } // ZSET: finished, by expiry time
func (q *Queue) changedChannel() string    { return q.key("changed") }
func (q *Queue) previewChannel(id string) string {
	return q.key("preview", id)
}

// Dir is where uploads land.
func (q *Queue) Dir() string { return q.cfg.Store.Dir() }

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
		Input: jobs.Input{Name: clip(name), Bytes: st.Size(), Width: info.Width, Height: info.Height, FPS: info.FPS,
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

// forget removes a job's keys.
func (q *Queue) forget(ctx context.Context, id string) {
	q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, q.jobKey(id), q.leaseKey(id))
		p.ZRem(ctx, q.queuedKey(), id)
		p.ZRem(ctx, q.expiryKey(), id)
		p.SRem(ctx, q.activeKey(), id)
		p.Publish(ctx, q.changedChannel(), id)
		p.Publish(ctx, q.changedChannel(), "*")
		return nil
	})
}

// retryTx runs fn again while a watched key changed under it.
func (q *Queue) retryTx(ctx context.Context, fn func() error) error {
	for i := 0; ; i++ {
		err := fn()
		if !errors.Is(err, redis.TxFailedErr) || i == 20 || ctx.Err() != nil {
			return err
		}
	}
}

func (q *Queue) load(ctx context.Context, c redis.Cmdable, id string) (record, error) {
	var rec record
	b, err := c.Get(ctx, q.jobKey(id)).Bytes()
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, fmt.Errorf("jobqueue: job %s: %w", jobs.Short(id), err)
	}
	return rec, nil
}

// change runs fn on job id's record in a transaction, and writes it back
// with what fn queued on p. With a token, the caller must hold the job's
// lease: errRemoved if the job is gone, errLostLease if another holds it.
func (q *Queue) change(ctx context.Context, id, token string, fn func(tx *redis.Tx, rec *record, p redis.Pipeliner) error) error {
	return q.retryTx(ctx, func() error {
		return q.rdb.Watch(ctx, func(tx *redis.Tx) error {
			rec, err := q.load(ctx, tx, id)
			if errors.Is(err, redis.Nil) {
				if token != "" {
					return errRemoved
				}
				return errNotClaimable
			}
			if err != nil {
				return err
			}
			if token != "" {
				if lease, err := tx.Get(ctx, q.leaseKey(id)).Result(); errors.Is(err, redis.Nil) || (err == nil && lease != token) {
					return errLostLease
				} else if err != nil {
					return err
				}
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				if err := fn(tx, &rec, p); err != nil {
					return err
				}
				b, _ := json.Marshal(rec)
				p.Set(ctx, q.jobKey(id), b, redis.KeepTTL)
				p.Publish(ctx, q.changedChannel(), id)
				return nil
			})
			return err
		}, q.jobKey(id), q.leaseKey(id))
	})
}

// Get is job id's status, and a channel closed at its next change (or
// within 30 s: a change missed while Redis was away is picked up).
func (q *Queue) Get(ctx context.Context, id string) (jobs.Status, <-chan struct{}, error) {
	if !validID(id) {
		return jobs.Status{}, nil, unknownJob()
	}
	changed := q.waiter(id) // before the read: no change is missed
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	rec, err := q.load(ctx, q.rdb, id)
	switch {
	case errors.Is(err, redis.Nil):
		return jobs.Status{}, nil, unknownJob()
	case err != nil:
		return jobs.Status{}, nil, unavailable()
	}
	if rec.Status.State == jobs.Queued {
		if rank, err := q.rdb.ZRank(ctx, q.queuedKey(), id).Result(); err == nil {
			rec.Status.Position = int(rank) + 1
		}
	}
	return rec.Status, changed, nil
}

// Result opens a done job's MP4, with its modification time. Unless the
// job is done, the file is nil.
func (q *Queue) Result(ctx context.Context, id string) (jobs.Status, io.ReadSeekCloser, time.Time, error) {
	st, _, err := q.Get(ctx, id)
	if err != nil || st.State != jobs.Done {
		return st, nil, time.Time{}, err
	}
	f, err := q.cfg.Store.Open(ctx, id)
	if err != nil {
		return st, nil, time.Time{}, apierr.New(apierr.CodeUnknownJob, "the result has expired")
	}
	return st, f, f.ModTime(), nil
}

// Remove cancels job id wherever it runs (its worker sees it gone at its
// next progress report) and removes it and its files.
func (q *Queue) Remove(ctx context.Context, id string) error {
	if !validID(id) {
		return unknownJob()
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var finished bool
	err := q.retryTx(ctx, func() error {
		return q.rdb.Watch(ctx, func(tx *redis.Tx) error {
			rec, err := q.load(ctx, tx, id)
			if err != nil {
				return err
			}
			finished = rec.Status.State.Finished()
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Del(ctx, q.jobKey(id), q.leaseKey(id))
				p.ZRem(ctx, q.queuedKey(), id)
				p.ZRem(ctx, q.expiryKey(), id)
				p.SRem(ctx, q.activeKey(), id)
				p.Publish(ctx, q.changedChannel(), id)
				p.Publish(ctx, q.changedChannel(), "*")
				return nil
			})
			return err
		}, q.jobKey(id))
	})
	switch {
	case errors.Is(err, redis.Nil):
		return unknownJob()
	case err != nil:
		return unavailable()
	}
	if !finished {
		q.cancelled.Add(1)
	}
	// A worker still writing has its files open; it removes them again
	// when it stops.
	q.cfg.Store.Remove(ctx, id)
	return nil
}

// Preview is a stream of job id's frames for this node's watchers, fed by
// whichever node processes it.
func (q *Queue) Preview(ctx context.Context, id string) (jobs.Preview, bool) {
	st, _, err := q.Get(ctx, id)
	if err != nil || st.State.Finished() || q.cfg.OpenPreview == nil {
		return nil, false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil, false
	}
	if p, ok := q.relays[id]; ok {
		return p, true
	}
	p := q.cfg.OpenPreview()
	q.relays[id] = p
	q.wg.Add(1)
	go q.relay(id, p)
	return p, true
}

// relay publishes the frames the processing node sends to job id's
// channel into p, until the job is finished or p has had no viewer for
// ten seconds.
func (q *Queue) relay(id string, p jobs.Preview) {
	defer q.wg.Done()
	defer func() {
		q.mu.Lock()
		delete(q.relays, id)
		q.mu.Unlock()
		p.Close()
	}()
	sub := q.rdb.Subscribe(q.bg, q.previewChannel(id))
	defer sub.Close()
	frames := sub.Channel()
	check := time.NewTicker(time.Second)
	defer check.Stop()
	idle := 0
	for {
		select {
		case <-q.bg.Done():
			return
		case m, ok := <-frames:
			if !ok {
				return
			}
			p.Publish([]byte(m.Payload))
		case <-check.C:
			st, _, err := q.Get(q.bg, id)
			if e := apierr.From(err, ""); (err == nil && st.State.Finished()) || (e != nil && e.Code == apierr.CodeUnknownJob) {
				return
			}
			if idle++; p.Viewers() > 0 {
				idle = 0
			}
			if idle > 10 {
				return
			}
		}
	}
}

// waiter is a channel closed at job id's next change.
func (q *Queue) waiter(id string) <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	ch, ok := q.waiters[id]
	if !ok {
		ch = make(chan struct{})
		q.waiters[id] = ch
	}
	return ch
}

// notify closes job id's waiters; "*", everyone's.
func (q *Queue) notify(id string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for k, ch := range q.waiters {
		if id == "*" || k == id {
			close(ch)
			delete(q.waiters, k)
		}
	}
}

// subscribe passes the cluster's change notices to this node's waiters.
func (q *Queue) subscribe() {
	defer q.wg.Done()
	sub := q.rdb.Subscribe(q.bg, q.changedChannel())
	poll := time.NewTicker(30 * time.Second)
	defer poll.Stop()
	msgs := make(chan any)
	// Receive does not return when its context ends, only when the
	// subscription is closed: the receiver ends once sub.Close is called.
	received := make(chan struct{})
	go func() {
		defer close(received)
		for {
			m, err := sub.Receive(q.bg)
			if q.bg.Err() != nil {
				return
			}
			if err != nil {
				time.Sleep(500 * time.Millisecond) // Redis is away; go-redis dials again
				continue
			}
			select {
			case msgs <- m:
			case <-q.bg.Done():
				return
			}
		}
	}()
	defer func() {
		sub.Close()
		<-received
	}()
	for {
		select {
		case <-q.bg.Done():
			return
		case m := <-msgs:
			switch m := m.(type) {
			case *redis.Message:
				q.notify(m.Payload)
			case *redis.Subscription:
				q.notify("*") // (re)subscribed: what changed meanwhile is unknown
			}
		case <-poll.C:
			q.notify("*")
		}
	}
}

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

// watchLeases hands over the jobs whose worker stopped extending its
// lease: every node looks, twice a lease.
func (q *Queue) watchLeases() {
	defer q.wg.Done()
	t := time.NewTicker(max(q.cfg.Lease/4, 100*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-q.bg.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(q.bg, 2*time.Second)
		ids, _ := q.rdb.SMembers(ctx, q.activeKey()).Result()
		for _, id := range ids {
			if n, err := q.rdb.Exists(ctx, q.leaseKey(id)).Result(); err != nil || n > 0 {
				continue
			}
			q.handOver(ctx, id)
		}
		cancel()
	}
}

// handOver puts a job whose lease expired back in the queue and enqueues
// it again. The hand-over holds a lease of its own for two leases: if the
// enqueue fails, the next look after it tries again.
func (q *Queue) handOver(ctx context.Context, id string) {
	var rec record
	var gone bool
	var dead string
	err := q.change(ctx, id, "", func(tx *redis.Tx, r *record, p redis.Pipeliner) error {
		if n, err := tx.Exists(ctx, q.leaseKey(id)).Result(); err != nil || n > 0 {
			return errLeaseHeld // renewed, or handed over by another node
		}
		if r.Status.State.Finished() {
			gone = true
			p.SRem(ctx, q.activeKey(), id)
			return nil
		}
		dead = r.Status.Node
		r.Status.State, r.Status.Node, r.Status.FramesDone, r.Status.FPS, r.Status.TimeLeft = jobs.Queued, "", 0, 0, 0
		p.Set(ctx, q.leaseKey(id), "handover."+q.cfg.Node, 2*q.cfg.Lease)
		p.ZAdd(ctx, q.queuedKey(), redis.Z{Score: float64(r.Status.Created.UnixMilli()), Member: id})
		p.Publish(ctx, q.changedChannel(), "*")
		rec = *r
		return nil
	})
	if err != nil || gone {
		if errors.Is(err, errNotClaimable) {
			q.rdb.SRem(ctx, q.activeKey(), id) // removed
		}
		return
	}
	q.log.Warn().Str("job", jobs.Short(id)).Str("from", dead).Msg("video job's worker stopped reporting: handed over")
	if err := q.enqueue(ctx, id, rec); err != nil {
		q.log.Warn().Err(err).Str("job", jobs.Short(id)).Msg("cannot enqueue the handed-over video job; trying again")
	}
}

// expire removes the cluster's finished jobs past their retention: the
// node whose ZREM removes one removes its files.
func (q *Queue) expire() {
	defer q.wg.Done()
	every := min(time.Minute, max(time.Second, q.cfg.Jobs.Retention/10))
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-q.bg.Done():
			return
		case now := <-t.C:
			ctx, cancel := context.WithTimeout(q.bg, 10*time.Second)
			ids, _ := q.rdb.ZRangeByScore(ctx, q.expiryKey(), &redis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10), Count: 100}).Result()
			for _, id := range ids {
				if n, err := q.rdb.ZRem(ctx, q.expiryKey(), id).Result(); err == nil && n == 1 {
					q.forget(ctx, id)
					q.cfg.Store.Remove(ctx, id)
				}
			}
			q.sweep(ctx, now)
			cancel()
		}
	}
}

// orphanAge is how long an upload's files may sit unwritten with no job
// in Redis before they are taken for an upload whose node died (or a job
// an emptied Redis forgot): longer than an upload may stall
// (videoapi's BodyIdle) plus its probe (two minutes at most).
const orphanAge = 10 * time.Minute

// sweep removes the files of uploads that never became jobs.
func (q *Queue) sweep(ctx context.Context, now time.Time) {
	l, ok := q.cfg.Store.(lister)
	if !ok {
		return
	}
	held, err := l.List(ctx)
	if err != nil {
		return
	}
	for id, mod := range held {
		if now.Sub(mod) < orphanAge {
			continue
		}
		if n, err := q.rdb.Exists(ctx, q.jobKey(id)).Result(); err == nil && n == 0 {
			q.log.Info().Str("job", jobs.Short(id)).Msg("removing the files of an upload that never became a job")
			q.cfg.Store.Remove(ctx, id)
		}
	}
}

// Stats counts the cluster's jobs (queued, processing, finished) and this
// node's totals. While Redis is down they are the last it gave.
func (q *Queue) Stats() jobs.Stats {
	// A scrape of /metrics asks once per gauge: Redis is asked at most
	// once a second, and the scrape's other gauges wait for that answer.
	q.statsMu.Lock()
	defer q.statsMu.Unlock()
	if time.Since(q.lastAt) >= time.Second {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		var queued, active, finished *redis.IntCmd
		_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			queued, active, finished = p.ZCard(ctx, q.queuedKey()), p.SCard(ctx, q.activeKey()), p.ZCard(ctx, q.expiryKey())
			return nil
		})
		cancel()
		q.lastAt = time.Now()
		if err == nil {
			q.last = jobs.Stats{Queued: int(queued.Val()), Processing: int(active.Val()), Finished: int(finished.Val())}
		}
	}
	s := q.last
	s.Done, s.Failed, s.Cancelled, s.Frames = q.done.Load(), q.failed.Load(), q.cancelled.Load(), q.frames.Load()
	return s
}

// Stop makes this node take no new job and hand the jobs it runs back to
// the queue, for other nodes, at once: the start of a drain. Status,
// events, results and uploads are still served until Close.
func (q *Queue) Stop() {
	q.server.Stop()
	q.stopJobs(errStopping)
}

// Close stops this node's worker: the jobs it runs go back to the queue
// for other nodes, at once. It returns ctx's error if ctx ends first.
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	q.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		q.server.Stop() // no new task
		q.stopJobs(errStopping)
		q.server.Shutdown()
		q.stopBG()
		q.wg.Wait()
		q.client.Close()
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("jobqueue: close: %w", ctx.Err())
	}
}

// withDefaults fills c's zero fields from jobs.DefaultConfig.
func withDefaults(c jobs.Config) jobs.Config {
	d := jobs.DefaultConfig()
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

// asynqLogger writes asynq's lines as zerolog's.
type asynqLogger struct{ log zerolog.Logger }

func (l asynqLogger) Debug(args ...any) { l.log.Debug().Msg(fmt.Sprint(args...)) }
func (l asynqLogger) Info(args ...any)  { l.log.Info().Msg(fmt.Sprint(args...)) }
func (l asynqLogger) Warn(args ...any)  { l.log.Warn().Msg(fmt.Sprint(args...)) }
func (l asynqLogger) Error(args ...any) { l.log.Error().Msg(fmt.Sprint(args...)) }
func (l asynqLogger) Fatal(args ...any) { l.log.Error().Msg(fmt.Sprint(args...)) }

func round(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

func clip(s string) string {
	if len(s) > 128 {
		return s[:128]
	}
	return s
}
