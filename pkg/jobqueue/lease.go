// The lease watcher: every node hands over the jobs whose worker stopped
// extending its lease.

package jobqueue

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livetryon/server/pkg/jobs"
)

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
