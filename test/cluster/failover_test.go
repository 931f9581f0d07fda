package cluster_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livetryon/server/internal/clustertest"
)

// busiest is the node holding the most of clients, and those clients.
func busiest(t *testing.T, clients []*clustertest.SocketIOClient) (string, []*clustertest.SocketIOClient) {
	t.Helper()
	by := map[string][]*clustertest.SocketIOClient{}
	best := ""
	for _, cl := range clients {
		n := nodeOf(t, cl)
		by[n] = append(by[n], cl)
		if best == "" || len(by[n]) > len(by[best]) {
			best = n
		}
	}
	return best, by[best]
}

// TestClusterNodeKilled: the Socket.IO clients of a node killed with
// SIGKILL reconnect through nginx and are answered by another node within
// 5 s (the bound); the other nodes' clients never notice.
func TestClusterNodeKilled(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{})
	clients := startClients(t, c, 6, 30)
	victim, moved := busiest(t, clients)
	killed := time.Now()
	c.Kill(victim)
	var slowest time.Duration
	for _, cl := range moved {
		// An answer the killed node sent just before it died does not
		// count: the client must have a new session on another node, and
		// an answer on it.
		deadline := killed.Add(5 * time.Second)
		s, ok := cl.WaitFor(killed, time.Until(deadline), func(e clustertest.Event) bool { return e.Ev == "session" && e.Node != victim })
		var e clustertest.Event
		if ok {
			e, ok = cl.WaitFor(s.Time(), time.Until(deadline), clustertest.Ev("answer"))
		}
		if !ok {
			t.Errorf("client %s of %s was not answered by another node within 5 s of the kill: %s", cl.Name, victim, cl.Summary())
			continue
		}
		after := e.Time().Sub(killed).Round(time.Millisecond)
		slowest = max(slowest, after)
		t.Logf("client %s: answered again by %s %v after the kill", cl.Name, s.Node, after)
	}
	t.Logf("every client of %s answered again by another node %v after the kill", victim, slowest)
	for _, cl := range clients {
		if n := nodeOf(t, cl); n != victim && !contains(moved, cl) {
			if _, lost := cl.WaitFor(killed, 0, clustertest.Ev("disconnect")); lost {
				t.Errorf("client %s on %s was disconnected when %s died: %s", cl.Name, n, victim, cl.Summary())
			}
		}
	}
}

func contains(list []*clustertest.SocketIOClient, c *clustertest.SocketIOClient) bool {
	for _, x := range list {
		if x == c {
			return true
		}
	}
	return false
}

