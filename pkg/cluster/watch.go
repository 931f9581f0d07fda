package cluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Watches is the directory of live sessions' watch links: which node
// holds each. A node lists its own streams on every heartbeat, so an entry
// outlives its stream by the TTL at most; a frame never goes through Redis.
type Watches struct{ c *Cluster }

func watchKey(id string) string { return KeyPrefix + "watch:" + id }

// Watches publishes the ids local returns (this node's watch streams now)
// on every heartbeat, and finds the node of any other.
func (c *Cluster) Watches(local func() []string) *Watches {
	if c.Enabled() {
		c.OnRenew(func(ctx context.Context, pipe redis.Pipeliner) {
			for _, id := range local() {
				pipe.Set(ctx, watchKey(id), c.cfg.NodeID, c.cfg.TTL)
			}
		})
	}
	return &Watches{c: c}
}

// Owner is the node holding watch id; false if no node lists it.
// ErrUnavailable while Redis is down.
func (w *Watches) Owner(ctx context.Context, id string) (Node, bool, error) {
	if err := w.c.Available(); err != nil {
		return Node{}, false, err
	}
	nodeID, err := w.c.redis.Get(ctx, watchKey(id)).Result()
	if errors.Is(err, redis.Nil) {
		return Node{}, false, nil
	}
	if err != nil {
		return Node{}, false, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return w.c.NodeByID(ctx, nodeID)
}
