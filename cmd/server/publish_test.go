package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livetryon/server/internal/sioclient"
	"github.com/livetryon/server/internal/testmedia"
)

// syncBuffer collects the server's log lines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runServer starts the whole server with flags on a loopback port and
// returns it, its base URL and its log.
func runServer(t *testing.T, env map[string]string, flags ...string) (*Server, string, *syncBuffer) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := parseFlags(append([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, flags...))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cfg.LogOutput = logs
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeListener(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("server did not shut down within 10 s")
		}
	})
	scheme := "http"
	if srv.tls != nil {
		scheme = "https"
	}
	return srv, scheme + "://" + ln.Addr().String(), logs
}

// waitForLog waits until the log has a line containing all of words, up to
// limit; the wait is bounded, the test asserts no timing.
func waitForLog(t *testing.T, logs *syncBuffer, limit time.Duration, words ...string) string {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(logs.String(), "\n") {
			ok := true
			for _, w := range words {
				ok = ok && strings.Contains(line, w)
			}
			if ok {
				return line
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no log line with %q within %v; log:\n%s", words, limit, logs.String())
	return ""
}

func mustGet(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestNgrokWithoutTokenServesLocally(t *testing.T) {
	_, base, logs := runServer(t, map[string]string{"NGROK_AUTHTOKEN": ""}, "--ngrok")
	line := waitForLog(t, logs, 5*time.Second, "ngrok", "NGROK_AUTHTOKEN")
	t.Logf("log: %s", line)
	if code := mustGet(t, base+"/"); code != 200 {
		t.Fatalf("local page: %d", code)
	}
}

// TestNgrokFailsFastOnUnreachableService: with a token but the agent
// pointed at a closed loopback port, the failure is logged within the
// timeout and local serving goes on. Nothing leaves the machine.
func TestNgrokFailsFastOnUnreachableService(t *testing.T) {
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := closed.Addr().String()
	closed.Close()
	start := time.Now()
	_, base, logs := runServer(t, map[string]string{"NGROK_AUTHTOKEN": "test-token-not-real"},
		"--ngrok", "--ngrok-timeout", "2s", "--ngrok-connect-url", addr)
	if code := mustGet(t, base+"/healthz"); code != 200 {
		t.Fatalf("local serving while ngrok starts: %d", code)
	}
	line := waitForLog(t, logs, 6*time.Second, "ngrok", "no public link")
	t.Logf("reported after %v: %s", time.Since(start).Round(time.Millisecond), line)
	if code := mustGet(t, base+"/"); code != 200 {
		t.Fatalf("local page after the ngrok failure: %d", code)
	}
}

// startPublic runs the server with an access key and serves its public
// server, the one --ngrok serves the tunnel with, on a loopback listener
// handed in as the tunnel would be. It returns the public and the local
// base URLs.
func startPublic(t *testing.T, key string) (public, local string) {
	t.Helper()
	srv, local, _ := runServer(t, nil, "--access-key", key)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.publicServer().Serve(ln)
	t.Cleanup(func() { ln.Close() })
	return "http://" + ln.Addr().String(), local
}

// TestPublicListenerNeedsKey drives the server that --ngrok serves the
// tunnel with (publicServer), on a loopback listener handed in as the
// tunnel would be: without
// the key the page, the API and Socket.IO are refused; with it they work.
func TestPublicListenerNeedsKey(t *testing.T) {
	public, local := startPublic(t, "sesame-1234")
	jpg := testmedia.WebcamJPEG(t)

	// Without the key.
	if code := mustGet(t, public+"/"); code != 401 {
		t.Errorf("page without key: %d, want 401", code)
	}
	resp, err := http.Post(public+"/api/v1/landmarks", "image/jpeg", bytes.NewReader(jpg))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !bytes.Contains(body, []byte(`"unauthorized"`)) {
		t.Errorf("API without key: %d %s", resp.StatusCode, body)
	}
	// A Socket.IO handshake without the key is refused before Engine.IO
	// makes a session, over WebSocket and polling alike.
	if c, err := sioclient.Dial(public, 5*time.Second); err == nil {
		c.Close()
		t.Error("Socket.IO connected without the key")
	} else if !strings.Contains(err.Error(), "HTTP 401") {
		t.Errorf("Socket.IO without key: %v, want the handshake refused with 401", err)
	}
	if resp, err := http.Get(public + "/socket.io/?EIO=4&transport=polling"); err != nil {
		t.Fatal(err)
	} else {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 || !bytes.Contains(body, []byte(`"unauthorized"`)) {
			t.Errorf("Socket.IO polling handshake without key: %d %s", resp.StatusCode, body)
		}
	}
	// A WebRTC offer without the key is refused before a PeerConnection
	// is made; with it, the offer reaches the transport (which refuses
	// this one, which has no video).
	for _, key := range []string{"", "sesame-1234"} {
		req, _ := http.NewRequest("POST", public+"/api/v1/webrtc/offer", strings.NewReader(`{"sdp":"v=0","type":"offer"}`))
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case key == "" && (resp.StatusCode != 401 || !bytes.Contains(body, []byte(`"unauthorized"`))):
			t.Errorf("WebRTC offer without key: %d %s", resp.StatusCode, body)
		case key != "" && (resp.StatusCode != 400 || !bytes.Contains(body, []byte(`"bad_message"`))):
			t.Errorf("WebRTC offer with the key: %d %s, want the transport's 400", resp.StatusCode, body)
		}
	}
	// Video jobs too: an upload without the key is refused before a byte
	// of it is stored.
	if resp, err := http.Post(public+"/api/v1/videos", "video/mp4", strings.NewReader("not read")); err != nil {
		t.Fatal(err)
	} else {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 || !bytes.Contains(body, []byte(`"unauthorized"`)) {
			t.Errorf("video upload without key: %d %s", resp.StatusCode, body)
		}
	}
	if code := mustGet(t, public+"/?key=wrong-key-000"); code != 401 {
		t.Errorf("page with a wrong key: %d, want 401", code)
	}

	// With the key: the page sets a cookie that the rest then carries.
	resp, err = http.Get(public + "/?key=sesame-1234")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "tryon_key" {
			cookie = c
		}
	}
	if resp.StatusCode != 200 || cookie == nil || !cookie.HttpOnly {
		t.Fatalf("page with key: %d, cookie %v", resp.StatusCode, cookie)
	}
	req, _ := http.NewRequest("GET", public+"/static/app.js", nil)
	req.AddCookie(cookie)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("static file with the cookie: %v %v", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
	req, _ = http.NewRequest("POST", public+"/api/v1/landmarks", bytes.NewReader(jpg))
	req.Header.Set("Content-Type", "image/jpeg")
	req.Header.Set("Authorization", "Bearer sesame-1234")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("API with the key: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	c, err := sioclient.DialWith(public, sioclient.Options{Timeout: 5 * time.Second, Query: url.Values{"key": {"sesame-1234"}}})
	if err != nil {
		t.Fatalf("Socket.IO with the key: %v", err)
	}
	defer c.Close()
	roundTrip(t, c, jpg)

	// The local listener trusts this machine: no key needed on localhost.
	if code := mustGet(t, local+"/"); code != 200 {
		t.Errorf("local page: %d", code)
	}
	lc, err := sioclient.Dial(local, 5*time.Second)
	if err != nil {
		t.Fatalf("local Socket.IO: %v", err)
	}
	lc.Close()
}

func roundTrip(t *testing.T, c *sioclient.Client, jpg []byte) {
	t.Helper()
	reply := make(chan []json.RawMessage, 1)
	c.EmitWithAck("image", func(args []json.RawMessage) { reply <- args }, map[string]any{"id": 1, "image": testmedia.DataURL(jpg)})
	select {
	case args := <-reply:
		var a struct {
			Image string
			Faces int
		}
		if len(args) != 1 || json.Unmarshal(args[0], &a) != nil || !strings.HasPrefix(a.Image, "data:image/jpeg;base64,") || a.Faces != 1 {
			t.Fatalf("bad answer %.200s", args)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no answer")
	}
}

// TestSelfSignedTLS: a client that trusts the generated certificate
// completes a Socket.IO round trip over wss.
func TestSelfSignedTLS(t *testing.T) {
	srv, base, _ := runServer(t, nil, "--tls-self-signed")
	if !strings.HasPrefix(base, "https://") || srv.selfSigned == nil {
		t.Fatalf("not serving https: %s", base)
	}
	pool := x509.NewCertPool()
	pool.AddCert(srv.selfSigned)
	tlsConf := &tls.Config{RootCAs: pool}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}}
	resp, err := client.Get(base + "/")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET / over https: %v %v", resp, err)
	}
	resp.Body.Close()
	if _, err := http.Get(base + "/"); err == nil {
		t.Error("a client that does not trust the certificate connected")
	}
	c, err := sioclient.DialWith(base, sioclient.Options{Timeout: 5 * time.Second, TLS: tlsConf})
	if err != nil {
		t.Fatalf("wss: %v", err)
	}
	defer c.Close()
	roundTrip(t, c, testmedia.WebcamJPEG(t))
}