// TestClusterNodeStopped: on SIGTERM a node answers /readyz 503 at once,
// tells its clients (shutting_down), which reconnect to other nodes and
// are answered; new clients, even from the addresses that hashed to it,
// land on other nodes.
func TestClusterNodeStopped(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{Drain: "3s"})
	clients := startClients(t, c, 6, 40)
	victim, moved := busiest(t, clients)
	stopped := time.Now()
	c.Term(victim)
	// Not ready at once: within the drain, /readyz on the node itself.
	var status int
	for range 20 {
		resp, err := http.Get(c.Node(victim).URL + "/readyz")
		if err == nil {
			status = resp.StatusCode
			resp.Body.Close()
			if status == 503 {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if status != 503 {
		t.Errorf("%s's /readyz answered %d after SIGTERM, want 503", victim, status)
	}
	// New clients from the same addresses as the stopped node's clients.
	var late []*clustertest.SocketIOClient
	for i, cl := range moved {
		late = append(late, clustertest.StartClient(t, fmt.Sprintf("late%d-%s", i, cl.Name), clustertest.ClientOptions{URL: c.URL, LocalAddress: cl.Name}))
	}
	for _, cl := range moved {
		if _, ok := cl.WaitFor(stopped, 10*time.Second, func(e clustertest.Event) bool { return e.Ev == "error" && e.Code == "shutting_down" }); !ok {
			t.Errorf("client %s of %s was not told shutting_down: %s", cl.Name, victim, cl.Summary())
		}
		if _, ok := cl.WaitFor(stopped, 15*time.Second, func(e clustertest.Event) bool { return e.Ev == "session" && e.Node != victim }); !ok {
			t.Errorf("client %s did not move off %s: %s", cl.Name, victim, cl.Summary())
			continue
		}
		if _, ok := cl.WaitFor(time.Now(), 15*time.Second, clustertest.Ev("answer")); !ok {
			t.Errorf("client %s moved but is not answered: %s", cl.Name, cl.Summary())
		}
	}
	for _, cl := range late {
		if _, ok := cl.WaitFor(stopped, 30*time.Second, clustertest.Ev("answer")); !ok {
			t.Errorf("new client %s not answered: %s", cl.Name, cl.Summary())
			continue
		}
		for _, e := range cl.Events() {
			if e.Ev == "session" && e.Node == victim {
				t.Errorf("new client %s landed on %s, which was stopping: %s", cl.Name, victim, cl.Summary())
			}
		}
	}
	if !c.WaitExit(victim, 15*time.Second) {
		t.Errorf("%s did not exit after SIGTERM", victim)
	}
}

// TestClusterRedisDown: with Redis stopped, every live client keeps being
// answered, a node does not spin, and a watch link asked of a node that
// does not hold its session answers 503 unavailable with Retry-After (the
// holding node's own still works); when Redis is back, cross-node watch
// links and broadcasts work again by themselves.
func TestClusterRedisDown(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{Nodes: 2})
	clients := startClients(t, c, 4, 50)
	owner := nodeOf(t, clients[0])
	other := c.Nodes[0]
	if other.ID == owner {
		other = c.Nodes[1]
	}
	s, _ := clients[0].Session()
	crossURL := other.URL + s.Watch + "/snapshot.jpg"
	if code, _ := snapshot(t, crossURL, 200, 5*time.Second); code != 200 {
		t.Fatalf("cross-node snapshot before Redis stopped: %d", code)
	}

	cpuBefore := cpuTime(t, c.Node(other.ID).PID)
	down := time.Now()
	c.StopRedis()
	code, resp := snapshot(t, crossURL, 503, 5*time.Second)
	if code != 503 || resp.code != "unavailable" || resp.retryAfter < 1 {
		t.Errorf("cross-node snapshot with Redis down: %d %q Retry-After %d, want 503 unavailable with Retry-After", code, resp.code, resp.retryAfter)
	}
	if code, _ := snapshot(t, c.Node(owner).URL+s.Watch+"/snapshot.jpg", 200, time.Second); code != 200 {
		t.Errorf("the holding node's own snapshot with Redis down: %d, want 200", code)
	}
	time.Sleep(3 * time.Second)
	for _, cl := range clients {
		if _, ok := cl.WaitFor(down.Add(2*time.Second), 5*time.Second, clustertest.Ev("answer")); !ok {
			t.Errorf("client %s not answered while Redis was down: %s", cl.Name, cl.Summary())
		}
		if _, lost := cl.WaitFor(down, 0, clustertest.Ev("disconnect")); lost {
			t.Errorf("client %s disconnected when Redis stopped: %s", cl.Name, cl.Summary())
		}
	}
	// The adapter's receive loops retry at once in socket.io-go-redis
	// v1.3.0: without their backoff a node burns half a core while Redis
	// is down (measured: 2.5 s of CPU in 5 s, against 0.04 s with it). A
	// quarter of a core is well above what two clients' frames at 5 a
	// second cost, and well below the spin.
	if used, wall := cpuTime(t, c.Node(other.ID).PID)-cpuBefore, time.Since(down); used > wall/4 {
		t.Errorf("%s used %v of CPU in %v while Redis was down: something spins", other.ID, used, wall.Round(time.Millisecond))
	}

	c.StartRedis()
	if code, _ := snapshot(t, crossURL, 200, 15*time.Second); code != 200 {
		t.Errorf("cross-node snapshot after Redis came back: %d, want 200", code)
	}
	// Broadcasts reach other nodes again: the adapter subscribed again.
	target := clients[0]
	var sent time.Time
	ok := false
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && !ok; {
		sent = time.Now()
		resp, err := http.Post(other.URL+"/api/v1/cluster/broadcast", "application/json",
			strings.NewReader(`{"room": "`+s.ID+`", "message": "back"}`))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				_, ok = target.WaitFor(sent, 2*time.Second, func(e clustertest.Event) bool { return e.Ev == "notice" && e.Message == "back" })
			}
		}
		if !ok {
			time.Sleep(500 * time.Millisecond)
		}
	}
	if !ok {
		t.Errorf("a broadcast from %s to a client on %s never arrived after Redis came back: %s", other.ID, owner, target.Summary())
	}
}

type errorReply struct {
	code       string
	retryAfter int
}

// snapshot GETs url until it answers want or timeout passes; it returns
// the last status and error body.
func snapshot(t *testing.T, url string, want int, timeout time.Duration) (int, errorReply) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct {
			Error struct{ Code string }
		}
		json.Unmarshal(body, &e)
		ra, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode == want || time.Now().After(deadline) {
			return resp.StatusCode, errorReply{e.Error.Code, ra}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// cpuTime is the user and system time the process used so far.
func cpuTime(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ
}
