package loadgen

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/livetryon/server/internal/sioclient"
)

// link is one client's connection over one transport: it sends frames and
// reports what comes back to its client.
type link interface {
	send(id int, v *variant) error
	done() <-chan struct{} // closed when the connection ends; nil if it cannot
	close()
}

func dial(cfg Config, c *client, w *wire) (link, error) {
	switch cfg.Transport {
	case "socketio":
		return dialSocketIO(cfg, c, w)
	case "ws":
		return dialWebSocket(cfg, c, w)
	case "http":
		return newHTTPLink(cfg, c, w)
	}
	return nil, fmt.Errorf("loadgen: transport %q: want socketio, ws or http", cfg.Transport)
}

// wire counts the bytes every client's TCP connections carry, both ways.
type wire struct{ up, down atomic.Int64 }

func (w *wire) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &countedConn{Conn: conn, w: w}, nil
}

type countedConn struct {
	net.Conn
	w *wire
}

func (c *countedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.w.down.Add(int64(n))
	return n, err
}

func (c *countedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.w.up.Add(int64(n))
	return n, err
}

// Socket.IO: the image event carries a data URL; with protocol ack it is
// {id, image} with an acknowledgement that carries the answer.

type socketIOLink struct {
	conn *sioclient.Client
	c    *client
	ack  bool
}

func dialSocketIO(cfg Config, c *client, w *wire) (link, error) {
	conn, err := sioclient.DialWith(cfg.URL, sioclient.Options{Timeout: 10 * time.Second, NetDial: w.dial})
	if err != nil {
		return nil, err
	}
	l := &socketIOLink{conn: conn, c: c, ack: cfg.Protocol == "ack"}
	if cfg.Settings != "" {
		replied := make(chan []json.RawMessage, 1)
		if err := conn.EmitWithAck("config", func(args []json.RawMessage) { replied <- args }, json.RawMessage(cfg.Settings)); err != nil {
			conn.Close()
			return nil, err
		}
		select {
		case args := <-replied:
			if len(args) == 0 || !bytes.Contains(args[0], []byte(`"ok":true`)) {
				conn.Close()
				return nil, fmt.Errorf("config refused: %s", args)
			}
		case <-time.After(10 * time.Second):
			conn.Close()
			return nil, fmt.Errorf("config: no reply in 10 s")
		}
	}
	conn.On("response_back", func(args []json.RawMessage) {
		jpg, ok := decodeDataURLArg(args)
		if !ok {
			c.onUnmatched()
			return
		}
		c.onPixels(jpg)
	})
	conn.On("error", func(args []json.RawMessage) {
		why := "error event"
		if len(args) > 0 {
			why = string(args[0])
		}
		c.onError(-1, why)
	})
	return l, nil
}

func (l *socketIOLink) send(id int, v *variant) error {
	if !l.ack {
		return l.conn.Emit("image", v.dataURL)
	}
	// ["image",{"id":N,"image":"data:…"}], written out: a data URL needs no
	// escaping.
	msg := make([]byte, 0, len(v.dataURL)+48)
	msg = strconv.AppendInt(append(msg, `["image",{"id":`...), int64(id), 10)
	msg = append(append(append(msg, `,"image":"`...), v.dataURL...), `"}]`...)
	return l.conn.EmitRawWithAck(msg, func(body []byte) { l.onAck(id, body) })
}

func (l *socketIOLink) done() <-chan struct{} { return l.conn.Done() }
func (l *socketIOLink) close()                { l.conn.Close() }

