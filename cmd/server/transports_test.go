package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/frameid"
	"github.com/livetryon/server/internal/testmedia"
)

// wsClient is a plain WebSocket client (gorilla) speaking the /ws protocol.
type wsClient struct {
	t  *testing.T
	ws *websocket.Conn
}

// dialWS connects to base's /ws; query, if any, is added to it ("?key=...").
func dialWS(t *testing.T, base string, header http.Header, query ...string) (*wsClient, *http.Response, error) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(base, "http") + "/ws" + strings.Join(query, "")
	ws, resp, err := websocket.DefaultDialer.Dial(u, header)
	if err != nil {
		return nil, resp, err
	}
	t.Cleanup(func() { ws.Close() })
	return &wsClient{t: t, ws: ws}, resp, nil
}

func (c *wsClient) sendText(event string, data any) {
	c.t.Helper()
	msg, _ := json.Marshal(map[string]any{"event": event, "data": data})
	if err := c.ws.WriteMessage(websocket.TextMessage, msg); err != nil {
		c.t.Fatal(err)
	}
}

func (c *wsClient) sendBinary(b []byte) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.BinaryMessage, b); err != nil {
		c.t.Fatal(err)
	}
}

// wsMessage is one message received: text events decoded, binary kept.
type wsMessage struct {
	Event  string
	Data   map[string]any
	Binary []byte
}

