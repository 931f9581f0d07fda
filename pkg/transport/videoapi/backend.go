package videoapi

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/jobs"
	"github.com/livetryon/server/pkg/pipeline"
)

// Jobs is the job backend the adapter serves: pkg/jobs' Manager on one
// node (through Local), pkg/jobqueue's Queue across several. Errors a
// client sees are *apierr.Error values: unknown_job, and with Redis
// unavailable.
type Jobs interface {
	// Admit says, before a byte of an upload is read, whether it may start.
	Admit(ctx context.Context) error
	Dir() string // on the disk uploads land on
	NewUpload() (id, path string, err error)
	Discard(id string)
	Add(ctx context.Context, id, name string, fx []pipeline.Effect) (jobs.Status, error)
	Get(ctx context.Context, id string) (jobs.Status, <-chan struct{}, error)
	// Result opens a done job's MP4, with its modification time; nil
	// unless the job is done.
	Result(ctx context.Context, id string) (jobs.Status, io.ReadSeekCloser, time.Time, error)
	Preview(ctx context.Context, id string) (jobs.Preview, bool)
	Remove(ctx context.Context, id string) error
}

// Local is the backend of a node alone: a Manager, its previews opened by
// open.
func Local(m *jobs.Manager, open func() jobs.Preview) Jobs { return local{m, open} }

type local struct {
	m    *jobs.Manager
	open func() jobs.Preview
}

var errUnknownJob = apierr.New(client.CodeUnknownJob, "no such video job: it expired, was removed, or never was")

func (l local) Admit(context.Context) error {
	if l.m.QueueFull() {
		return &apierr.Error{Code: client.CodeBusy, RetryAfter: 30,
			Message: "as many videos are waiting as the server queues (--video-queue); try again later"}
	}
	return nil
}

func (l local) Dir() string                             { return l.m.Dir() }
func (l local) NewUpload() (id, path string, err error) { return l.m.NewUpload() }
func (l local) Discard(id string)                       { l.m.Discard(id) }

func (l local) Add(ctx context.Context, id, name string, fx []pipeline.Effect) (jobs.Status, error) {
	return l.m.Add(ctx, id, name, fx, l.open())
}

func (l local) Get(_ context.Context, id string) (jobs.Status, <-chan struct{}, error) {
	st, changed, ok := l.m.Get(id)
	if !ok {
		return st, nil, errUnknownJob
	}
	return st, changed, nil
}

func (l local) Result(_ context.Context, id string) (jobs.Status, io.ReadSeekCloser, time.Time, error) {
	path, st, ok := l.m.Result(id)
	if !ok {
		return st, nil, time.Time{}, errUnknownJob
	}
	if st.State != jobs.Done {
		return st, nil, time.Time{}, nil
	}
	f, err := os.Open(filepath.Clean(path))
	if err != nil {
		return st, nil, time.Time{}, apierr.New(client.CodeUnknownJob, "the result has expired")
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return st, nil, time.Time{}, apierr.New(apierr.CodeInternal, "the result cannot be read")
	}
	return st, f, fi.ModTime(), nil
}

func (l local) Preview(_ context.Context, id string) (jobs.Preview, bool) { return l.m.Preview(id) }

func (l local) Remove(_ context.Context, id string) error {
	if !l.m.Remove(id) {
		return errUnknownJob
	}
	return nil
}