// answerBody is an acknowledgement (Socket.IO) or an answer message
// (WebSocket).
type answerBody struct {
	ID      *int               `json:"id"`
	Image   string             `json:"image"`
	Faces   *int               `json:"faces"`
	Timings map[string]float64 `json:"timings"`
	Error   *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// info is what an answer says of its frame besides the picture.
func (b *answerBody) info() answerInfo {
	faces := -1
	if b.Faces != nil {
		faces = *b.Faces
	}
	return answerInfo{faces: faces, timings: b.Timings}
}

// onAck reads an acknowledgement's arguments, [answer], in one decoding.
func (l *socketIOLink) onAck(id int, array []byte) {
	var args [1]answerBody // the answer; arguments after it are not read
	body := &args[0]
	if json.Unmarshal(array, &args) != nil {
		body.ID = nil // a malformed acknowledgement: not this frame's answer
	}
	switch {
	case body.ID == nil || *body.ID != id:
		l.c.onAnswer(id, false, answerInfo{})
	case body.Error != nil && body.Error.Code == "dropped":
		l.c.onDropped(id)
	case body.Error != nil:
		l.c.onError(id, body.Error.Code+": "+body.Error.Message)
	default:
		jpg, ok := decodeDataURL(body.Image)
		l.c.onAnswer(id, ok && isJPEG(jpg), body.info())
	}
}

func decodeDataURLArg(args []json.RawMessage) ([]byte, bool) {
	var s string
	if len(args) == 0 || json.Unmarshal(args[0], &s) != nil {
		return nil, false
	}
	return decodeDataURL(s)
}

func decodeDataURL(s string) ([]byte, bool) {
	b64, ok := strings.CutPrefix(s, "data:image/jpeg;base64,")
	if !ok {
		return nil, false
	}
	jpg, err := base64.StdEncoding.DecodeString(b64)
	return jpg, err == nil
}

// WebSocket at /ws: a binary message is one JPEG each way. With protocol
// ack each frame is announced by {"event":"frame","data":{"id":N}}, and its
// answer by an `answer` message just before the binary answer.

type webSocketLink struct {
	conn   *websocket.Conn
	c      *client
	ack    bool
	closed chan struct{}

	writeMu sync.Mutex
}

func dialWebSocket(cfg Config, c *client, w *wire) (link, error) {
	if cfg.Settings != "" {
		return nil, fmt.Errorf("loadgen: --config is not supported over ws; use socketio or http")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "https", "wss":
		u.Scheme = "wss"
	default:
		u.Scheme = "ws"
	}
	u.Path = "/ws"
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 64 << 10, WriteBufferSize: 64 << 10, NetDialContext: w.dial}
	conn, resp, err := d.Dial(u.String(), nil)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: %w (HTTP %d)", u.Redacted(), err, resp.StatusCode)
		}
		return nil, fmt.Errorf("dial %s: %w", u.Redacted(), err)
	}
	conn.SetReadLimit(64 << 20)
	l := &webSocketLink{conn: conn, c: c, ack: cfg.Protocol == "ack", closed: make(chan struct{})}
	go l.read()
	return l, nil
}

func (l *webSocketLink) send(id int, v *variant) error {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	if l.ack {
		announce := `{"event":"frame","data":{"id":` + strconv.Itoa(id) + `}}`
		if err := l.conn.WriteMessage(websocket.TextMessage, []byte(announce)); err != nil {
			return err
		}
	}
	return l.conn.WriteMessage(websocket.BinaryMessage, v.jpeg)
}

func (l *webSocketLink) read() {
	defer close(l.closed)
	pending, info := -1, answerInfo{} // the frame the next binary answers
	for {
		kind, msg, err := l.conn.ReadMessage()
		if err != nil {
			return
		}
		if kind == websocket.BinaryMessage {
			switch {
			case !l.ack:
				l.c.onPixels(msg)
			case pending < 0:
				l.c.onUnmatched()
			default:
				l.c.onAnswer(pending, isJPEG(msg), info)
				pending, info = -1, answerInfo{}
			}
			continue
		}
		var m struct {
			Event string          `json:"event"`
			Data  json.RawMessage `json:"data"`
		}
		if json.Unmarshal(msg, &m) != nil {
			l.c.onUnmatched()
			continue
		}
		var body answerBody
		json.Unmarshal(m.Data, &body)
		switch m.Event {
		case "answer":
			switch {
			case body.ID == nil:
				l.c.onUnmatched()
			case body.Error != nil && body.Error.Code == "dropped":
				l.c.onDropped(*body.ID)
			case body.Error != nil:
				l.c.onError(*body.ID, body.Error.Code+": "+body.Error.Message)
			default:
				pending, info = *body.ID, body.info()
			}
		case "error":
			id := -1
			if body.ID != nil {
				id = *body.ID
			}
			l.c.onError(id, string(m.Data))
		}
	}
}

