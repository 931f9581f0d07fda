// Retention: finished jobs past it are removed, and the files of uploads
// that never became jobs are swept.

package jobqueue

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livetryon/server/pkg/jobs"
)

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
