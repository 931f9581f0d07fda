package cluster

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestDefaults(t *testing.T) {
	if id := DefaultNodeID("127.0.0.1:9990"); !strings.HasSuffix(id, "-9990") {
		t.Errorf("DefaultNodeID = %q, want <host>-9990", id)
	}
	if u := DefaultURL("127.0.0.1:9990"); u != "http://127.0.0.1:9990" {
		t.Errorf("DefaultURL = %q", u)
	}
	if u := DefaultURL(":9990"); strings.Contains(u, "://:") || !strings.HasSuffix(u, ":9990") {
		t.Errorf("DefaultURL(:9990) = %q, want the host name", u)
	}
	for _, good := range []string{"127.0.0.1:6379", "redis://127.0.0.1:6379/2", "redis://u:p@h:1"} {
		if _, err := ParseRedisURL(good); err != nil {
			t.Errorf("ParseRedisURL(%q): %v", good, err)
		}
	}
	for _, bad := range []string{"http://x", "redis://h:1/notadb"} {
		if _, err := ParseRedisURL(bad); err == nil {
			t.Errorf("ParseRedisURL(%q) accepted", bad)
		}
	}
}

func TestSingleNode(t *testing.T) {
	c, err := Open(context.Background(), Config{NodeID: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Enabled() || c.Redis() != nil || !errors.Is(c.Available(), ErrUnavailable) {
		t.Errorf("a node without Redis: enabled %v, redis %v, available %v", c.Enabled(), c.Redis(), c.Available())
	}
	if _, _, err := c.Watches(func() []string { return nil }).Owner(context.Background(), "x"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Owner on a single node: %v", err)
	}
	if err := c.Close(context.Background()); err != nil {
		t.Error(err)
	}
	if _, err := Open(context.Background(), Config{NodeID: "n1", RedisURL: "http://nope"}); err == nil {
		t.Error("a bad Redis URL was accepted")
	}
}

// redisServer starts a real redis-server on a free loopback port.
func redisServer(t *testing.T, port int) func() {
	t.Helper()
	cmd := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			c.Close()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cmd.Process.Kill()
			cmd.Wait()
		}
	}
	t.Cleanup(stop)
	return stop
}

// TestRedis: two nodes on a real Redis find each other and each other's
// watch links; Redis stopped, both report unavailable (and are told);
// Redis back, empty, the directory comes back by itself.
func TestRedis(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed (scripts/install-deps.sh --test)")
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	stop := redisServer(t, port)
	url := "redis://127.0.0.1:" + strconv.Itoa(port)
	open := func(id string, watches []string) (*Cluster, *Watches) {
		c, err := Open(context.Background(), Config{NodeID: id, URL: "http://" + id, RedisURL: url, Heartbeat: 100 * time.Millisecond, TTL: time.Second, Logger: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(context.Background()) })
		return c, c.Watches(func() []string { return watches })
	}
	a, _ := open("a", []string{"w-of-a"})
	var changes atomic.Int32
	a.OnChange(func(up bool) { changes.Add(1) })
	b, wb := open("b", nil)
	eventually(t, "b finds a's watch link", func() bool {
		n, ok, err := wb.Owner(context.Background(), "w-of-a")
		return err == nil && ok && n.ID == "a" && n.URL == "http://a"
	})
	if _, ok, err := wb.Owner(context.Background(), "nobody's"); ok || err != nil {
		t.Errorf("an unknown watch id: found %v, %v", ok, err)
	}
	nodes, err := b.Nodes(context.Background())
	if err != nil || len(nodes) != 2 {
		t.Errorf("Nodes: %v %v", nodes, err)
	}

	stop()
	eventually(t, "a and b see Redis gone", func() bool {
		return errors.Is(a.Available(), ErrUnavailable) && errors.Is(b.Available(), ErrUnavailable)
	})
	if _, _, err := wb.Owner(context.Background(), "w-of-a"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Owner with Redis down: %v, want ErrUnavailable", err)
	}
	redisServer(t, port) // empty
	eventually(t, "a's watch link is found again", func() bool {
		n, ok, err := wb.Owner(context.Background(), "w-of-a")
		return err == nil && ok && n.ID == "a"
	})
	if changes.Load() < 2 {
		t.Errorf("a was told of %d changes, want down and up", changes.Load())
	}
	if err := a.Close(context.Background()); err != nil {
		t.Error(err)
	}
	if _, ok, _ := b.NodeByID(context.Background(), "a"); ok {
		t.Error("a closed but is still in the directory")
	}
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("%s: not within 10 s", what)
}
