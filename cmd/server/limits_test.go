package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/livetryon/server/internal/sioclient"
	"github.com/livetryon/server/internal/testmedia"
)

// metricValue reads one sample of GET /metrics, e.g.
// `tryon_sessions{transport="ws"}`; -1 if it is not there.
func metricValue(t *testing.T, base, sample string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				t.Fatalf("metric %s: %q", sample, rest)
			}
			return v
		}
	}
	return -1
}

// statsNumber reads a number from GET /api/v1/stats by its path, e.g.
// "clients", "closed_slow".
func statsNumber(t *testing.T, base string, path ...string) float64 {
	t.Helper()
	var v any = serverStats(t, base)
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("stats: no %v", path)
		}
		v = m[k]
	}
	n, ok := v.(float64)
	if !ok {
		t.Fatalf("stats %v: %v is not a number", path, v)
	}
	return n
}

// eventually polls cond every 50 ms until it holds or the bound passes; the
// bound only keeps a broken server from hanging the test.
func eventually(t *testing.T, bound time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(bound); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", bound, what)
		}
	}
}

// dialSmallBuffer opens TCP connections with a small receive buffer, so a
// client that does not read fills it at once instead of after megabytes.
func dialSmallBuffer(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	return d.DialContext(ctx, network, addr)
}

