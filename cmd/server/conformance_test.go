package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"

	"github.com/livetryon/server/internal/testmedia"
)

// The conformance suite runs the same cases against the four live
// transports, through the whole server as the command builds it, each
// with its real client: Socket.IO (Engine.IO 4 over WebSocket, spoken
// here so the reader can stall), the raw WebSocket, HTTP per frame, and
// WebRTC (pion, conformance_rtc_test.go). What a transport cannot have is
// skipped with the reason.

// outcome is what became of one frame: answered with a picture (Code ""),
// or refused or dropped with a code. ID 0: the transport does not say
// which frame (a WebRTC error).
type outcome struct {
	ID   int
	Code string
}

// sessionClient is one session of a transport, as a page would hold it.
type sessionClient interface {
	// Configure sends a config message and returns its reply's error code,
	// "" when applied.
	Configure(t *testing.T, config string) string
	// Send sends a frame numbered id; SendBad sends one that is not a
	// picture of any kind (for WebRTC: a VP8 frame that does not decode).
	Send(t *testing.T, id int)
	SendBad(t *testing.T, id int)
	// Outcomes delivers each frame's outcome as it comes.
	Outcomes() <-chan outcome
	// Stall stops reading what the server sends; false if the transport
	// has no reading to stop.
	Stall() bool
	// Ended waits for the server to end the session and says how (the
	// code or close reason the client was given).
	Ended(t *testing.T, within time.Duration) string
	Close()
}

// transportCase is one transport: how to open a session, and the code it
// refuses a bad frame with.
type transportCase struct {
	name    string
	open    func(t *testing.T, base string) sessionClient
	badCode string
}

var liveTransports = []transportCase{
	{"socketio", openSocketIO, "not_jpeg"},
	{"ws", openWS, "not_jpeg"},
	{"http", openHTTP, "not_jpeg"},
	{"webrtc", openRTC, "decode_failed"},
}

const goodConfig = `{"effects":[{"name":"lipstick","color":"#aa1133"}]}`

func TestConformance(t *testing.T) {
	_, base, _ := runServer(t, nil, "--log-level", "error")
	_, slowBase, _ := runServer(t, nil, "--log-level", "error", "--debug-delay", "250ms")
	_, smallBase, _ := runServer(t, nil, "--log-level", "error", "--outbox-limit", "131072", "--outbox-grace", "1s")
	for _, tc := range liveTransports {
		t.Run(tc.name, func(t *testing.T) {
			t.Run("config", func(t *testing.T) {
				c := tc.open(t, base)
				defer c.Close()
				if code := c.Configure(t, goodConfig); code != "" {
					t.Errorf("a good config: %s", code)
				}
				if code := c.Configure(t, `{"effects":[{"name":"lipstick","color":"#zz"}]}`); code != "bad_config" {
					t.Errorf("a bad colour: %q, want bad_config", code)
				}
				c.Send(t, 7)
				if o := next(t, c, 30*time.Second); o != (outcome{7, ""}) {
					t.Errorf("a frame after the bad config: %+v, want it answered", o)
				}
			})
			t.Run("bad frame", func(t *testing.T) {
				c := tc.open(t, base)
				defer c.Close()
				c.SendBad(t, 1)
				o := next(t, c, 30*time.Second)
				if o.Code != tc.badCode || (o.ID != 0 && o.ID != 1) {
					t.Errorf("a bad frame: %+v, want %s", o, tc.badCode)
				}
				c.Send(t, 2)
				if o := nextAnswer(t, c, 30*time.Second); o.ID != 2 {
					t.Errorf("the good frame after the bad one: %+v, want frame 2 answered", o)
				}
			})
			t.Run("dropped frame", func(t *testing.T) {
				// A worker takes 250 ms more a frame; frames come every 20 ms:
				// the newest waiting replaces the older, and the last is answered.
				c := tc.open(t, slowBase)
				defer c.Close()
				const n = 12
				for id := 1; id <= n; id++ {
					c.Send(t, id)
					time.Sleep(20 * time.Millisecond)
				}
				var answered []int
				dropped := 0
				for last := false; !last; {
					o := next(t, c, 30*time.Second)
					switch o.Code {
					case "":
						if len(answered) > 0 && o.ID <= answered[len(answered)-1] {
							t.Errorf("frame %d answered after frame %d", o.ID, answered[len(answered)-1])
						}
						answered = append(answered, o.ID)
						last = o.ID == n
					case "dropped":
						dropped++
					default:
						t.Fatalf("frame %d: %s", o.ID, o.Code)
					}
				}
				if len(answered) >= n {
					t.Errorf("all %d frames answered: none dropped", n)
				}
				t.Logf("%d of %d frames answered (%v), %d answered dropped", len(answered), n, answered, dropped)
			})
			t.Run("slow reader", func(t *testing.T) {
				// A client that stops reading and sends on is disconnected as
				// slow once its outbox has stayed full for the grace time.
				c := tc.open(t, smallBase)
				defer c.Close()
				if !c.Stall() {
					t.Skip("no stream to stop reading: an HTTP answer is its request's alone; WebRTC media is UDP, paced by congestion control (TestBitrateFollowsCongestionControl)")
				}
				before := statsNumber(t, smallBase, "clients", "closed_slow")
				deadline := time.Now().Add(90 * time.Second) // a bound, not a measure
				for id := 1; time.Now().Before(deadline) && statsNumber(t, smallBase, "clients", "closed_slow") == before; id++ {
					c.Send(t, id)
					time.Sleep(5 * time.Millisecond)
				}
				if statsNumber(t, smallBase, "clients", "closed_slow") == before {
					t.Fatal("a client that reads nothing was not disconnected as slow")
				}
			})
			t.Run("shutdown", func(t *testing.T) {
				srv, base, cancel := serveUntil(t)
				c := tc.open(t, base)
				defer c.Close()
				c.Send(t, 1)
				nextAnswer(t, c, 30*time.Second)
				cancel()
				how := c.Ended(t, 20*time.Second)
				if !strings.Contains(how, "shutting") && !strings.Contains(how, "closed") {
					t.Errorf("the client was ended with %q, want it told the server is stopping", how)
				}
				if n := srv.hub.Sessions(); n != 0 {
					t.Errorf("%d sessions open after the shutdown", n)
				}
			})
		})
	}
}

