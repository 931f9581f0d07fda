package videoapi

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/jobs"
)

// Local is the backend of a node alone: m, whose calls cannot fail but
// for an unknown job.
func Local(m *jobs.Manager) Jobs { return local{m} }

type local struct{ m *jobs.Manager }

var _ Jobs = local{}

func unknownJob() *apierr.Error {
	return apierr.New(client.CodeUnknownJob, "no such video job: it expired, was removed, or never was")
}

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

func (l local) Add(ctx context.Context, id, name string, fx []effects.Effect, preview jobs.Preview) (jobs.Status, error) {
	return l.m.Add(ctx, id, name, fx, preview)
}

func (l local) Get(_ context.Context, id string) (jobs.Status, <-chan struct{}, error) {
	st, changed, ok := l.m.Get(id)
	if !ok {
		return st, nil, unknownJob()
	}
	return st, changed, nil
}

func (l local) Result(_ context.Context, id string) (jobs.Status, io.ReadSeekCloser, time.Time, error) {
	path, st, ok := l.m.Result(id)
	if !ok {
		return st, nil, time.Time{}, unknownJob()
	}
	if st.State != jobs.Done {
		return st, nil, time.Time{}, nil
	}
	f, err := os.Open(path)
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
		return unknownJob()
	}
	return nil
}