// TestClientThatNeverReadsIsClosed: a client that sends frames (with
// acknowledgements on Socket.IO, binary on the WebSocket) and never reads
// is disconnected once its outbox stays over the limit for the grace time.
// The server never holds more than the limit for it, counts it as slow,
// and a live client beside it keeps being answered.
func TestClientThatNeverReadsIsClosed(t *testing.T) {
	const limit = 128 << 10
	_, base, logs := runServer(t, nil, "--log-level", "info", "--outbox-limit", strconv.Itoa(limit), "--outbox-grace", "1s")
	host := strings.TrimPrefix(base, "http://")
	jpg := testmedia.WebcamJPEG(t)
	stop := make(chan struct{})
	defer close(stop)
	live := liveClient(t, base, jpg, stop)
	dialer := websocket.Dialer{NetDialContext: dialSmallBuffer, ReadBufferSize: 1024}

	for _, tc := range []struct {
		transport string
		url       string
		hello     []string                  // sent after connecting
		frame     func(i int) (int, []byte) // the i-th frame's message
	}{
		{"socketio", "ws://" + host + "/socket.io/?EIO=4&transport=websocket", []string{"40"}, func(i int) (int, []byte) {
			return websocket.TextMessage, fmt.Appendf(nil, `42%d["image",%q]`, i, testmedia.DataURL(jpg))
		}},
		{"ws", "ws://" + host + "/ws", nil, func(i int) (int, []byte) {
			// With ids, so every frame is owed an answer or a "dropped".
			return websocket.TextMessage, fmt.Appendf(nil, `{"event":"image","data":{"id":%d,"image":%q}}`, i, testmedia.DataURL(jpg))
		}},
	} {
		t.Run(tc.transport, func(t *testing.T) {
			slowBefore := statsNumber(t, base, "clients", "closed_slow")
			answeredBefore := live.Load()
			ws, _, err := dialer.Dial(tc.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
			for _, m := range tc.hello {
				ws.WriteMessage(websocket.TextMessage, []byte(m))
				// Read until the server has answered it (the namespace is
				// joined), as any client does; then never read again.
				for {
					ws.SetReadDeadline(time.Now().Add(10 * time.Second))
					_, b, err := ws.ReadMessage()
					if err != nil {
						t.Fatal(err)
					}
					if strings.HasPrefix(string(b), m) {
						break
					}
				}
			}
			// Send, never read, until the server hangs up.
			sent := 0
			deadline := time.Now().Add(60 * time.Second) // a bound, not a measure
			for ; time.Now().Before(deadline); sent++ {
				kind, msg := tc.frame(sent)
				ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
				if err := ws.WriteMessage(kind, msg); err != nil {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			eventually(t, 10*time.Second, "the slow client was not counted", func() bool {
				return statsNumber(t, base, "clients", "closed_slow") > slowBefore
			})
			t.Logf("%s: sent %d frames before the server hung up; outbox peak %v bytes (limit %d)",
				tc.transport, sent, statsNumber(t, base, "clients", "outbox_peak_bytes"), limit)
			if peak := statsNumber(t, base, "clients", "outbox_peak_bytes"); peak > limit*2 {
				// Two clients at most: this one and the live one.
				t.Errorf("outboxes held %v bytes at most; the limit is %d a client", peak, limit)
			}
			if v := metricValue(t, base, fmt.Sprintf(`tryon_connections_closed_slow_total{transport=%q}`, tc.transport)); v < 1 {
				t.Errorf("tryon_connections_closed_slow_total for %s is %v", tc.transport, v)
			}
			if live.Load() == answeredBefore {
				t.Error("the live client was not answered while the slow one was being closed")
			}
		})
	}
	eventually(t, 10*time.Second, "outboxes still hold bytes after the slow clients left", func() bool {
		// The live client's outbox holds its answer for a moment at a time.
		return statsNumber(t, base, "clients", "outbox_bytes") < limit
	})
	if n := strings.Count(logs.String(), "disconnecting: the client did not read its messages for 1s"); n != 2 {
		t.Errorf("%d log lines for slow clients, want one each:\n%s", n, logs.String())
	}
	// Each client's own peak, from its disconnect line.
	for _, m := range regexp.MustCompile(`outbox_peak_bytes=(\d+) slow=true`).FindAllStringSubmatch(logs.String(), -1) {
		if peak, _ := strconv.Atoi(m[1]); peak > limit || peak < limit/2 {
			t.Errorf("a slow client's outbox held %d bytes at most; want it filled to near the %d limit, never past it", peak, limit)
		}
	}
}

// TestHeartbeatAbuseCloses: an Engine.IO 4 client that answers pings it
// was never sent (which would keep a dead client's session alive for
// ever), an Engine.IO 3 client that pings in a loop (each ping makes the
// server buffer a pong), and a client that repeats its namespace connect
// (each would be a session) are disconnected, while one that only answers
// real pings is not.
func TestHeartbeatAbuseCloses(t *testing.T) {
	base := startServer(t)
	host := strings.TrimPrefix(base, "http://")
	for _, tc := range []struct {
		name, eio string
		send      []string
	}{
		// No ping was sent: the ping interval is 25 s. Pongs are sent a few
		// times: the guard is attached when Engine.IO announces the session,
		// and on a loaded machine the client's first packets can be read
		// before that; a client keeping itself alive must send more.
		{"unsolicited pong", "4", []string{"40", "3", "3", "3", "3"}},
		{"Engine.IO 3 ping flood", "3", []string{"2", "2", "2", "2", "2", "2", "2", "2", "2", "2"}},
		{"repeated connect", "4", []string{"40", "40", "40", "40"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws, _, err := websocket.DefaultDialer.Dial("ws://"+host+"/socket.io/?EIO="+tc.eio+"&transport=websocket", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
			for _, m := range tc.send {
				ws.WriteMessage(websocket.TextMessage, []byte(m))
				time.Sleep(20 * time.Millisecond)
			}
			ws.SetReadDeadline(time.Now().Add(20 * time.Second)) // less than the ping interval: only a guard closes it
			for {
				if _, _, err := ws.ReadMessage(); err != nil {
					if ne, ok := err.(net.Error); ok && ne.Timeout() {
						t.Fatal("the client was not disconnected")
					}
					break
				}
			}
			eventually(t, 10*time.Second, "its sessions are still open", func() bool {
				return statsNumber(t, base, "sessions") == 0
			})
		})
	}
	// A well-behaved client stays.
	good, err := sioclient.Dial(base, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	got := make(chan struct{}, 1)
	good.EmitWithAck("image", func([]json.RawMessage) { got <- struct{}{} }, testmedia.DataURL(testmedia.WebcamJPEG(t)))
	select {
	case <-got:
	case <-good.Done():
		t.Fatal("a good client was disconnected")
	case <-time.After(30 * time.Second):
		t.Fatal("a good client got no answer")
	}
}

// TestSessionCaps: past the per-address cap, Socket.IO and WebSocket
// handshakes and new HTTP sessions are refused with too_many_sessions
// (and Retry-After) before any session is made; past the handshake rate,
// with too_many_requests. A good client from another address still
// connects, and one from the same address does once a session ends; this
// machine's own clients are held to the total only. Every refusal is
// counted. Client addresses are forwarded by a trusted proxy (the test).
func TestSessionCaps(t *testing.T) {
	from := func(addr string) http.Header { return http.Header{"X-Forwarded-For": {addr}} }
	dial := func(base, addr string) (*sioclient.Client, error) {
		return sioclient.DialWith(base, sioclient.Options{Timeout: 5 * time.Second, Header: from(addr)})
	}
	// handshake starts an Engine.IO polling session for addr.
	handshake := func(base, addr string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", base+"/socket.io/?EIO=4&transport=polling", nil)
		req.Header = from(addr)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(body)
	}
	t.Run("per address", func(t *testing.T) {
		base := startServerWith(t, "--max-sessions-per-ip", "3", "--session-burst", "100", "--trusted-proxy", "127.0.0.1")
		var held []*sioclient.Client
		for i := 0; i < 3; i++ {
			c, err := dial(base, "203.0.113.5")
			if err != nil {
				t.Fatalf("session %d: %v", i+1, err)
			}
			defer c.Close()
			held = append(held, c)
		}
		if c, err := dial(base, "203.0.113.5"); err == nil {
			c.Close()
			t.Fatal("a 4th Socket.IO session from one address connected past the cap of 3")
		}
		resp, body := handshake(base, "203.0.113.5")
		if resp.StatusCode != 503 || !strings.Contains(body, "too_many_sessions") || resp.Header.Get("Retry-After") == "" {
			t.Errorf("polling handshake past the cap: %d %s (Retry-After %q)", resp.StatusCode, body, resp.Header.Get("Retry-After"))
		}
		if _, resp, err := dialWS(t, base, from("203.0.113.5")); err == nil || resp == nil || resp.StatusCode != 503 {
			t.Errorf("WebSocket past the cap: %v %v, want HTTP 503", resp, err)
		}
		r, body2 := postFrame(t, context.Background(), http.DefaultClient, base+"/api/v1/frames", testmedia.WebcamJPEG(t), from("203.0.113.5"))
		if r.StatusCode != 503 || !strings.Contains(string(body2), "too_many_sessions") {
			t.Errorf("new HTTP session past the cap: %d %s", r.StatusCode, body2)
		}
		// Another address is not affected, nor is this machine.
		other, err := dial(base, "203.0.113.6")
		if err != nil {
			t.Fatalf("a client from another address was refused: %v", err)
		}
		other.Close()
		for i := 0; i < 5; i++ {
			local, err := sioclient.Dial(base, 5*time.Second)
			if err != nil {
				t.Fatalf("local session %d: %v", i+1, err)
			}
			defer local.Close()
		}
		// A session ends: this address may open one again.
		held[0].Close()
		eventually(t, 10*time.Second, "a closed session's place was not given back", func() bool {
			c, err := dial(base, "203.0.113.5")
			if err == nil {
				c.Close()
			}
			return err == nil
		})
		if v := metricValue(t, base, `tryon_handshakes_refused_total{code="too_many_sessions"}`); v < 4 {
			t.Errorf("tryon_handshakes_refused_total{too_many_sessions} = %v, want 4 or more", v)
		}
	})
	t.Run("rate", func(t *testing.T) {
		base := startServerWith(t, "--session-burst", "5", "--session-rate", "0.01", "--trusted-proxy", "127.0.0.1")
		var refused int
		for i := 0; i < 8; i++ {
			resp, body := handshake(base, "203.0.113.5")
			switch {
			case i < 5 && resp.StatusCode != 200:
				t.Errorf("handshake %d within the burst: %d %s", i+1, resp.StatusCode, body)
			case i >= 5 && (resp.StatusCode != 429 || !strings.Contains(body, "too_many_requests") || resp.Header.Get("Retry-After") == ""):
				t.Errorf("handshake %d past the burst: %d %s (Retry-After %q)", i+1, resp.StatusCode, body, resp.Header.Get("Retry-After"))
			case i >= 5:
				refused++
			}
		}
		good, err := dial(base, "203.0.113.6")
		if err != nil {
			t.Fatalf("a client from another address was refused: %v", err)
		}
		good.Close()
		if got := statsNumber(t, base, "admission", "refused_rate"); int(got) != refused {
			t.Errorf("stats count %v refused for rate, the test saw %d", got, refused)
		}
	})
}

// TestPhotosYieldToLiveClients: 20 concurrent 1080p photo requests, which
// once took a live client from 30 fps to 1, now wait in a bounded queue
// behind live frames: past it they get 503 busy with Retry-After, the rest
// are answered, and the live client beside them keeps being answered.
func TestPhotosYieldToLiveClients(t *testing.T) {
	base := startServerWith(t, "--photo-queue", "3")
	photo := testmedia.PortraitAt(t, 1920, 1080)
	stop := make(chan struct{})
	defer close(stop)
	live := liveClient(t, base, testmedia.WebcamJPEG(t), stop)
	eventually(t, 30*time.Second, "the live client was never answered", func() bool { return live.Load() > 0 })

	const photos = 20
	before := live.Load()
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	var noRetryAfter atomic.Int64
	for i := 0; i < photos; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post(base+"/api/v1/tryon", "image/jpeg", strings.NewReader(string(photo)))
			if err != nil {
				t.Error(err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 503 && (!strings.Contains(string(body), `"busy"`) || resp.Header.Get("Retry-After") == "") {
				noRetryAfter.Add(1)
			}
			mu.Lock()
			statuses[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	during := live.Load() - before
	t.Logf("photo answers by status: %v; live answers meanwhile: %d", statuses, during)
	if statuses[200] == 0 || statuses[503] == 0 || statuses[200]+statuses[503] != photos {
		t.Errorf("statuses %v: want some 200, the rest 503", statuses)
	}
	if noRetryAfter.Load() > 0 {
		t.Errorf("%d refused photos without code busy and Retry-After", noRetryAfter.Load())
	}
	if during < int64(statuses[200]) {
		// The live client has a worker to itself while photos run: it is
		// answered more often than photos are, however slow the machine.
		t.Errorf("the live client got %d answers while %d photos were answered", during, statuses[200])
	}
	if got := statsNumber(t, base, "photos_busy"); int(got) != statuses[503] {
		t.Errorf("stats photos_busy %v, the test saw %d", got, statuses[503])
	}
}

// buildServer builds this command once for the tests that run it as a
// process.
var buildServer = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "tryon-server")
	if err != nil {
		return "", err
	}
	bin := dir + "/server"
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// process is the server running as a process.
type process struct {
	cmd    *exec.Cmd
	base   string
	logs   *syncBuffer
	exited chan struct{} // closed when it has exited
}

// startProcess runs the server as a process on a free port and returns it
// once it serves.
func startProcess(t *testing.T, flags ...string) *process {
	t.Helper()
	return startProcessEnv(t, nil, flags...)
}

// startProcessEnv is startProcess with env added to the test's own
// environment, less its GOGC and GOMEMLIMIT.
func startProcessEnv(t *testing.T, env []string, flags ...string) *process {
	t.Helper()
	bin, err := buildServer()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &process{base: "http://" + addr, logs: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"--addr", addr, "--log-format", "json", "--data-dir", t.TempDir()}, flags...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOGC=") && !strings.HasPrefix(kv, "GOMEMLIMIT=") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	p.cmd.Env = append(p.cmd.Env, env...)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { p.cmd.Process.Kill(); <-p.exited })
	eventually(t, 60*time.Second, "the server process did not start:\n"+p.logs.String(), func() bool {
		resp, err := http.Get(p.base + "/readyz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	return p
}

// exitsWithin reports whether the process has exited, or does within
// bound.
func (p *process) exitsWithin(bound time.Duration) bool {
	select {
	case <-p.exited:
		return true
	case <-time.After(bound):
		return false
	}
}

// TestSIGTERMWithFramesInFlight: every frame takes 10 s (--debug-delay,
// standing for the slowest frame there could be), and SIGTERM comes while
// a live client, an HTTP frame and photos are in flight. The server stops
// accepting, tells the clients why (shutting_down), and exits at its
// shutdown timeout without waiting for the frames. With a long shutdown
// timeout, a second signal exits at once.
func TestSIGTERMWithFramesInFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server as a process")
	}
	jpg := testmedia.WebcamJPEG(t)
	t.Run("timeout", func(t *testing.T) {
		p := startProcess(t, "--debug-delay", "10s", "--shutdown-timeout", "1s")
		base, logs := p.base, p.logs
		sio, err := sioclient.Dial(base, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer sio.Close()
		told := make(chan string, 10)
		sio.On("error", func(args []json.RawMessage) {
			if len(args) > 0 {
				told <- string(args[0])
			}
		})
		sio.Emit("image", testmedia.DataURL(jpg))
		httpFrame := make(chan string, 1)
		go func() {
			resp, err := http.Post(base+"/api/v1/frames", "image/jpeg", strings.NewReader(string(jpg)))
			if err != nil {
				httpFrame <- err.Error()
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			httpFrame <- fmt.Sprintf("%d %s", resp.StatusCode, body)
		}()
		for i := 0; i < 3; i++ {
			go http.Post(base+"/api/v1/tryon", "image/jpeg", strings.NewReader(string(jpg)))
		}
		eventually(t, 10*time.Second, "frames did not reach the workers", func() bool {
			return statsNumber(t, base, "sessions") >= 2
		})
		time.Sleep(500 * time.Millisecond) // the frames are on the workers now
		p.cmd.Process.Signal(syscall.SIGTERM)
		if !p.exitsWithin(8 * time.Second) { // less than the 10 s a frame takes
			t.Fatalf("the server waited for its frames:\n%s", logs.String())
		}
		select {
		case msg := <-told:
			if !strings.Contains(msg, "shutting_down") {
				t.Errorf("the Socket.IO client was told %s, want shutting_down", msg)
			}
		case <-time.After(2 * time.Second):
			t.Error("the Socket.IO client was not told the server is stopping")
		}
		select {
		case got := <-httpFrame:
			if !strings.Contains(got, "shutting_down") && !strings.Contains(got, "EOF") && !strings.Contains(got, "reset") {
				t.Errorf("the HTTP frame in flight got %s", got)
			}
			t.Logf("HTTP frame in flight: %s", got)
		case <-time.After(2 * time.Second):
			t.Error("the HTTP frame in flight got no answer")
		}
		if !regexp.MustCompile(`shutting down`).MatchString(logs.String()) {
			t.Errorf("no shutdown in the log:\n%s", logs.String())
		}
		if _, err := http.Get(base + "/healthz"); err == nil {
			t.Error("the server still accepts connections after exiting")
		}
	})
	t.Run("second signal", func(t *testing.T) {
		p := startProcess(t, "--debug-delay", "10s", "--shutdown-timeout", "60s")
		go http.Post(p.base+"/api/v1/tryon", "image/jpeg", strings.NewReader(string(jpg)))
		time.Sleep(time.Second) // the photo is on a worker for 10 s
		p.cmd.Process.Signal(syscall.SIGTERM)
		if p.exitsWithin(500 * time.Millisecond) {
			t.Fatal("the server exited at the first signal without waiting for its photo")
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		if !p.exitsWithin(5 * time.Second) { // far less than the 60 s timeout and the 10 s frame
			t.Fatalf("a second signal did not end the server:\n%s", p.logs.String())
		}
	})
}

// TestMetrics: /metrics has, in Prometheus' text format, sessions by
// transport, frames by transport and outcome (refused ones by code), the
// per-stage histograms, outbox bytes, slow clients and refused handshakes,
// and they move with what clients do.
func TestMetrics(t *testing.T) {
	base := startServerWith(t, "--access-key", "sesame-1234")
	c, _, err := dialWS(t, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.expect("session")
	if v := metricValue(t, base, `tryon_sessions{transport="ws"}`); v != 1 {
		t.Errorf(`tryon_sessions{transport="ws"} = %v with one client`, v)
	}
	for i := 0; i < 3; i++ {
		c.sendBinary(testmedia.WebcamJPEG(t))
		for c.next().Binary == nil {
		}
	}
	c.sendBinary([]byte("not a jpeg"))
	c.expect("error")
	for sample, want := range map[string]float64{
		`tryon_frames_total{code="",outcome="answered",transport="ws"}`:        3,
		`tryon_frames_total{code="not_jpeg",outcome="refused",transport="ws"}`: 1,
		`tryon_stage_seconds_count{stage="decode"}`:                            3,
		`tryon_stage_seconds_count{stage="total"}`:                             3,
		`tryon_handshakes_refused_total{code="unauthorized"}`:                  0,
		`tryon_connections_closed_slow_total{transport="ws"}`:                  -1, // none yet: not listed
	} {
		if got := metricValue(t, base, sample); got != want {
			t.Errorf("%s = %v, want %v", sample, got, want)
		}
	}
	if v := metricValue(t, base, "tryon_outbox_bytes"); v < 0 {
		t.Error("no tryon_outbox_bytes")
	}
	// A request from off this machine without the key is a refused handshake.
	code, _ := request(t, "GET", base+"/socket.io/?EIO=4&transport=polling", map[string]string{"X-Forwarded-For": "203.0.113.9"})
	if code != 401 {
		t.Fatalf("forwarded handshake without the key: %d", code)
	}
	if v := metricValue(t, base, `tryon_handshakes_refused_total{code="unauthorized"}`); v != 1 {
		t.Errorf(`tryon_handshakes_refused_total{code="unauthorized"} = %v after one`, v)
	}
	c.ws.Close()
	eventually(t, 10*time.Second, "the closed session is still counted", func() bool {
		return metricValue(t, base, `tryon_sessions{transport="ws"}`) == 0
	})
}

// TestMetricsAreDocumented: every tryon_ metric family /metrics serves is
// in the metrics table of docs/FLAGS.md ("Operations"), so operators can
// find what each means.
func TestMetricsAreDocumented(t *testing.T) {
	base := startServer(t)
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	readme, err := os.ReadFile(testmedia.RepoPath("docs/FLAGS.md"))
	if err != nil {
		t.Fatal(err)
	}
	families := regexp.MustCompile(`(?m)^# TYPE (tryon_[a-z_]+) `).FindAllStringSubmatch(string(body), -1)
	if len(families) < 10 {
		t.Fatalf("only %d tryon_ metric families", len(families))
	}
	for _, f := range families {
		name := strings.TrimSuffix(f[1], "_total")
		// The table lists some in groups: tryon_pipeline_frames_{processed,refused,dropped}_total.
		group := regexp.MustCompile(`_(processed|refused|dropped)$`).ReplaceAllString(name, "_{processed,refused,dropped}")
		if !strings.Contains(string(readme), name) && !strings.Contains(string(readme), group) {
			t.Errorf("%s is not in the metrics table of docs/FLAGS.md", f[1])
		}
	}
}

// TestGarbageCollectorSettings: the server collects at GOGC=400 under a
// 1 GiB soft memory limit (cmd/server/gc.go says why), and GOGC and
// GOMEMLIMIT in the environment still win, as the runtime reports them.
func TestGarbageCollectorSettings(t *testing.T) {
	for _, tc := range []struct {
		env            []string
		percent, limit float64
	}{
		{nil, 400, 1 << 30},
		{[]string{"GOGC=50", "GOMEMLIMIT=300MiB"}, 50, 300 << 20},
	} {
		p := startProcessEnv(t, tc.env)
		if got := metricValue(t, p.base, "go_gc_gogc_percent"); got != tc.percent {
			t.Errorf("env %q: go_gc_gogc_percent %v, want %v", tc.env, got, tc.percent)
		}
		if got := metricValue(t, p.base, "go_gc_gomemlimit_bytes"); got != tc.limit {
			t.Errorf("env %q: go_gc_gomemlimit_bytes %v, want %v", tc.env, got, tc.limit)
		}
	}
}
