package jobs_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/livetryon/server/internal/testvideo"
	"github.com/livetryon/server/pkg/jobs"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/video"
)

func newEngine(t *testing.T, delay time.Duration) *pipeline.Engine {
	t.Helper()
	cfg := pipeline.DefaultConfig()
	cfg.Workers, cfg.Delay = 2, delay
	e, err := pipeline.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return e
}

// upload puts a copy of clip where the manager wants a new upload.
func upload(t *testing.T, m *jobs.Manager, clip []byte) string {
	t.Helper()
	id, path, err := m.NewUpload()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, clip, 0o600); err != nil {
		t.Fatal(err)
	}
	return id
}

func makeClip(t *testing.T, frames int) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clip.mp4")
	testvideo.MakeVideoClip(t, path, testvideo.VideoClip{Width: 320, Height: 240, Frames: frames, FPS: 30})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func waitState(t *testing.T, m *jobs.Manager, id string, want jobs.State) jobs.Status {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, changed, ok := m.Get(id)
		if !ok {
			t.Fatalf("job %s is gone, waiting for %s", id, want)
		}
		if st.State == want {
			return st
		}
		if st.State.Finished() || time.Now().After(deadline) {
			t.Fatalf("job %s is %s, waiting for %s: %+v", id, st.State, want, st.Error)
		}
		select {
		case <-changed:
		case <-time.After(time.Second):
		}
	}
}

// A finished job and its files are removed once the retention time has
// passed: the disk cannot fill with old results.
func TestFinishedJobsExpire(t *testing.T) {
	dir := t.TempDir()
	m, err := jobs.New(jobs.Config{Dir: dir, Retention: time.Second}, newEngine(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())
	id := upload(t, m, makeClip(t, 15))
	if _, err := m.Add(context.Background(), id, "clip.mp4", nil, nil); err != nil {
		t.Fatal(err)
	}
	st := waitState(t, m, id, jobs.Done)
	if st.Expires == nil || st.Expires.Sub(*st.Finished) != time.Second {
		t.Errorf("expiry %v after finishing at %v; want a second later", st.Expires, st.Finished)
	}
	if _, err := os.Stat(filepath.Join(dir, id, "result.mp4")); err != nil {
		t.Fatalf("no result: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, _, ok := m.Get(id)
		_, err := os.Stat(filepath.Join(dir, id))
		if !ok && os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after a 1 s retention: job known %v, files %v", ok, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Past MaxQueued waiting jobs, Add refuses and removes the upload; the
// queue positions count down as jobs start.
func TestQueueIsBounded(t *testing.T) {
	dir := t.TempDir()
	// 20 ms more a frame: the first job runs for seconds.
	m, err := jobs.New(jobs.Config{Dir: dir, Concurrent: 1, MaxQueued: 2}, newEngine(t, 20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())
	long, short := makeClip(t, 150), makeClip(t, 5)
	first := upload(t, m, long)
	if _, err := m.Add(context.Background(), first, "", nil, nil); err != nil {
		t.Fatal(err)
	}
	var queued []string
	for i := 0; i < 2; i++ {
		id := upload(t, m, short)
		st, err := m.Add(context.Background(), id, "", nil, nil)
		if err != nil || st.State != jobs.Queued || st.Position != i+1 {
			t.Fatalf("job %d: %+v %v; want queued at %d", i+2, st, err, i+1)
		}
		queued = append(queued, id)
	}
	if !m.QueueFull() {
		t.Error("QueueFull is false with 2 of 2 waiting")
	}
	over := upload(t, m, short)
	if _, err := m.Add(context.Background(), over, "", nil, nil); !errors.Is(err, jobs.ErrQueueFull) {
		t.Errorf("a third waiting job: %v, want ErrQueueFull", err)
	}
	if _, err := os.Stat(filepath.Join(dir, over)); !os.IsNotExist(err) {
		t.Errorf("the refused upload's directory is left: %v", err)
	}
	if s := m.Stats(); s.Queued != 2 || s.Processing != 1 {
		t.Errorf("stats %+v; want 2 queued, 1 processing", s)
	}
	if !m.Remove(first) {
		t.Fatal("Remove of the running job: false")
	}
	st := waitState(t, m, queued[1], jobs.Done)
	if st.Position != 0 || st.FramesDone != 5 {
		t.Errorf("last job done: %+v", st)
	}
}

// A job's deadline follows its frames, not its declared play time: the
// 2x2 clip of 10,000 frames gets minutes, not hours; a 1080p one gets
// 200 ms a frame.
func TestDeadlineFollowsFrames(t *testing.T) {
	tiny := jobs.Deadline(video.Info{Width: 2, Height: 2, Frames: 10000, Duration: 599 * time.Second})
	hd := jobs.Deadline(video.Info{Width: 1920, Height: 1080, Frames: 300, Duration: 10 * time.Second})
	t.Logf("deadlines: 10,000 frames of 2x2 %v; 300 of 1080p %v", tiny, hd)
	if tiny > 5*time.Minute || tiny < 3*time.Minute {
		t.Errorf("10,000 frames of 2x2: %v; want 1 min + 10,000 x 20 ms", tiny)
	}
	if hd != time.Minute+300*200*time.Millisecond {
		t.Errorf("300 frames of 1080p: %v; want 1 min + 300 x 200 ms", hd)
	}
}
