package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livetryon/server/pkg/jobqueue"
	"github.com/livetryon/server/pkg/jobs"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/transport/videoapi"
)

// videoJobs is the server's video job backend as the server itself uses
// it: counts for /api/v1/stats and /metrics, and Close at shutdown.
type videoJobs interface {
	Stats() jobs.Stats
	Close(ctx context.Context) error
}

// clusterFlags are the flags of a node of several (issue 26).
func clusterFlags(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.RedisURL, "redis", "", "Redis URL (redis://[:password@]host:port/db) shared by the nodes of a cluster: video jobs are queued, processed and served cluster-wide; without it the server works alone")
	fs.StringVar(&c.NodeID, "node-id", "", "this node's name in a cluster, in video job status (default: the host name and the --addr port)")
	fs.DurationVar(&c.VideoLease, "video-lease", 10*time.Second, "with --redis: a video job whose node stops reporting for this long is taken over by another node")
}

// validateCluster checks the cluster flags and fills in the node id.
func (c *Config) validateCluster() error {
	if c.RedisURL != "" {
		if _, err := redis.ParseURL(c.RedisURL); err != nil {
			return fmt.Errorf("--redis %q: %v", c.RedisURL, err)
		}
	}
	if c.VideoLease < time.Second {
		return fmt.Errorf("--video-lease %v: want at least 1s", c.VideoLease)
	}
	if c.NodeID == "" {
		host, _ := os.Hostname()
		_, port, _ := net.SplitHostPort(c.Addr)
		c.NodeID = host + ":" + port
	}
	if len(c.NodeID) > 64 {
		return errors.New("--node-id: want at most 64 bytes")
	}
	return nil
}

// openVideoJobs opens the video job backend: pkg/jobs alone, or with
// --redis the cluster's queue over the shared --data-dir.
func (s *Server) openVideoJobs(cfg Config, engine *pipeline.Engine) (videoJobs, videoapi.Jobs, error) {
	jc := jobs.Config{Dir: filepath.Join(cfg.DataDir, "videos"), Concurrent: cfg.VideoJobs, MaxQueued: cfg.VideoQueue,
		Retention: cfg.VideoRetention, Limits: cfg.VideoLimits, MaxProbes: cfg.VideoProbes, Logger: s.log}
	if cfg.RedisURL == "" {
		m, err := jobs.New(jc, engine)
		if err != nil {
			return nil, nil, err
		}
		return m, videoapi.Local(m), nil
	}
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, nil, err
	}
	// Short timeouts: while Redis is down an upload is refused in about a
	// second, not after go-redis's defaults of 5 s and three retries.
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout, opts.MaxRetries = time.Second, 2*time.Second, 2*time.Second, 1
	rdb := redis.NewClient(opts)
	q, err := jobqueue.New(jobqueue.Config{Redis: rdb, Node: cfg.NodeID, Store: jobqueue.DirStore{Root: jc.Dir},
		Jobs: jc, Lease: cfg.VideoLease, OpenPreview: func() jobs.Preview { return s.watch.Open() }}, engine)
	if err != nil {
		rdb.Close()
		return nil, nil, err
	}
	return clusterJobs{q, rdb}, q, nil
}

// clusterJobs closes the queue, then its Redis client.
type clusterJobs struct {
	*jobqueue.Queue
	rdb *redis.Client
}

func (c clusterJobs) Close(ctx context.Context) error {
	err := c.Queue.Close(ctx)
	c.rdb.Close()
	return err
}
