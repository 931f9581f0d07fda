// Package clustertest runs a real local cluster for tests: redis-server,
// try-on nodes (the server binary, built once per test process) and nginx
// in front, on loopback ports of its own, through scripts/cluster.sh; and
// lets a test kill or stop a node, and stop and start Redis. No part is
// mocked. Tests skip when redis-server or nginx is not installed
// (scripts/install-deps.sh --test installs them).
package clustertest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/livetryon/server/internal/testmedia"
)

// Options shape a cluster.
type Options struct {
	Nodes int      // default 3
	Args  []string // more flags for every node, e.g. --workers 1
	Drain string   // each node's --drain; default 2s
}

// Node is one node, as DIR/cluster.json names it.
type Node struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	PID int    `json:"pid"`
}

// Cluster is a running cluster.
type Cluster struct {
	t     testing.TB
	Dir   string // every file: configs, logs (DIR/nodeN.log), the shared data dir (DIR/data)
	URL   string `json:"url"`   // nginx: what clients use
	Redis string `json:"redis"` // host:port
	Nodes []Node `json:"nodes"`
	env   []string
}

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// ServerBinary builds cmd/server once per test process.
func ServerBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "clustertest-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "server")
		cmd := exec.Command("go", "build", "-o", binary, "./cmd/server")
		cmd.Dir = testmedia.RepoPath("")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/server: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// FreePorts returns n TCP ports free on 127.0.0.1 now.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

// Need skips the test unless redis-server, nginx and node are installed.
func Need(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"redis-server", "redis-cli", "nginx", "node", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (scripts/install-deps.sh --test)", tool)
		}
	}
}