func (c *wsClient) next() wsMessage {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	kind, b, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	if kind == websocket.BinaryMessage {
		return wsMessage{Binary: b}
	}
	var env struct {
		Event string         `json:"event"`
		Data  map[string]any `json:"data"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		c.t.Fatalf("text message %s: %v", b, err)
	}
	return wsMessage{Event: env.Event, Data: env.Data}
}

// expect reads until a message of event ("" for binary) arrives, failing
// on any other error event.
func (c *wsClient) expect(event string) wsMessage {
	c.t.Helper()
	for i := 0; i < 10; i++ {
		m := c.next()
		if (event == "" && m.Binary != nil) || (event != "" && m.Event == event) {
			return m
		}
		if m.Event == "error" {
			c.t.Fatalf("unexpected error while waiting for %q: %v", event, m.Data)
		}
	}
	c.t.Fatalf("no %q message in 10", event)
	return wsMessage{}
}

func decodeJPEG(t *testing.T, b []byte) gocv.Mat {
	t.Helper()
	m, err := cvjpeg.Decode(b)
	if err != nil || m.Empty() {
		t.Fatalf("answer is not a JPEG (%d bytes): %v", len(b), err)
	}
	return m
}

func blueLips(t *testing.T, sent, answer []byte) {
	t.Helper()
	faces := testmedia.Faces(t, sent)
	if len(faces) != 1 {
		t.Fatalf("%d faces in the sent frame", len(faces))
	}
	in, out := decodeJPEG(t, sent), decodeJPEG(t, answer)
	defer in.Close()
	defer out.Close()
	lip := testmedia.LipPoint(faces[0])
	if before, after := testmedia.Blueness(in, lip), testmedia.Blueness(out, lip); after < before+20 {
		t.Errorf("lips not recoloured blue: blueness %d → %d", before, after)
	}
}

var blueConfig = map[string]any{"effects": []any{map[string]any{"name": "lipstick", "color": "#2040ff", "strength": 0.8}}}

// TestWebSocketTransport: binary frames in, binary JPEG answers out; ids,
// config and landmarks as JSON text; every bad input gets its error and the
// connection goes on, up to a message over the read limit, which closes it
// with 1009.
func TestWebSocketTransport(t *testing.T) {
	base := startServerWith(t, "--max-frame-bytes", "200000")
	c, _, err := dialWS(t, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	hello := c.expect("session")
	if w, _ := hello.Data["watch"].(string); !strings.HasPrefix(w, "/watch/") || hello.Data["transport"] != "ws" {
		t.Fatalf("session message %v", hello.Data)
	}

	c.sendText("config", map[string]any{"effects": blueConfig["effects"], "landmarks": true})
	if reply := c.expect("config"); reply.Data["ok"] != true {
		t.Fatalf("config reply %v", reply.Data)
	}
	jpg := testmedia.WebcamJPEG(t)
	c.sendText("frame", map[string]any{"id": 7})
	c.sendBinary(jpg)
	ans := c.expect("answer")
	if ans.Data["id"] != 7.0 || ans.Data["faces"] != 1.0 {
		t.Fatalf("answer %v: want id 7 and one face", ans.Data)
	}
	img := c.expect("")
	blueLips(t, jpg, img.Binary)
	lm := c.expect("landmarks")
	if lm.Data["frame"] != 7.0 || len(lm.Data["faces"].([]any)) != 1 {
		t.Fatalf("landmarks %v", lm.Data)
	}

	// A frame without an id gets just the binary answer (and landmarks).
	c.sendBinary(jpg)
	if m := c.next(); m.Binary == nil {
		t.Fatalf("frame without id: got %q first, want the binary answer", m.Event)
	}
	c.expect("landmarks")

	for _, tc := range []struct {
		name string
		send func()
		code string
	}{
		{"not a JPEG", func() { c.sendBinary([]byte("hello, not a jpeg")) }, "not_jpeg"},
		{"60000x60000 header", func() { c.sendBinary(testmedia.DeclareSize(jpg, 60000, 60000)) }, "too_many_pixels"},
		{"over the frame limit", func() { c.sendBinary(make([]byte, 300000)) }, "too_large"},
		{"garbage text", func() { c.ws.WriteMessage(websocket.TextMessage, []byte("{{{ not json")) }, "bad_message"},
		{"unknown event", func() { c.sendText("dance", nil) }, "bad_message"},
		{"bad image payload", func() { c.sendText("image", 42) }, "bad_payload"},
	} {
		tc.send()
		m := c.next()
		if m.Event != "error" || m.Data["code"] != tc.code {
			t.Errorf("%s: got %q %v, want error %s", tc.name, m.Event, m.Data, tc.code)
		}
	}
	c.sendText("config", map[string]any{"effects": []any{map[string]any{"name": "lipstick", "color": "red"}}})
	if reply := c.expect("config"); reply.Data["ok"] != false || reply.Data["error"].(map[string]any)["field"] != "effects[0].color" {
		t.Errorf("bad config reply %v", reply.Data)
	}
	// After all that, a good frame is still answered, with the settings
	// that were in force before the refused config.
	c.sendText("frame", map[string]any{"id": "after"})
	c.sendBinary(jpg)
	if ans := c.expect("answer"); ans.Data["id"] != "after" {
		t.Fatalf("answer %v", ans.Data)
	}
	blueLips(t, jpg, c.expect("").Binary)
	c.expect("landmarks")

	// A frame as a data URL in a text message works as on Socket.IO.
	c.sendText("image", map[string]any{"id": 9, "image": testmedia.DataURL(jpg)})
	if ans := c.expect("answer"); ans.Data["id"] != 9.0 {
		t.Fatalf("data URL frame: %v", ans.Data)
	}
	c.expect("")

	// Over the read limit (twice the frame limit): closed with 1009.
	c.sendBinary(make([]byte, 500000))
	c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var ce *websocket.CloseError
	for {
		_, _, err := c.ws.ReadMessage()
		if err == nil {
			continue
		}
		if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig || ce.Text == "" {
			t.Fatalf("oversize message: %v, want close 1009 with a reason", err)
		}
		t.Logf("closed: %d %q", ce.Code, ce.Text)
		break
	}
}

// TestWebSocketNeedsKeyOffMachine: through the public listener, a client
// without the key is closed with 1008; with it, it is served.
func TestWebSocketNeedsKeyOffMachine(t *testing.T) {
	public, _ := startPublic(t, "sesame-1234")
	c, _, err := dialWS(t, public, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _, err = c.ws.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation {
		t.Fatalf("without the key: %v, want close 1008", err)
	}
	t.Logf("closed: %d %q", ce.Code, ce.Text)
	for name, dial := range map[string]func() (*wsClient, *http.Response, error){
		"?key=": func() (*wsClient, *http.Response, error) { return dialWS(t, public, nil, "?key=sesame-1234") },
		"bearer header": func() (*wsClient, *http.Response, error) {
			return dialWS(t, public, http.Header{"Authorization": {"Bearer sesame-1234"}})
		},
	} {
		c, _, err := dial()
		if err != nil {
			t.Fatalf("with the key by %s: %v", name, err)
		}
		c.expect("session") // served, not closed with 1008
	}
}

// postFrame sends one frame to /api/v1/frames.
func postFrame(t *testing.T, ctx context.Context, hc *http.Client, url string, jpg []byte, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(jpg))
	req.Header.Set("Content-Type", "image/jpeg")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// TestHTTPFrames: a session id keeps tracking and settings across requests on one kept-alive connection; JSON answers carry the
// landmarks; bad requests get the photo API's codes.
func TestHTTPFrames(t *testing.T) {
	base := startServer(t)
	hc := &http.Client{}
	jpg := testmedia.WebcamJPEG(t)
	cfg, _ := json.Marshal(blueConfig)

	var conns, reused atomic.Int32
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		conns.Add(1)
		if i.Reused {
			reused.Add(1)
		}
	}}
	traced := httptrace.WithClientTrace(context.Background(), trace)
	post := func(header http.Header, query string) (*http.Response, []byte) {
		t.Helper()
		return postFrame(t, traced, hc, base+"/api/v1/frames"+query, jpg, header)
	}

	resp, body := post(http.Header{"X-Config": {string(cfg)}}, "")
	id := resp.Header.Get("X-Session-Id")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" || id == "" ||
		!strings.HasPrefix(resp.Header.Get("X-Watch-URL"), "/watch/") || resp.Header.Get("X-Tracked") != "false" {
		t.Fatalf("first frame: %d %v", resp.StatusCode, resp.Header)
	}
	blueLips(t, jpg, body)
	for i := 2; i <= 4; i++ {
		resp, body = post(http.Header{"X-Session-Id": {id}}, "")
		if resp.StatusCode != 200 || resp.Header.Get("X-Session-Id") != id {
			t.Fatalf("frame %d: %d %s", i, resp.StatusCode, body)
		}
		if resp.Header.Get("X-Tracked") != "true" {
			t.Errorf("frame %d of the session: X-Tracked %q, want true (faces followed from the previous request)", i, resp.Header.Get("X-Tracked"))
		}
	}
	blueLips(t, jpg, body) // the settings of the first request still hold
	// ?session= works too; JSON answers carry the landmarks.
	resp, body = post(http.Header{"Accept": {"application/json"}, "X-Frame-Id": {"f5"}}, "?session="+id+"&image=1")
	var ans struct {
		ID      string           `json:"id"`
		Width   int              `json:"width"`
		Faces   []map[string]any `json:"faces"`
		Image   string           `json:"image"`
		Tracked bool             `json:"tracked"`
	}
	if err := json.Unmarshal(body, &ans); err != nil || resp.StatusCode != 200 {
		t.Fatalf("JSON answer %d %s", resp.StatusCode, body)
	}
	if ans.ID != "f5" || ans.Width != 640 || len(ans.Faces) != 1 || !strings.HasPrefix(ans.Image, "data:image/jpeg;base64,") {
		t.Errorf("JSON answer: id %q width %d faces %d image %.30q", ans.ID, ans.Width, len(ans.Faces), ans.Image)
	}
	// A request without the id starts a new session, which detects afresh.
	resp, _ = post(nil, "")
	if other := resp.Header.Get("X-Session-Id"); other == "" || other == id || resp.Header.Get("X-Tracked") != "false" {
		t.Errorf("new session: id %q (first was %q), tracked %q", other, id, resp.Header.Get("X-Tracked"))
	}
	if conns.Load() < 6 || reused.Load() < conns.Load()-1 {
		t.Errorf("keep-alive: %d of %d requests reused a connection", reused.Load(), conns.Load())
	}

	for _, tc := range []struct {
		name   string
		ctype  string
		body   []byte
		header http.Header
		status int
		code   string
	}{
		{"not a JPEG", "image/jpeg", []byte("hello"), nil, 400, "not_jpeg"},
		{"60000x60000 header", "image/jpeg", testmedia.DeclareSize(jpg, 60000, 60000), nil, 413, "too_many_pixels"},
		{"oversize", "image/jpeg", make([]byte, 3<<20), nil, 413, "too_large"},
		{"wrong content type", "text/plain", jpg, nil, 415, "not_jpeg"},
		{"unknown session", "image/jpeg", jpg, http.Header{"X-Session-Id": {"no-such-session"}}, 404, "unknown_session"},
		{"bad config", "image/jpeg", jpg, http.Header{"X-Config": {`{"output":"video"}`}}, 400, "bad_config"},
	} {
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/frames", bytes.NewReader(tc.body))
		req.Header.Set("Content-Type", tc.ctype)
		for k, v := range tc.header {
			req.Header[k] = v
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct{ Error struct{ Code string } }
		json.Unmarshal(body, &e)
		if resp.StatusCode != tc.status || e.Error.Code != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, resp.StatusCode, body, tc.status, tc.code)
		}
	}
	// DELETE ends the session; its id is then unknown.
	req, _ := http.NewRequest(http.MethodDelete, base+"/api/v1/frames?session="+id, nil)
	if resp, err := hc.Do(req); err != nil || resp.StatusCode != 204 {
		t.Fatalf("DELETE: %v %v", resp, err)
	}
	if resp, _ := post(http.Header{"X-Session-Id": {id}}, ""); resp.StatusCode != 404 {
		t.Errorf("frame on a deleted session: %d, want 404", resp.StatusCode)
	}
}

// TestHTTPSessionsExpire: an idle session is ended, and its watch stream
// with it.
func TestHTTPSessionsExpire(t *testing.T) {
	// A watch link outlives its session by the grace time, for a page
	// that comes back; here that is short, so the link's end is seen too.
	base := startServerWith(t, "--http-session-idle", "1s", "--watch-grace", "200ms")
	resp, _ := postFrame(t, context.Background(), http.DefaultClient, base+"/api/v1/frames", testmedia.WebcamJPEG(t), nil)
	id, watch := resp.Header.Get("X-Session-Id"), resp.Header.Get("X-Watch-URL")
	if code, _, _ := get(t, base+watch+"/snapshot.jpg"); code != 200 {
		t.Fatalf("snapshot of a live session: %d", code)
	}
	time.Sleep(2500 * time.Millisecond)
	if resp, _ := postFrame(t, context.Background(), http.DefaultClient, base+"/api/v1/frames", testmedia.WebcamJPEG(t), http.Header{"X-Session-Id": {id}}); resp.StatusCode != 404 {
		t.Errorf("frame on an expired session: %d, want 404", resp.StatusCode)
	}
	var code int
	var body string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if code, _, body = get(t, base+watch+"/snapshot.jpg"); code == 404 {
			break
		}
	}
	if code != 404 || !strings.Contains(body, "unknown_watch") {
		t.Errorf("snapshot of an expired session past the grace time: %d %.80s", code, body)
	}
}

// mjpegReader reads parts of a multipart/x-mixed-replace stream.
type mjpegReader struct {
	resp *http.Response
	mr   *multipart.Reader
}

func openWatch(t *testing.T, url string, readBuffer int) *mjpegReader {
	t.Helper()
	// The receive buffer is set before connecting, so the window the
	// viewer advertises is small from the start: a slow reader then has
	// little of the stream waiting in its own kernel.
	dialer := &net.Dialer{Control: func(network, address string, c syscall.RawConn) error {
		if readBuffer > 0 {
			c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, readBuffer) })
		}
		return nil
	}}
	tr := &http.Transport{DialContext: dialer.DialContext, ReadBufferSize: 4096}
	resp, err := (&http.Client{Transport: tr}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close(); tr.CloseIdleConnections() })
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != 200 || err != nil || mt != "multipart/x-mixed-replace" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("watch: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	return &mjpegReader{resp: resp, mr: multipart.NewReader(bufio.NewReaderSize(resp.Body, 4096), params["boundary"])}
}

// next returns the next frame, or io.EOF when the stream ended cleanly.
func (m *mjpegReader) next() ([]byte, error) {
	p, err := m.mr.NextPart()
	if err != nil {
		return nil, err
	}
	return io.ReadAll(p)
}

// TestWatchDoesNotSlowTheSender: a WebSocket client sends stamped frames in
// a closed loop while a viewer reads its MJPEG stream one frame a second.
// The sender's frames are all answered at its own pace, whatever the
// viewer does; the viewer, when it reads, gets one of the newest frames;
// the stream ends cleanly when the sender goes; refusals are clear.
func TestWatchDoesNotSlowTheSender(t *testing.T) {
	base := startServerWith(t, "--watch-viewers-per-session", "2", "--watch-grace", "1s")
	c, _, err := dialWS(t, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	watch := c.expect("session").Data["watch"].(string)
	// 256 distinct stamps: at a camera's 30 frames a second the test never
	// wraps around, so "behind" is exact.
	frames := stampedFrames(t, 256)

	// Before any frame: a snapshot has nothing to show.
	if code, _, body := get(t, base+watch+"/snapshot.jpg"); code != 404 || !strings.Contains(body, "no_frame") {
		t.Errorf("snapshot before any frame: %d %s", code, body)
	}
	var sent, answered atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the sender: a 30 fps camera that waits for each answer
		defer wg.Done()
		tick := time.NewTicker(time.Second / 30)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			c.ws.WriteMessage(websocket.BinaryMessage, frames[i%len(frames)])
			sent.Store(int64(i))
			c.ws.SetReadDeadline(time.Now().Add(20 * time.Second))
			if _, _, err := c.ws.ReadMessage(); err != nil {
				return
			}
			answered.Add(1)
		}
	}()
	viewer := openWatch(t, base+watch, 8<<10)
	// Parts already in the socket buffers when the viewer pauses (about two:
	// the server keeps a viewer's send buffer to about one frame, and this
	// viewer's receive buffer is small) are a second old when it reads them;
	// beyond those nothing queues for a slow viewer: it skips to the newest
	// frame, and how far behind it is does not grow.
	const buffered = 3
	var read, prev int
	for i := 0; i < buffered+3; i++ {
		time.Sleep(time.Second)
		newest := int(sent.Load()) % len(frames)
		jpg, err := viewer.next()
		if err != nil {
			t.Fatalf("viewer read %d: %v", i, err)
		}
		read++
		got, ok := frameid.Read(jpg)
		if !ok {
			t.Fatalf("viewer frame %d carries no stamp", i)
		}
		behind := (newest - got + len(frames)) % len(frames)
		t.Logf("viewer read %d: frame %d; the sender was at %d (%d behind)", i, got, newest, behind)
		if i > buffered {
			if got-prev < 10 {
				t.Errorf("read %d: frame %d after frame %d: the slow viewer was sent every frame instead of the newest", i, got, prev)
			}
			if behind > 30*(buffered+1) {
				t.Errorf("read %d: %d frames behind the newest: frames queue up for the slow viewer", i, behind)
			}
		}
		prev = got
	}
	// Limits: a third viewer of this session is refused.
	second := openWatch(t, base+watch, 0)
	resp, err := http.Get(base + watch)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(body), "too_many_viewers") {
		t.Errorf("third viewer: %d %s", resp.StatusCode, body)
	}
	_ = second
	close(stop)
	wg.Wait()
	n := answered.Load()
	t.Logf("sender: %d frames answered while the viewer read %d", n, read)
	if n < int64(5*read) {
		t.Errorf("the sender got %d answers while a viewer read %d frames: the viewer held it back", n, read)
	}
	if code, ctype, _ := get(t, base+watch+"/snapshot.jpg"); code != 200 || ctype != "image/jpeg" {
		t.Errorf("snapshot: %d %s", code, ctype)
	}
	// The sender leaves: after the grace time, the stream ends cleanly.
	c.ws.Close()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := viewer.next(); err != nil {
			if err != io.EOF {
				t.Errorf("stream end: %v, want a clean end (EOF)", err)
			}
			break
		}
	}
	if code, _, body := get(t, base+"/watch/0123456789abcdef0123456789abcdef"); code != 404 || !strings.Contains(body, "unknown_watch") {
		t.Errorf("unknown watch id: %d %s", code, body)
	}
}

// stampedFrames are n webcam frames, each with its number in its pixels.
func stampedFrames(t *testing.T, n int) [][]byte {
	t.Helper()
	src, err := cvjpeg.Decode(testmedia.WebcamJPEG(t))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	out := make([][]byte, n)
	for i := range out {
		img := src.Clone()
		frameid.Stamp(&img, i)
		buf, err := cvjpeg.Encode(img, cvjpeg.Options{Quality: 80})
		img.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = append([]byte(nil), buf.Bytes()...)
		buf.Close()
	}
	return out
}
