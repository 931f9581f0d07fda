// Package sioclient is a minimal Socket.IO v5 client (Engine.IO 4) over
// WebSocket only: enough to emit events, with or without an acknowledgement,
// and to receive events. The load generator uses it, so that thousands of
// frames a second cost the machine little besides the frames themselves.
// Any Socket.IO 3+/4 server speaks this, including python-socketio 5, which
// the classic Flask tutorial runs on.
package sioclient

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Client is one connection to the default namespace.
type Client struct {
	ws *websocket.Conn

	writeMu sync.Mutex

	mu       sync.Mutex
	handlers map[string]func(args []json.RawMessage)
	acks     map[uint64]func(args []json.RawMessage)
	rawAcks  map[uint64]func(body []byte)
	nextAck  uint64
	closed   chan struct{}
	err      error
}

// Options tune DialWith.
type Options struct {
	Timeout time.Duration
	TLS     *tls.Config // for https/wss servers, e.g. to trust a self-signed certificate
	Header  http.Header // sent with the WebSocket handshake, e.g. a Cookie
	Query   url.Values  // added to the handshake URL, e.g. key
	// NetDial, if set, opens the TCP connection; the load tool counts the
	// bytes on the wire through it.
	NetDial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Dial connects to a server URL such as http://127.0.0.1:9990 and joins the
// default namespace.
func Dial(server string, timeout time.Duration) (*Client, error) {
	return DialWith(server, Options{Timeout: timeout})
}

// DialWith is Dial with options.
func DialWith(server string, o Options) (*Client, error) {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	u, err := url.Parse(server)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return nil, fmt.Errorf("sioclient: unsupported scheme %q", u.Scheme)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/socket.io/"
	}
	q := u.Query()
	q.Set("EIO", "4")
	q.Set("transport", "websocket")
	for k, v := range o.Query {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	d := websocket.Dialer{HandshakeTimeout: timeout, ReadBufferSize: 64 << 10, WriteBufferSize: 64 << 10, TLSClientConfig: o.TLS, NetDialContext: o.NetDial}
	header := o.Header
	if header == nil {
		header = http.Header{}
	}
	ws, resp, err := d.Dial(u.String(), header)
	if err != nil && resp != nil {
		return nil, fmt.Errorf("sioclient: dial %s: %w (HTTP %d)", u.Redacted(), err, resp.StatusCode)
	}
	if err != nil {
		return nil, fmt.Errorf("sioclient: dial %s: %w", u, err)
	}
	ws.SetReadLimit(64 << 20)
	c := &Client{ws: ws, handlers: map[string]func([]json.RawMessage){}, acks: map[uint64]func([]json.RawMessage){}, rawAcks: map[uint64]func([]byte){}, closed: make(chan struct{})}
	ws.SetReadDeadline(time.Now().Add(timeout))
	// Engine.IO open packet, then join the default namespace.
	if _, msg, err := ws.ReadMessage(); err != nil || len(msg) == 0 || msg[0] != '0' {
		ws.Close()
		return nil, fmt.Errorf("sioclient: no Engine.IO open packet (%v)", err)
	}
	if err := c.write("40"); err != nil {
		ws.Close()
		return nil, err
	}
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			ws.Close()
			return nil, fmt.Errorf("sioclient: namespace connect: %w", err)
		}
		s := string(msg)
		if strings.HasPrefix(s, "40") {
			break
		}
		if strings.HasPrefix(s, "44") {
			ws.Close()
			return nil, fmt.Errorf("sioclient: connect refused: %s", s[2:])
		}
		if s == "2" {
			c.write("3")
		}
	}
	ws.SetReadDeadline(time.Time{})
	go c.readLoop()
	return c, nil
}

// On registers the handler of an event; it runs on the read goroutine and
// must not block.
func (c *Client) On(event string, fn func(args []json.RawMessage)) {
	c.mu.Lock()
	c.handlers[event] = fn
	c.mu.Unlock()
}