func (l *webSocketLink) done() <-chan struct{} { return l.closed }
func (l *webSocketLink) close()                { l.conn.Close() }

// HTTP: one POST /api/v1/frames per frame on a keep-alive connection, the
// session carried in X-Session-Id. At a fixed rate, a frame may be posted
// before the last one is answered; the server then answers the older one
// 409 dropped.

type httpLink struct {
	endpoint string
	settings string // X-Config of every request, if set
	client   *http.Client
	c        *client
	broken   chan struct{} // closed when a request fails below HTTP
	breakOne sync.Once

	mu      sync.Mutex
	session string
	started bool
}

func newHTTPLink(cfg Config, c *client, w *wire) (link, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, err
	}
	u.Path = "/api/v1/frames"
	tr := &http.Transport{DialContext: w.dial, MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second, DisableKeepAlives: cfg.HTTPNewConnEachFrame}
	return &httpLink{endpoint: u.String(), settings: cfg.Settings, client: &http.Client{Transport: tr, Timeout: cfg.AnswerTimeout + 5*time.Second}, c: c, broken: make(chan struct{})}, nil
}

func (l *httpLink) send(id int, v *variant) error {
	l.mu.Lock()
	first := !l.started
	l.started = true
	l.mu.Unlock()
	if first { // the first answer names the session every later frame joins
		return l.post(id, v)
	}
	go func() {
		if err := l.post(id, v); err != nil {
			l.c.onError(id, err.Error())
		}
	}()
	return nil
}

// post sends one frame and reports its answer, or returns an error below
// HTTP (no server, a reset connection), which also ends the link.
func (l *httpLink) post(id int, v *variant) error {
	req, _ := http.NewRequest(http.MethodPost, l.endpoint, bytes.NewReader(v.jpeg))
	req.Header.Set("Content-Type", "image/jpeg")
	if l.settings != "" {
		req.Header.Set("X-Config", l.settings)
	}
	req.Header.Set("X-Frame-Id", strconv.Itoa(id))
	l.mu.Lock()
	if l.session != "" {
		req.Header.Set("X-Session-Id", l.session)
	}
	l.mu.Unlock()
	resp, err := l.client.Do(req)
	if err != nil {
		l.breakOne.Do(func() { close(l.broken) })
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	switch {
	case err != nil:
		l.c.onError(id, err.Error())
	case resp.StatusCode == http.StatusConflict:
		l.c.onDropped(id)
	case resp.StatusCode != http.StatusOK:
		l.c.onError(id, fmt.Sprintf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(body)))
	case resp.Header.Get("X-Frame-Id") != strconv.Itoa(id):
		l.c.onAnswer(id, false, answerInfo{})
	default:
		l.mu.Lock()
		l.session = resp.Header.Get("X-Session-Id")
		l.mu.Unlock()
		faces, err := strconv.Atoi(resp.Header.Get("X-Faces"))
		if err != nil {
			faces = -1
		}
		l.c.onAnswer(id, isJPEG(body), answerInfo{faces: faces, timings: parseServerTiming(resp.Header.Get("Server-Timing"))})
	}
	return nil
}

// parseServerTiming reads "decode;dur=1.20, detect;dur=3.40" into
// milliseconds by stage.
func parseServerTiming(h string) map[string]float64 {
	if h == "" {
		return nil
	}
	out := map[string]float64{}
	for _, metric := range strings.Split(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(metric), ";")
		for _, p := range strings.Split(params, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(p), "dur="); ok {
				if ms, err := strconv.ParseFloat(v, 64); err == nil {
					out[name] = ms
				}
			}
		}
	}
	return out
}

func (l *httpLink) done() <-chan struct{} { return l.broken }

// close ends the session at once rather than leaving it to expire.
func (l *httpLink) close() {
	l.mu.Lock()
	session := l.session
	l.mu.Unlock()
	if session != "" {
		req, _ := http.NewRequest(http.MethodDelete, l.endpoint+"?session="+url.QueryEscape(session), nil)
		if resp, err := l.client.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	l.client.CloseIdleConnections()
}
