// Package cluster is what the nodes of one deployment share: each node's
// identity (--node-id, the URL its peers reach it at), the one Redis client
// every part of a node uses (--redis), whether Redis answers now, and the
// directory of nodes in Redis. Without a Redis URL a Cluster is a single
// node: Redis is nil and nothing is shared, as before clustering.
//
// Live frames never touch Redis: a node keeps serving its clients while
// Redis is down, and only what is shared (cross-node watch links, the
// Socket.IO adapter's broadcasts, video jobs) waits for it to return.
package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// ErrUnavailable is returned while Redis does not answer: what needs the
// cluster answers 503 unavailable with Retry-After, and tries again.
var ErrUnavailable = errors.New("the cluster's shared state (Redis) is unavailable")

// KeyPrefix starts every key and channel this server keeps in Redis, so a
// Redis server may be shared with other applications.
const KeyPrefix = "tryon:"

// Config sets up a node.
type Config struct {
	// NodeID names this node in logs, metrics, answers' X-Node and the
	// session message. Required.
	NodeID string
	// URL is where the other nodes reach this one (http://host:port),
	// e.g. to proxy a watch link to the node holding its session.
	URL string
	// RedisURL is redis://[user:password@]host:port[/db] (a bare
	// host:port is taken as redis://host:port); empty: a single node.
	RedisURL string
	// Heartbeat is how often the node checks Redis and renews its entry
	// in the directory; default 1 s. Entries live for TTL (default 5 s),
	// so a killed node drops out of the directory by itself.
	Heartbeat time.Duration
	TTL       time.Duration
	Logger    zerolog.Logger
}

// Cluster is one node's view of the deployment.
type Cluster struct {
	cfg   Config
	redis *redis.Client // nil: a single node
	log   zerolog.Logger

	up      atomic.Bool
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	renew   []func(ctx context.Context, pipe redis.Pipeliner) // called on every heartbeat, while up
	changed []func(up bool)
	closed  bool
}

// DefaultNodeID is the host name and the port of addr (":9990" on host
// "web1" is "web1-9990"), so nodes on one machine differ.
func DefaultNodeID(addr string) string {
	host, _ := os.Hostname()
	if host == "" {
		host = "node"
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return host
	}
	return host + "-" + port
}

// DefaultURL is http://host:port for the listen address addr, with this
// machine's host name when addr names no host (":9990", "0.0.0.0:9990").
func DefaultURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host, _ = os.Hostname()
	}
	return "http://" + net.JoinHostPort(host, port)
}

// ParseRedisURL checks a --redis value and returns go-redis options for it.
func ParseRedisURL(v string) (*redis.Options, error) {
	if !strings.Contains(v, "://") {
		v = "redis://" + v
	}
	opt, err := redis.ParseURL(v)
	if err != nil {
		return nil, fmt.Errorf("want redis://host:port[/db]: %w", err)
	}
	return opt, nil
}

// quietRedis drops go-redis's own log lines: it prints one per failed
// dial, a dozen a second while Redis is down, and the heartbeat already
// logs each change of Redis' availability once.
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

var quietOnce sync.Once

// Open starts a node's cluster membership. It does not wait for Redis: a
// node starts while Redis is down, reports it unavailable, and joins when
// it answers. The error is only for a bad configuration.
func Open(ctx context.Context, cfg Config) (*Cluster, error) {
	if cfg.NodeID == "" {
		return nil, errors.New("cluster: a node id is required")
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = time.Second
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 5 * time.Second
	}
	c := &Cluster{cfg: cfg, log: cfg.Logger.With().Str("component", "cluster").Logger()}
	c.ctx, c.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if cfg.RedisURL == "" {
		return c, nil
	}
	opt, err := ParseRedisURL(cfg.RedisURL)
	if err != nil {
		c.cancel()
		return nil, fmt.Errorf("--redis %q: %w", cfg.RedisURL, err)
	}
	// Short timeouts: a request that needs Redis (a cross-node watch
	// link) answers unavailable within about a second when it is gone,
	// rather than hanging on the kernel's connect timeout.
	opt.DialTimeout = time.Second
	opt.ReadTimeout = time.Second
	opt.WriteTimeout = time.Second
	opt.MaxRetries = 1
	opt.ClientName = "tryon-" + cfg.NodeID
	quietOnce.Do(func() { redis.SetLogger(quietRedis{}) })
	c.redis = redis.NewClient(opt)
	c.check(c.ctx) // so the first requests know at once
	c.wg.Add(1)
	go c.run()
	return c, nil
}

// NodeID is this node's id.
func (c *Cluster) NodeID() string { return c.cfg.NodeID }

// URL is where the other nodes reach this one.
func (c *Cluster) URL() string { return c.cfg.URL }

