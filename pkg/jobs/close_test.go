package jobs_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/livetryon/server/pkg/jobs"
)

// Close returns only once what the Manager started has stopped: the
// expirer and a running job (its goroutine, its ffmpegs' pipes). The job
// is then failed "interrupted", and its state is on disk for the next run.
func TestCloseWaitsForWhatItStarted(t *testing.T) {
	engine := newEngine(t, 20*time.Millisecond) // a 150-frame job runs for seconds
	before := goleak.IgnoreCurrent()            // the engine's workers are not the Manager's
	dir := t.TempDir()
	m, err := jobs.New(jobs.Config{Dir: dir, Retention: time.Second}, engine)
	if err != nil {
		t.Fatal(err)
	}
	id := upload(t, m, makeClip(t, 150))
	if _, err := m.Add(context.Background(), id, "", nil, nil); err != nil {
		t.Fatal(err)
	}
	waitState(t, m, id, jobs.Processing)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// At once: Close has waited, so the job's end is already recorded.
	st, _, _ := m.Get(id)
	if st.State != jobs.Failed || st.Error == nil || st.Error.Code != jobs.CodeInterrupted {
		t.Errorf("the running job after Close: %s %+v; want failed, interrupted", st.State, st.Error)
	}
	b, err := os.ReadFile(filepath.Join(dir, id, "job.json"))
	if err != nil || !strings.Contains(string(b), `"interrupted"`) {
		t.Errorf("the job's saved state after Close: %s %v; want it interrupted", b, err)
	}
	goleak.VerifyNone(t, before)
	if err := m.Close(ctx); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}
