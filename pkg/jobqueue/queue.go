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
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/livetryon/server/pkg/apierr"
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

// errNotClaimable says a delivered job needs nothing from this worker: it
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
	cfg.Jobs = cfg.Jobs.WithDefaults()
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

// asynqLogger writes asynq's lines as zerolog's.
type asynqLogger struct{ log zerolog.Logger }

func (l asynqLogger) Debug(args ...any) { l.log.Debug().Msg(fmt.Sprint(args...)) }
func (l asynqLogger) Info(args ...any)  { l.log.Info().Msg(fmt.Sprint(args...)) }
func (l asynqLogger) Warn(args ...any)  { l.log.Warn().Msg(fmt.Sprint(args...)) }
func (l asynqLogger) Error(args ...any) { l.log.Error().Msg(fmt.Sprint(args...)) }
func (l asynqLogger) Fatal(args ...any) { l.log.Error().Msg(fmt.Sprint(args...)) }
