package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/livetryon/server/internal/sioclient"
	"github.com/livetryon/server/internal/testmedia"
)

// serverStats reads GET /api/v1/stats.
func serverStats(t *testing.T, base string) map[string]any {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// request sends a bodiless request with these headers ("Host" sets the
// request's Host) and returns the status and body.
func request(t *testing.T, method, u string, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	for k, v := range header {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(body)
}

// liveClient keeps one WebSocket client in a closed loop, counting its
// answers, until stop is closed.
func liveClient(t *testing.T, base string, jpg []byte, stop <-chan struct{}) *atomic.Int64 {
	t.Helper()
	c, _, err := dialWS(t, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.expect("session")
	var answered atomic.Int64
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if c.ws.WriteMessage(websocket.BinaryMessage, jpg) != nil {
				return
			}
			for {
				c.ws.SetReadDeadline(time.Now().Add(30 * time.Second))
				kind, _, err := c.ws.ReadMessage()
				if err != nil {
					return
				}
				if kind == websocket.BinaryMessage {
					answered.Add(1)
					break
				}
			}
		}
	}()
	return &answered
}

// TestManyScanJPEGIsRefused sends the progressive 1920x1080 JPEG with
// 200,000 empty scans, which took half a minute of uncancellable decoding
// a frame, over the WebSocket and the photo API at once: each copy is
// refused with too_many_scans, and a live client beside them keeps being
// answered.
func TestManyScanJPEGIsRefused(t *testing.T) {
	base := startServer(t)
	hostile := testmedia.ManyScanJPEG(t, 200_000)
	stop := make(chan struct{})
	defer close(stop)
	live := liveClient(t, base, testmedia.WebcamJPEG(t), stop)

	const copies = 10
	var wg sync.WaitGroup
	var refusedWS, refusedHTTP atomic.Int64
	wg.Add(2)
	go func() { // over the WebSocket
		defer wg.Done()
		c, _, err := dialWS(t, base, nil)
		if err != nil {
			t.Error(err)
			return
		}
		for range copies {
			c.ws.WriteMessage(websocket.BinaryMessage, hostile)
			c.ws.SetReadDeadline(time.Now().Add(60 * time.Second))
			for {
				_, msg, err := c.ws.ReadMessage()
				if err != nil {
					t.Errorf("hostile WebSocket client: %v", err)
					return
				}
				if bytes.Contains(msg, []byte(`"error"`)) {
					if bytes.Contains(msg, []byte("too_many_scans")) {
						refusedWS.Add(1)
					} else {
						t.Errorf("hostile frame over the WebSocket: %s", msg)
					}
					break
				}
			}
		}
	}()
	go func() { // as photos
		defer wg.Done()
		for range copies {
			resp, err := http.Post(base+"/api/v1/tryon", "image/jpeg", bytes.NewReader(hostile))
			if err != nil {
				t.Error(err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusRequestEntityTooLarge && strings.Contains(string(body), "too_many_scans") {
				refusedHTTP.Add(1)
			} else {
				t.Errorf("hostile photo: %d %s", resp.StatusCode, body)
			}
		}
	}()
	before := live.Load()
	wg.Wait()
	during := live.Load() - before
	// The live client must go on being answered; wait for a few more
	// answers (bounded), which a server stuck decoding cannot give.
	deadline := time.Now().Add(30 * time.Second)
	for live.Load() < before+during+10 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	after := live.Load() - before - during
	t.Logf("refused %d over the WebSocket and %d as photos; the live client was answered %d times meanwhile and %d since", refusedWS.Load(), refusedHTTP.Load(), during, after)
	if refusedWS.Load() != copies || refusedHTTP.Load() != copies {
		t.Errorf("refused %d and %d of %d copies, want all", refusedWS.Load(), refusedHTTP.Load(), copies)
	}
	if after < 10 {
		t.Errorf("the live client was answered %d times in 30 s after the hostile frames", after)
	}
	if refused, _ := serverStats(t, base)["frames_refused"].(float64); refused < copies {
		t.Errorf("server counts %v refused frames, want at least %d", refused, copies)
	}
}

// TestProxyOnThisMachineNeedsKey puts a real reverse proxy (Go's
// httputil.ReverseProxy, which adds X-Forwarded-For as nginx does) in front
// of the server on 127.0.0.1. Every request then arrives from loopback, yet
// the clients behind the proxy are not on this machine: without
// --trusted-proxy, anything forwarded needs the key; with the proxy
// trusted too, since an address read from a header is never this machine.
func TestProxyOnThisMachineNeedsKey(t *testing.T) {
	proxy := func(t *testing.T, base string) string {
		t.Helper()
		target, _ := url.Parse(base)
		srv := httptest.NewServer(httputil.NewSingleHostReverseProxy(target))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	getStatus := func(t *testing.T, u string, header map[string]string) int {
		t.Helper()
		code, _ := request(t, "GET", u, header)
		return code
	}
	remote := map[string]string{"X-Forwarded-For": "198.51.100.9"} // the proxy's client, as it would say

	t.Run("untrusted proxy", func(t *testing.T) {
		base := startServerWith(t, "--access-key", "sesame-1234")
		front := proxy(t, base)
		if code := getStatus(t, front+"/api/v1/stats", nil); code != 401 {
			t.Errorf("through a proxy on this machine, without the key: %d, want 401", code)
		}
		if code := getStatus(t, base+"/api/v1/stats", remote); code != 401 {
			t.Errorf("from loopback with X-Forwarded-For, without the key: %d, want 401", code)
		}
		if code := getStatus(t, front+"/api/v1/stats?key=sesame-1234", nil); code != 200 {
			t.Errorf("through the proxy with the key: %d, want 200", code)
		}
		if code := getStatus(t, base+"/api/v1/stats", nil); code != 200 {
			t.Errorf("from this machine, not forwarded: %d, want 200", code)
		}
	})
	t.Run("trusted proxy", func(t *testing.T) {
		base := startServerWith(t, "--access-key", "sesame-1234", "--trusted-proxy", "127.0.0.1")
		front := proxy(t, base)
		if code := getStatus(t, front+"/api/v1/stats", remote); code != 401 {
			t.Errorf("a remote client through the trusted proxy, without the key: %d, want 401", code)
		}
		if code := getStatus(t, front+"/api/v1/stats?key=sesame-1234", remote); code != 200 {
			t.Errorf("a remote client through the trusted proxy, with the key: %d, want 200", code)
		}
		if code := getStatus(t, front+"/api/v1/stats", nil); code != 401 {
			t.Errorf("a client on this machine through the trusted proxy, without the key: %d, want 401", code)
		}
		if code := getStatus(t, base+"/api/v1/stats", nil); code != 200 {
			t.Errorf("from this machine, not forwarded: %d, want 200", code)
		}
	})
}

// TestForgedLoopbackIsNotLocal: behind a trusted proxy (the test, on
// 127.0.0.1, plays it), whatever loopback address a forwarding header
// names, the request needs the key and is held to the per-address
// limits; the address those limits see is X-Real-IP's, else the
// right-most hop of X-Forwarded-For that is not the proxy.
func TestForgedLoopbackIsNotLocal(t *testing.T) {
	base := startServerWith(t, "--access-key", "sesame-1234", "--trusted-proxy", "127.0.0.1",
		"--max-sessions-per-ip", "2", "--session-burst", "100")
	forged := []map[string]string{
		{"X-Forwarded-For": "127.0.0.9"},
		{"X-Forwarded-For": "::1"},
		{"X-Forwarded-For": "::ffff:127.0.0.1"},
		{"X-Forwarded-For": "[::1]:443"},
		{"X-Forwarded-For": "203.0.113.5, 127.0.0.1"},
		{"X-Real-IP": "127.0.0.1"},
		{"X-Real-IP": "::1"},
		{"X-Real-IP": "127.0.0.9", "X-Forwarded-For": "127.0.0.9"},
		{"Forwarded": `for="[::1]"`},
		{"X-Forwarded-For": "not an address"},
	}
	for _, h := range forged {
		for _, path := range []string{"/api/v1/stats", "/socket.io/?EIO=4&transport=polling", "/"} {
			if code, body := request(t, "GET", base+path, h); code != 401 {
				t.Errorf("GET %s with %v, without the key: %d %.80s, want 401", path, h, code, body)
			}
		}
		// /ws refuses in its own protocol: close 1008.
		if c, _, err := dialWS(t, base, headerOf(h)); err == nil {
			c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, _, err = c.ws.ReadMessage()
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation {
				t.Errorf("/ws with %v, without the key: %v, want close 1008", h, err)
			}
		}
	}
	if code, _ := request(t, "GET", base+"/api/v1/stats", nil); code != 200 {
		t.Errorf("from this machine, not forwarded: %d, want 200", code)
	}

	// The per-address cap of 2 holds for each of these clients, however
	// the part of the chain the client wrote itself varies.
	handshake := func(h map[string]string) int {
		code, _ := request(t, "GET", base+"/socket.io/?EIO=4&transport=polling&key=sesame-1234", h)
		return code
	}
	for _, c := range []struct {
		name   string
		header func(i int) map[string]string
	}{
		{"a forged loopback", func(i int) map[string]string { return map[string]string{"X-Forwarded-For": "127.0.0.9"} }},
		{"a forged IPv6 loopback", func(i int) map[string]string { return map[string]string{"X-Real-IP": "::1"} }},
		{"forged hops before the real one", func(i int) map[string]string {
			return map[string]string{"X-Forwarded-For": fmt.Sprintf("127.0.0.%d, 198.51.100.%d, 203.0.113.5", i+2, i+2)}
		}},
		{"X-Real-IP before X-Forwarded-For", func(i int) map[string]string {
			return map[string]string{"X-Real-IP": "203.0.113.7", "X-Forwarded-For": fmt.Sprintf("198.51.100.%d", i+2)}
		}},
	} {
		for i := 0; i < 2; i++ {
			if code := handshake(c.header(i)); code != 200 {
				t.Errorf("%s: handshake %d within the cap: %d", c.name, i+1, code)
			}
		}
		if code := handshake(c.header(2)); code != 503 {
			t.Errorf("%s: a 3rd handshake past the per-address cap of 2: %d, want 503", c.name, code)
		}
	}
}

func headerOf(m map[string]string) http.Header {
	h := http.Header{}
	for k, v := range m {
		h.Set(k, v)
	}
	return h
}

// TestOtherSitesPagesAreRefused: a page of another site, opened in the
// user's browser, may not connect to the local server (Socket.IO over
// polling and WebSocket, /ws, the API), nor may a host name that is not
// the server's (DNS rebinding). The server's own page and localhost pages
// may, and --cors-origin lets a named site in.
func TestOtherSitesPagesAreRefused(t *testing.T) {
	base := startServerWith(t, "--cors-origin", "https://app.example.com")
	u, _ := url.Parse(base)
	ask := func(method, path string, header map[string]string) (int, string) {
		t.Helper()
		return request(t, method, base+path, header)
	}
	evil := map[string]string{"Origin": "http://evil.example"}
	for _, path := range []string{"/socket.io/?EIO=4&transport=polling", "/api/v1/stats", "/ws"} {
		if code, body := ask("GET", path, evil); code != 403 || !strings.Contains(body, "forbidden_origin") {
			t.Errorf("GET %s from another site's page: %d %s, want 403 forbidden_origin", path, code, body)
		}
	}
	if _, _, err := dialWS(t, base, http.Header{"Origin": {"http://evil.example"}}); err == nil {
		t.Error("/ws: a WebSocket from another site's page was accepted")
	}
	if c, err := sioclient.DialWith(base, sioclient.Options{Header: http.Header{"Origin": {"http://evil.example"}}}); err == nil {
		c.Close()
		t.Error("Socket.IO over WebSocket from another site's page connected")
	}
	for _, origin := range []string{"http://" + u.Host, "http://localhost:3000", "https://app.example.com"} {
		code, body := ask("GET", "/socket.io/?EIO=4&transport=polling", map[string]string{"Origin": origin})
		if code != 200 || !strings.Contains(body, `"sid"`) {
			t.Errorf("Socket.IO polling handshake from %s: %d %s", origin, code, body)
		}
		c, err := sioclient.DialWith(base, sioclient.Options{Header: http.Header{"Origin": {origin}}})
		if err != nil {
			t.Errorf("Socket.IO over WebSocket from %s: %v", origin, err)
		} else {
			c.Close()
		}
	}
	if code, body := ask("GET", "/", map[string]string{"Host": "evil.example:" + u.Port()}); code != 421 || !strings.Contains(body, "unknown_host") {
		t.Errorf("a rebound host name: %d %s, want 421 unknown_host", code, body)
	}
	if code, _ := ask("GET", "/", map[string]string{"Host": "localhost:" + u.Port()}); code != 200 {
		t.Errorf("Host localhost: %d, want 200", code)
	}
}

// TestStalledBodyIsCutOff: a client that declares a 1.9 MB photo and sends
// a few bytes of it is answered 400 bad_body at --body-timeout, and its
// connection is not kept.
func TestStalledBodyIsCutOff(t *testing.T) {
	base := startServerWith(t, "--body-timeout", "1s")
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/tryon HTTP/1.1\r\nHost: %s\r\nContent-Type: image/jpeg\r\nContent-Length: 1900000\r\n\r\n\xff\xd8\xff", strings.TrimPrefix(base, "http://"))
	conn.SetReadDeadline(time.Now().Add(30 * time.Second)) // a bound, not a measure
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	t.Logf("stalled body: %d %s", resp.StatusCode, bytes.TrimSpace(body))
	if resp.StatusCode != 400 || !bytes.Contains(body, []byte("bad_body")) {
		t.Errorf("stalled body: %d %s, want 400 bad_body", resp.StatusCode, body)
	}
}
