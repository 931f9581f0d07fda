// Change notices and previews across nodes, by Redis pub/sub: a job's
// waiters, and the relay of its frames to this node's watchers.

package jobqueue

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/jobs"
)

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