// next waits for a frame's outcome.
func next(t *testing.T, c sessionClient, within time.Duration) outcome {
	t.Helper()
	select {
	case o := <-c.Outcomes():
		return o
	case <-time.After(within):
		t.Fatalf("no frame outcome in %v", within)
	}
	return outcome{}
}

// nextAnswer waits for an answered frame, passing refusals by.
func nextAnswer(t *testing.T, c sessionClient, within time.Duration) outcome {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		o := next(t, c, time.Until(deadline))
		if o.Code == "" {
			return o
		}
	}
}

// serveUntil runs a server that stops, as on SIGTERM, when cancel is
// called; cancel waits for it to have stopped.
func serveUntil(t *testing.T) (*Server, string, func()) {
	t.Helper()
	cfg, err := parseFlags([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--log-level", "error"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeListener(ctx, ln) }()
	var once sync.Once
	cancel := func() {
		once.Do(func() {
			stop()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	}
	t.Cleanup(cancel)
	return srv, "http://" + ln.Addr().String(), cancel
}

// ---- Socket.IO: Engine.IO 4 over WebSocket, spoken here.

type sioSession struct {
	ws       *gorilla.Conn
	jpg      []byte
	outcomes chan outcome
	configs  chan string
	ended    chan string
	stall    chan struct{}
	once     sync.Once
	writeMu  sync.Mutex
	nextAck  int
	acks     sync.Map // ack id → frame id, or -1 for a config
}

func openSocketIO(t *testing.T, base string) sessionClient {
	t.Helper()
	ws, _, err := gorilla.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/socket.io/?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &sioSession{ws: ws, jpg: testmedia.WebcamJPEG(t), outcomes: make(chan outcome, 1000), configs: make(chan string, 10),
		ended: make(chan string, 1), stall: make(chan struct{})}
	if _, b, err := ws.ReadMessage(); err != nil || len(b) == 0 || b[0] != '0' {
		t.Fatalf("no Engine.IO open packet: %q %v", b, err)
	}
	c.write("40")
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(string(b), "40") {
			break
		}
	}
	go c.read()
	return c
}

func (c *sioSession) write(s string) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	c.ws.WriteMessage(gorilla.TextMessage, []byte(s))
}

func (c *sioSession) read() {
	for {
		select {
		case <-c.stall:
			return
		default:
		}
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			c.end(err.Error())
			return
		}
		s := string(b)
		switch {
		case s == "2":
			c.write("3")
		case strings.HasPrefix(s, "42"): // an event
			var ev []json.RawMessage
			json.Unmarshal([]byte(s[2:]), &ev)
			var name string
			if len(ev) > 1 && json.Unmarshal(ev[0], &name) == nil && name == "error" {
				var e struct{ Code string }
				json.Unmarshal(ev[1], &e)
				if e.Code == "shutting_down" {
					c.end("shutting_down")
				}
			}
		case strings.HasPrefix(s, "43"): // an acknowledgement
			i := 2
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
			ack, _ := strconv.Atoi(s[2:i])
			var args []struct {
				OK    bool `json:"ok"`
				Image string
				Error *struct{ Code string }
			}
			json.Unmarshal([]byte(s[i:]), &args)
			v, _ := c.acks.LoadAndDelete(ack)
			id, _ := v.(int)
			code := ""
			if len(args) > 0 && args[0].Error != nil {
				code = args[0].Error.Code
			}
			if id < 0 {
				c.configs <- code
			} else {
				c.outcomes <- outcome{id, code}
			}
		case strings.HasPrefix(s, "41"):
			c.end("disconnected")
		}
	}
}

func (c *sioSession) end(how string) {
	c.once.Do(func() { c.ended <- how })
}

func (c *sioSession) emit(frameID int, event string, data any) {
	c.writeMu.Lock()
	c.nextAck++
	ack := c.nextAck
	c.writeMu.Unlock()
	c.acks.Store(ack, frameID)
	b, _ := json.Marshal([]any{event, data})
	c.write("42" + strconv.Itoa(ack) + string(b))
}

func (c *sioSession) Configure(t *testing.T, config string) string {
	c.emit(-1, "config", json.RawMessage(config))
	select {
	case code := <-c.configs:
		return code
	case <-time.After(20 * time.Second):
		t.Fatal("no config reply")
	}
	return ""
}
func (c *sioSession) Send(t *testing.T, id int) {
	c.emit(id, "image", map[string]any{"id": id, "image": testmedia.DataURL(c.jpg)})
}
func (c *sioSession) SendBad(t *testing.T, id int) {
	c.emit(id, "image", map[string]any{"id": id, "image": "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString([]byte("not a picture at all"))})
}
func (c *sioSession) Outcomes() <-chan outcome { return c.outcomes }
func (c *sioSession) Stall() bool              { close(c.stall); return true }
func (c *sioSession) Ended(t *testing.T, within time.Duration) string {
	select {
	case how := <-c.ended:
		return how
	case <-time.After(within):
		return "not ended"
	}
}
func (c *sioSession) Close() { c.ws.Close() }

// ---- raw WebSocket.

type wsSession struct {
	ws       *gorilla.Conn
	jpg      []byte
	outcomes chan outcome
	configs  chan string
	ended    chan string
	stall    chan struct{}
	writeMu  sync.Mutex
}

func openWS(t *testing.T, base string) sessionClient {
	t.Helper()
	ws, _, err := gorilla.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &wsSession{ws: ws, jpg: testmedia.WebcamJPEG(t), outcomes: make(chan outcome, 1000), configs: make(chan string, 10),
		ended: make(chan string, 1), stall: make(chan struct{})}
	go c.read()
	return c
}

func (c *wsSession) read() {
	pending := -1 // the answer whose picture comes next
	for {
		select {
		case <-c.stall:
			return
		default:
		}
		kind, b, err := c.ws.ReadMessage()
		if err != nil {
			how := err.Error()
			if ce, ok := err.(*gorilla.CloseError); ok {
				how = ce.Text
			}
			c.ended <- how
			return
		}
		if kind == gorilla.BinaryMessage {
			if pending >= 0 {
				c.outcomes <- outcome{pending, ""}
				pending = -1
			}
			continue
		}
		var env struct {
			Event string
			Data  json.RawMessage
		}
		json.Unmarshal(b, &env)
		var d struct {
			ID    int
			OK    bool
			Code  string
			Error *struct{ Code string }
		}
		json.Unmarshal(env.Data, &d)
		switch env.Event {
		case "config":
			code := ""
			if d.Error != nil {
				code = d.Error.Code
			}
			c.configs <- code
		case "answer":
			if d.Error != nil {
				c.outcomes <- outcome{d.ID, d.Error.Code}
			} else {
				pending = d.ID
			}
		case "error":
			if d.ID != 0 {
				c.outcomes <- outcome{d.ID, d.Code}
			}
		}
	}
}

func (c *wsSession) write(kind int, b []byte) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	c.ws.WriteMessage(kind, b)
}

func (c *wsSession) Configure(t *testing.T, config string) string {
	c.write(gorilla.TextMessage, []byte(`{"event":"config","data":`+config+`}`))
	select {
	case code := <-c.configs:
		return code
	case <-time.After(20 * time.Second):
		t.Fatal("no config reply")
	}
	return ""
}
func (c *wsSession) sendBytes(id int, b []byte) {
	c.write(gorilla.TextMessage, fmt.Appendf(nil, `{"event":"frame","data":{"id":%d}}`, id))
	c.write(gorilla.BinaryMessage, b)
}
func (c *wsSession) Send(t *testing.T, id int)    { c.sendBytes(id, c.jpg) }
func (c *wsSession) SendBad(t *testing.T, id int) { c.sendBytes(id, []byte("not a picture at all")) }
func (c *wsSession) Outcomes() <-chan outcome     { return c.outcomes }
func (c *wsSession) Stall() bool                  { close(c.stall); return true }
func (c *wsSession) Ended(t *testing.T, within time.Duration) string {
	select {
	case how := <-c.ended:
		return how
	case <-time.After(within):
		return "not ended"
	}
}
func (c *wsSession) Close() { c.ws.Close() }

// ---- HTTP per frame: a request a frame, on one session.

type httpSession struct {
	base     string
	jpg      []byte
	outcomes chan outcome
	mu       sync.Mutex
	session  string
	last     chan string // the code of each answer, for Ended
}

func openHTTP(t *testing.T, base string) sessionClient {
	c := &httpSession{base: base, jpg: testmedia.WebcamJPEG(t), outcomes: make(chan outcome, 1000), last: make(chan string, 1000)}
	// The session is opened by a first frame, as a page's first fetch does.
	if code, _ := c.post(t, c.jpg, 0, ""); code != "" {
		t.Fatalf("the first frame: %s", code)
	}
	return c
}

func (c *httpSession) post(t *testing.T, body []byte, id int, config string) (code string, status int) {
	req, _ := http.NewRequest(http.MethodPost, c.base+"/api/v1/frames", bytes.NewReader(body))
	req.Header.Set("Content-Type", "image/jpeg")
	req.Header.Set("Accept", "application/json")
	if id != 0 {
		req.Header.Set("X-Frame-Id", strconv.Itoa(id))
	}
	if config != "" {
		req.Header.Set("X-Config", config)
	}
	c.mu.Lock()
	if c.session != "" {
		req.Header.Set("X-Session-Id", c.session)
	}
	c.mu.Unlock()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "connection: " + err.Error(), 0
	}
	defer resp.Body.Close()
	if s := resp.Header.Get("X-Session-Id"); s != "" {
		c.mu.Lock()
		c.session = s
		c.mu.Unlock()
	}
	var reply struct{ Error *struct{ Code string } }
	json.NewDecoder(resp.Body).Decode(&reply)
	if resp.StatusCode != http.StatusOK {
		if reply.Error != nil {
			return reply.Error.Code, resp.StatusCode
		}
		return resp.Status, resp.StatusCode
	}
	if reply.Error != nil {
		return reply.Error.Code, resp.StatusCode
	}
	return "", resp.StatusCode
}

func (c *httpSession) Configure(t *testing.T, config string) string {
	code, _ := c.post(t, c.jpg, 0, config)
	return code
}
func (c *httpSession) sendAsync(t *testing.T, body []byte, id int) {
	go func() {
		code, _ := c.post(t, body, id, "")
		c.last <- code
		c.outcomes <- outcome{id, code}
	}()
}
func (c *httpSession) Send(t *testing.T, id int) { c.sendAsync(t, c.jpg, id) }
func (c *httpSession) SendBad(t *testing.T, id int) {
	c.sendAsync(t, []byte("not a picture at all"), id)
}
func (c *httpSession) Outcomes() <-chan outcome { return c.outcomes }
func (c *httpSession) Stall() bool              { return false }

// Ended sends a frame and reports how the server answers it: a stopped
// server refuses it (shutting_down), or no longer listens (closed).
func (c *httpSession) Ended(t *testing.T, within time.Duration) string {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		code, status := c.post(t, c.jpg, 0, "")
		switch {
		case code == "shutting_down", code == "unknown_session":
			return "shutting_down (" + code + ")"
		case status == 0:
			return "closed: " + code
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "not ended"
}
func (c *httpSession) Close() {}
