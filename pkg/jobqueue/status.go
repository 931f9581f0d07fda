// A job's record in Redis: the transactions that read and change it, and
// status, result and removal.

package jobqueue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/jobs"
)

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