// Start starts a cluster and stops it when the test ends; it returns once
// every node is ready.
func Start(t testing.TB, o Options) *Cluster {
	t.Helper()
	Need(t)
	if o.Nodes == 0 {
		o.Nodes = 3
	}
	if o.Drain == "" {
		o.Drain = "2s"
	}
	server := ServerBinary(t)
	ports := FreePorts(t, o.Nodes+2)
	var nodePorts []string
	for _, p := range ports[2:] {
		nodePorts = append(nodePorts, strconv.Itoa(p))
	}
	c := &Cluster{t: t, Dir: t.TempDir()}
	c.env = append(os.Environ(),
		"CLUSTER_NODES="+strconv.Itoa(o.Nodes),
		"CLUSTER_PORT="+strconv.Itoa(ports[0]),
		"CLUSTER_REDIS_PORT="+strconv.Itoa(ports[1]),
		"CLUSTER_NODE_PORTS="+strings.Join(nodePorts, " "),
		"CLUSTER_SERVER="+server,
		"CLUSTER_DRAIN="+o.Drain,
		"CLUSTER_ARGS="+strings.Join(append([]string{"--workers", "1"}, o.Args...), " "),
	)
	t.Cleanup(func() {
		c.script("stop")
		if t.Failed() {
			for _, n := range c.Nodes {
				b, _ := os.ReadFile(filepath.Join(c.Dir, n.ID+".log"))
				lines := strings.Split(strings.TrimSpace(string(b)), "\n")
				t.Logf("%s: last lines of its log:\n%s", n.ID, strings.Join(lines[max(0, len(lines)-25):], "\n"))
			}
		}
	})
	if out, err := c.script("start"); err != nil {
		t.Fatalf("scripts/cluster.sh start: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(c.Dir, "cluster.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, c); err != nil {
		t.Fatalf("cluster.json %s: %v", b, err)
	}
	return c
}

func (c *Cluster) script(cmd string) ([]byte, error) {
	sh := exec.Command("bash", testmedia.RepoPath("scripts/cluster.sh"), cmd, c.Dir)
	sh.Env = c.env
	return sh.CombinedOutput()
}

// Node is the node with this id.
func (c *Cluster) Node(id string) Node {
	for _, n := range c.Nodes {
		if n.ID == id {
			return n
		}
	}
	c.t.Fatalf("no node %q in the cluster", id)
	return Node{}
}

// Kill sends SIGKILL to the node and waits for it to be gone.
func (c *Cluster) Kill(id string) {
	c.t.Helper()
	n := c.Node(id)
	syscall.Kill(n.PID, syscall.SIGKILL)
	if !c.WaitExit(id, 5*time.Second) {
		c.t.Fatalf("%s (pid %d) still runs after SIGKILL", id, n.PID)
	}
}

// Term sends SIGTERM to the node, and returns at once: the node drains,
// then stops (WaitExit).
func (c *Cluster) Term(id string) {
	syscall.Kill(c.Node(id).PID, syscall.SIGTERM)
}

// WaitExit waits up to timeout for the node's process to end.
func (c *Cluster) WaitExit(id string, timeout time.Duration) bool {
	pid := c.Node(id).PID
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if !running(pid) {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// running: the process exists and is not a zombie.
func running(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z")
}

// StopRedis stops redis-server (its data is not kept).
func (c *Cluster) StopRedis() {
	c.t.Helper()
	if out, err := c.script("redis-stop"); err != nil {
		c.t.Fatalf("redis-stop: %v %s", err, out)
	}
}

// StartRedis starts redis-server again on the same port.
func (c *Cluster) StartRedis() {
	c.t.Helper()
	if out, err := c.script("redis-start"); err != nil {
		c.t.Fatalf("redis-start: %v %s", err, out)
	}
}

// Log is a node's log so far.
func (c *Cluster) Log(id string) string {
	b, _ := os.ReadFile(filepath.Join(c.Dir, id+".log"))
	return string(b)
}

// Event is one line of test/js/cluster-client.js.
type Event struct {
	Ev      string `json:"ev"`
	T       int64  `json:"t"` // ms since the epoch
	Node    string `json:"node"`
	ID      string `json:"id"`
	Watch   string `json:"watch"`
	Code    string `json:"code"`
	Message string `json:"message"`
	From    string `json:"from"`
	Reason  string `json:"reason"`
}

// Time is when it happened.
func (e Event) Time() time.Time { return time.UnixMilli(e.T) }

// SocketIOClient is an official socket.io-client process (cluster-client.js).
type SocketIOClient struct {
	Name string
	cmd  *exec.Cmd

	mu      sync.Mutex
	events  []Event
	changed chan struct{}
}

// ClientOptions shape a SocketIOClient.
type ClientOptions struct {
	URL          string
	Version      int      // 2 (default) or 4
	Transports   []string // default: the client's own (polling, then the upgrade)
	LocalAddress string   // leave from this loopback address, e.g. 127.0.0.5
	IntervalMs   int      // a frame this often while connected; default 200
}

var frameOnce sync.Once
var frameFile string

// StartClient starts a client that emits the test webcam frame; it is
// stopped when the test ends.
func StartClient(t testing.TB, name string, o ClientOptions) *SocketIOClient {
	t.Helper()
	frameOnce.Do(func() {
		f, err := os.CreateTemp("", "clustertest-frame-*.txt")
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(testmedia.DataURL(testmedia.WebcamJPEG(t)))
		f.Close()
		frameFile = f.Name()
	})
	if o.Version == 0 {
		o.Version = 2
	}
	args, _ := json.Marshal(map[string]any{"url": o.URL, "version": o.Version, "transports": o.Transports,
		"localAddress": o.LocalAddress, "frame": frameFile, "intervalMs": o.IntervalMs})
	if o.Transports == nil {
		args, _ = json.Marshal(map[string]any{"url": o.URL, "version": o.Version,
			"localAddress": o.LocalAddress, "frame": frameFile, "intervalMs": o.IntervalMs})
	}
	cmd := exec.Command("node", testmedia.RepoPath("test/js/cluster-client.js"), string(args))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &SocketIOClient{Name: name, cmd: cmd, changed: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var e Event
			if json.Unmarshal(sc.Bytes(), &e) != nil {
				continue
			}
			c.mu.Lock()
			c.events = append(c.events, e)
			close(c.changed)
			c.changed = make(chan struct{})
			c.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("client %s events: %s", name, c.Summary())
		}
	})
	return c
}

// Events are what happened so far.
func (c *SocketIOClient) Events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.events...)
}

// WaitFor waits up to timeout for an event after since that match
// accepts, and returns it.
func (c *SocketIOClient) WaitFor(since time.Time, timeout time.Duration, accept func(Event) bool) (Event, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		changed := c.changed
		for _, e := range c.events {
			if !e.Time().Before(since.Truncate(time.Millisecond)) && accept(e) {
				c.mu.Unlock()
				return e, true
			}
		}
		c.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			return Event{}, false
		}
	}
}

// Ev matches events of this kind.
func Ev(kind string) func(Event) bool { return func(e Event) bool { return e.Ev == kind } }

// Session is the client's latest session message, or false.
func (c *SocketIOClient) Session() (Event, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.events) - 1; i >= 0; i-- {
		if c.events[i].Ev == "session" {
			return c.events[i], true
		}
	}
	return Event{}, false
}

// Summary is the events, compressed for a failure message.
func (c *SocketIOClient) Summary() string {
	var b strings.Builder
	last := ""
	n := 0
	for _, e := range c.Events() {
		s := e.Ev
		switch e.Ev {
		case "session":
			s += "(" + e.Node + ")"
		case "error", "connect_error", "disconnect", "notice":
			s += "(" + e.Code + e.Reason + e.Message + ")"
		}
		if s == last {
			n++
			continue
		}
		if n > 0 {
			fmt.Fprintf(&b, " x%d", n+1)
		}
		fmt.Fprintf(&b, " %s@%s", s, e.Time().Format("05.000"))
		last, n = s, 0
	}
	if n > 0 {
		fmt.Fprintf(&b, " x%d", n+1)
	}
	return b.String()
}