// Emit sends an event.
func (c *Client) Emit(event string, args ...any) error {
	return c.emit("", event, args)
}

// EmitWithAck sends an event with an acknowledgement id; ack runs on the
// read goroutine when the server answers.
func (c *Client) EmitWithAck(event string, ack func(args []json.RawMessage), args ...any) error {
	c.mu.Lock()
	id := c.nextAck
	c.nextAck++
	c.acks[id] = ack
	c.mu.Unlock()
	return c.emit(strconv.FormatUint(id, 10), event, args)
}

// EmitRawWithAck sends an event whose JSON array, event name first, is
// already encoded, and hands ack the answer's JSON array as it came, to be
// decoded once. The load tool sends and reads a frame so, at a fraction of
// the CPU (json.Marshal re-checks a 40 KB data URL byte by byte, and the
// arguments would be scanned twice): its own cost is not the server's.
func (c *Client) EmitRawWithAck(array []byte, ack func(body []byte)) error {
	c.mu.Lock()
	id := c.nextAck
	c.nextAck++
	c.rawAcks[id] = ack
	c.mu.Unlock()
	msg := make([]byte, 0, len(array)+24)
	msg = strconv.AppendUint(append(msg, "42"...), id, 10)
	return c.writeBytes(append(msg, array...))
}

func (c *Client) emit(ackID, event string, args []any) error {
	payload, err := json.Marshal(append([]any{event}, args...))
	if err != nil {
		return err
	}
	return c.write("42" + ackID + string(payload))
}

func (c *Client) write(s string) error { return c.writeBytes([]byte(s)) }

func (c *Client) writeBytes(msg []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.ws.WriteMessage(websocket.TextMessage, msg)
}

// Done is closed when the connection ends; Err then says why.
func (c *Client) Done() <-chan struct{} { return c.closed }

// Err is why the connection ended.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close ends the connection.
func (c *Client) Close() error {
	c.write("41")
	return c.ws.Close()
}

func (c *Client) readLoop() {
	defer close(c.closed)
	for {
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
		if err := c.handle(msg); err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			c.ws.Close()
			return
		}
	}
}

func (c *Client) handle(msg []byte) error {
	switch {
	case len(msg) == 1 && msg[0] == '2': // Engine.IO ping
		return c.write("3")
	case len(msg) >= 2 && msg[0] == '4' && (msg[1] == '2' || msg[1] == '3'): // event or ack
		body := msg[2:]
		i := 0
		for i < len(body) && body[i] >= '0' && body[i] <= '9' {
			i++
		}
		if msg[1] == '3' {
			id, _ := strconv.ParseUint(string(body[:i]), 10, 64)
			c.mu.Lock()
			fn, raw := c.acks[id], c.rawAcks[id]
			delete(c.acks, id)
			delete(c.rawAcks, id)
			c.mu.Unlock()
			if raw != nil {
				raw(body[i:])
				return nil
			}
			var args []json.RawMessage
			if err := json.Unmarshal(body[i:], &args); err != nil {
				return fmt.Errorf("sioclient: bad packet: %w", err)
			}
			if fn != nil {
				fn(args)
			}
			return nil
		}
		var args []json.RawMessage
		if err := json.Unmarshal(body[i:], &args); err != nil {
			return fmt.Errorf("sioclient: bad packet: %w", err)
		}
		if len(args) == 0 {
			return errors.New("sioclient: event without a name")
		}
		var name string
		if err := json.Unmarshal(args[0], &name); err != nil {
			return fmt.Errorf("sioclient: event name: %w", err)
		}
		c.mu.Lock()
		fn := c.handlers[name]
		c.mu.Unlock()
		if fn != nil {
			fn(args[1:])
		}
	case len(msg) >= 2 && msg[0] == '4' && msg[1] == '1':
		return errors.New("sioclient: disconnected by the server")
	}
	return nil
}
