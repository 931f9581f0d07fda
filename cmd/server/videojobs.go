package main

import (
	"context"
	"flag"
	"path/filepath"
	"time"

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

// stopVideoJobs hands this node's video jobs to the others, at the start
// of a drain: a cluster's queue does; a single node's jobs have nowhere
// to go, and finish or are interrupted at shutdown as before.
func (s *Server) stopVideoJobs() {
	if q, ok := s.jobs.(interface{ Stop() }); ok {
		q.Stop()
	}
}

// videoJobFlags are the video job flags of a node of several.
func videoJobFlags(fs *flag.FlagSet, c *Config) {
	fs.DurationVar(&c.VideoLease, "video-lease", 10*time.Second, "with --redis: a video job whose node stops reporting for this long is taken over by another node")
}

// openVideoJobs opens the video job backend: pkg/jobs alone, or with
// --redis the cluster's queue (pkg/jobqueue) over the shared --data-dir
// and the node's Redis client.
func (s *Server) openVideoJobs(cfg Config, engine *pipeline.Engine) (videoJobs, videoapi.Jobs, error) {
	jc := jobs.Config{Dir: filepath.Join(cfg.DataDir, "videos"), Concurrent: cfg.VideoJobs, MaxQueued: cfg.VideoQueue,
		Retention: cfg.VideoRetention, Limits: cfg.VideoLimits, MaxProbes: cfg.VideoProbes, Logger: s.log}
	if !s.cluster.Enabled() {
		m, err := jobs.New(jc, engine)
		if err != nil {
			return nil, nil, err
		}
		return m, videoapi.Local(m), nil
	}
	q, err := jobqueue.New(jobqueue.Config{Redis: s.cluster.Redis(), Node: s.cluster.NodeID(), Store: jobqueue.DirStore{Root: jc.Dir},
		Jobs: jc, Lease: cfg.VideoLease, OpenPreview: func() jobs.Preview { return s.watch.Open() }}, engine)
	if err != nil {
		return nil, nil, err
	}
	return q, q, nil
}
