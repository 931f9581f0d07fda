package jobqueue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/jobs"
)

// A DirStore keeps a job's files in its directory: the upload, each
// attempt's output beside the result, the result renamed over whole; an
// id that is not one NewUpload makes names no path at all.
func TestDirStore(t *testing.T) {
	ctx := context.Background()
	s := DirStore{Root: filepath.Join(t.TempDir(), "videos")}
	id, path, err := s.NewUpload()
	if err != nil || !validID(id) || filepath.Dir(path) != filepath.Join(s.Root, id) {
		t.Fatalf("NewUpload: %q %q %v", id, path, err)
	}
	os.WriteFile(path, []byte("the upload"), 0o600)
	if in, err := s.Input(ctx, id); err != nil || in != path {
		t.Fatalf("Input: %q %v", in, err)
	}
	// Two attempts, the first from a node that died part-way.
	os.WriteFile(s.Output(id, "dead.1"), []byte("half"), 0o600)
	os.WriteFile(s.Output(id, "live.2"), []byte("the whole result"), 0o600)
	if n, err := s.Commit(ctx, id, "live.2"); err != nil || n != int64(len("the whole result")) {
		t.Fatalf("Commit: %d %v", n, err)
	}
	s.Finish(ctx, id)
	entries, _ := os.ReadDir(filepath.Join(s.Root, id))
	if len(entries) != 1 || entries[0].Name() != resultName {
		t.Errorf("after Finish the job's directory holds %v; want only %s", entries, resultName)
	}
	f, err := s.Open(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "the whole result" || f.ModTime().IsZero() {
		t.Errorf("Open: %q %v", b, f.ModTime())
	}
	if err := s.Remove(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Root, id)); !os.IsNotExist(err) {
		t.Errorf("after Remove: %v", err)
	}
	for _, bad := range []string{"", "..", "../../etc/passwd", "0123456789abcdef0123456789abcdeg", id + "/.."} {
		if _, err := s.Input(ctx, bad); err == nil {
			t.Errorf("Input(%q) was accepted", bad)
		}
		if err := s.Remove(ctx, bad); err == nil {
			t.Errorf("Remove(%q) was accepted", bad)
		}
	}
}

// With Redis out of reach, a node starts, refuses uploads and answers
// job lookups with unavailable and a Retry-After, never unknown_job, and
// closes without waiting on Redis.
func TestQueueWithoutRedis(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	q, err := New(Config{Redis: rdb, Node: "n1", Store: DirStore{Root: t.TempDir()}, Jobs: jobs.Config{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var e *apierr.Error
	if err := q.Admit(ctx); !errors.As(err, &e) || e.Code != apierr.CodeUnavailable || e.RetryAfter <= 0 || e.HTTPStatus() != 503 {
		t.Errorf("Admit: %v", err)
	}
	id := "0123456789abcdef0123456789abcdef"
	if _, _, err := q.Get(ctx, id); !errors.As(err, &e) || e.Code != apierr.CodeUnavailable {
		t.Errorf("Get: %v", err)
	}
	if err := q.Remove(ctx, id); !errors.As(err, &e) || e.Code != apierr.CodeUnavailable {
		t.Errorf("Remove: %v", err)
	}
	if _, _, err := q.Get(ctx, "../x"); !errors.As(err, &e) || e.Code != apierr.CodeUnknownJob {
		t.Errorf("Get of a bad id: %v", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := q.Close(cctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// startRedis runs Debian's redis-server on a free loopback port, saving
// nothing, and returns a client of it.
func startRedis(t *testing.T) *redis.Client {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed (scripts/install-deps.sh installs it)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
	t.Cleanup(func() { rdb.Close() })
	for deadline := time.Now().Add(10 * time.Second); rdb.Ping(context.Background()).Err() != nil; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("redis-server did not start")
		}
	}
	return rdb
}

// The files of an upload that never became a job (its node died while
// receiving or checking it) are removed once they are older than
// orphanAge; a job's, and a recent upload's, are kept.
func TestSweepRemovesOrphanUploads(t *testing.T) {
	rdb := startRedis(t)
	store := DirStore{Root: t.TempDir()}
	q, err := New(Config{Redis: rdb, Node: "n1", Store: store}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	defer func() {
		// Close waits for the node's loops, its subscription's included.
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := q.Close(cctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	orphan, _, _ := store.NewUpload()
	job, _, _ := store.NewUpload()
	fresh, _, _ := store.NewUpload()
	rdb.Set(ctx, q.jobKey(job), `{"status":{"id":"`+job+`","state":"done"}}`, 0)
	old := time.Now().Add(-orphanAge - time.Minute)
	for _, id := range []string{orphan, job} {
		os.Chtimes(filepath.Join(store.Root, id), old, old)
	}
	q.sweep(ctx, time.Now())
	for id, want := range map[string]bool{orphan: false, job: true, fresh: true} {
		_, err := os.Stat(filepath.Join(store.Root, id))
		if got := err == nil; got != want {
			t.Errorf("%s: kept %v, want %v", id[:8], got, want)
		}
	}
}