// Redis is the node's one Redis client, for every part of the node that
// shares state; nil for a single node (no --redis). Calls on it fail
// while Redis is down: check Available first where an answer must not
// wait.
func (c *Cluster) Redis() *redis.Client { return c.redis }

// Enabled reports whether the node is part of a cluster (--redis given).
func (c *Cluster) Enabled() bool { return c.redis != nil }

// Available is nil while Redis answered the last heartbeat, else
// ErrUnavailable; also ErrUnavailable for a single node, which has no
// shared state.
func (c *Cluster) Available() error {
	if c.redis == nil || !c.up.Load() {
		return ErrUnavailable
	}
	return nil
}

// RetryAfter is how long a client told "unavailable" should wait, in
// seconds: a few heartbeats.
func (c *Cluster) RetryAfter() int { return max(1, int((2*c.cfg.Heartbeat+time.Second-1)/time.Second)) }

// OnRenew adds fn to every heartbeat while Redis is up: it queues the
// writes that keep this node's entries alive (with the TTL), in one round
// trip with the node's own.
func (c *Cluster) OnRenew(fn func(ctx context.Context, pipe redis.Pipeliner)) {
	c.mu.Lock()
	c.renew = append(c.renew, fn)
	c.mu.Unlock()
}

// OnChange adds fn, called when Redis goes down or comes back.
func (c *Cluster) OnChange(fn func(up bool)) {
	c.mu.Lock()
	c.changed = append(c.changed, fn)
	c.mu.Unlock()
}

// TTL is how long an entry renewed on the heartbeat lives.
func (c *Cluster) TTL() time.Duration { return c.cfg.TTL }

// Renew runs a heartbeat now (after a node opened something its peers
// should find at once), in the background.
func (c *Cluster) Renew() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.redis == nil || c.closed {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.check(c.ctx)
	}()
}

// Node is one node's entry in the directory.
type Node struct {
	ID      string    `json:"id"`
	URL     string    `json:"url"`
	Started time.Time `json:"started"`
}

func nodeKey(id string) string { return KeyPrefix + "node:" + id }

// Nodes lists the nodes whose entries are alive.
func (c *Cluster) Nodes(ctx context.Context) ([]Node, error) {
	if err := c.Available(); err != nil {
		return nil, err
	}
	keys, err := c.redis.Keys(ctx, nodeKey("*")).Result()
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	var nodes []Node
	for _, k := range keys {
		b, err := c.redis.Get(ctx, k).Bytes()
		if err != nil {
			continue // expired meanwhile
		}
		var n Node
		if json.Unmarshal(b, &n) == nil {
			nodes = append(nodes, n)
		}
	}
	return nodes, nil
}

// NodeByID is the directory entry of a node, or false if it is gone.
func (c *Cluster) NodeByID(ctx context.Context, id string) (Node, bool, error) {
	if err := c.Available(); err != nil {
		return Node{}, false, err
	}
	b, err := c.redis.Get(ctx, nodeKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Node{}, false, nil
	}
	if err != nil {
		return Node{}, false, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	var n Node
	if err := json.Unmarshal(b, &n); err != nil {
		return Node{}, false, nil
	}
	return n, true, nil
}

func (c *Cluster) run() {
	defer c.wg.Done()
	tick := time.NewTicker(c.cfg.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-tick.C:
			c.check(c.ctx)
		}
	}
}

var started = time.Now()

// check pings Redis through the renewal writes, and notes a change.
func (c *Cluster) check(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Heartbeat+time.Second)
	defer cancel()
	entry, _ := json.Marshal(Node{ID: c.cfg.NodeID, URL: c.cfg.URL, Started: started})
	c.mu.Lock()
	renew := append([]func(context.Context, redis.Pipeliner){}, c.renew...)
	c.mu.Unlock()
	_, err := c.redis.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.Set(ctx, nodeKey(c.cfg.NodeID), entry, c.cfg.TTL)
		for _, fn := range renew {
			fn(ctx, pipe)
		}
		return nil
	})
	up := err == nil
	if c.up.Swap(up) == up {
		return
	}
	if up {
		c.log.Info().Msg("redis is available")
	} else {
		c.log.Warn().Err(err).Msg("redis is unavailable: live sessions carry on; shared state waits for it")
	}
	c.mu.Lock()
	changed := append([]func(bool){}, c.changed...)
	c.mu.Unlock()
	for _, fn := range changed {
		fn(up)
	}
}

// Close leaves the directory (at once, rather than when the entry
// expires) and closes the Redis client, within ctx.
func (c *Cluster) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if c.redis == nil {
		return nil
	}
	var err error
	if c.up.Load() {
		err = c.redis.Del(ctx, nodeKey(c.cfg.NodeID)).Err()
	}
	return errors.Join(err, c.redis.Close())
}
