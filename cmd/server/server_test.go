package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livetryon/server/internal/testmedia"
)

func TestFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"--addr", "127.0.0.1:0", "--log-level", "warn", "--workers", "1"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:0" || cfg.LogLevel != "warn" || cfg.Pipeline.Workers != 1 {
		t.Fatalf("flags not applied: %+v", cfg)
	}
	ice, err := iceServers([]string{"stun:stun.example.com:3478", "turn:alice:s3cret@turn.example.com:3478?transport=udp"})
	if err != nil || len(ice) != 2 || ice[0].URLs[0] != "stun:stun.example.com:3478" || ice[1].Username != "alice" ||
		ice[1].Credential != "s3cret" || ice[1].URLs[0] != "turn:turn.example.com:3478?transport=udp" {
		t.Errorf("ICE servers %+v, %v", ice, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", filepath.Join(t.TempDir(), "none.dat")}, "libdlib-data"},
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--jpeg-quality", "0"}, "--jpeg-quality"},
		{[]string{"--workers", "0"}, "--workers"},
		{[]string{"stray"}, "unexpected argument"},
		{[]string{"--min-face", "0"}, "--min-face"},
		{[]string{"--landmark-cascades", "-1"}, "--landmark-cascades"},
		{[]string{"--outbox-limit", "100"}, "--outbox-limit"},
		{[]string{"--outbox-grace", "0s"}, "--outbox-grace"},
		{[]string{"--max-sessions", "0"}, "--max-sessions"},
		{[]string{"--max-sessions-per-ip", "0"}, "--max-sessions-per-ip"},
		{[]string{"--session-rate", "0"}, "--session-rate"},
		{[]string{"--session-burst", "0"}, "--session-burst"},
		{[]string{"--photo-queue", "0"}, "--photo-queue"},
		{[]string{"--max-upload-bytes", "1000"}, "--max-upload-bytes"},
		{[]string{"--video-jobs", "0"}, "--video-jobs"},
		{[]string{"--video-queue", "0"}, "--video-queue"},
		{[]string{"--video-retention", "0s"}, "--video-retention"},
		{[]string{"--data-dir", ""}, "--data-dir"},
		{[]string{"--video-max-fps", "0"}, "--video-max-fps"},
		{[]string{"--video-max-frames", "0"}, "--video-max-frames"},
		{[]string{"--video-max-memory", "1000"}, "--video-max-memory"},
		{[]string{"--video-max-probes", "0"}, "--video-max-probes"},
		{[]string{"--video-max-uploads", "0"}, "--video-max-uploads"},
		{[]string{"--video-max-uploads-per-ip", "0"}, "--video-max-uploads-per-ip"},
		{[]string{"--video-events-per-job", "0"}, "--video-events-per-job"},
		{[]string{"--shutdown-timeout", "0s"}, "--shutdown-timeout"},
		{[]string{"--watch-idle", "10s", "--watch-grace", "10s"}, "less than --watch-idle"},
		{[]string{"--redetect-interval", "-1s"}, "--redetect-interval"},
		{[]string{"--webrtc-udp-port", "70000"}, "--webrtc-udp-port"},
		{[]string{"--webrtc-ports", "60000-50000"}, "--webrtc-ports"},
		{[]string{"--webrtc-ports", "abc"}, "--webrtc-ports"},
		{[]string{"--ice-server", "http://example.com"}, "--ice-server"},
		{[]string{"--ice-server", "turn:nobody@turn.example.com"}, "--ice-server"},
	} {
		if _, err := parseFlags(tc.args); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one naming %q", tc.args, err, tc.want)
		}
	}
}

// startServer runs the whole server on a loopback port.
func startServer(t *testing.T) string {
	t.Helper()
	return startServerWith(t)
}

// startServerWith runs the server with extra command-line flags.
func startServerWith(t *testing.T, flags ...string) string {
	t.Helper()
	_, base, _ := runServer(t, nil, append([]string{"--log-level", "warn"}, flags...)...)
	return base
}

func get(t *testing.T, url string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
}

func TestServesPageAndClients(t *testing.T) {
	base := startServer(t)
	code, ctype, body := get(t, base+"/")
	if code != 200 || !strings.HasPrefix(ctype, "text/html") || !strings.Contains(body, `id="output"`) {
		t.Fatalf("GET /: %d %s, body has #output: %v", code, ctype, strings.Contains(body, `id="output"`))
	}
	for _, p := range []string{"/static/vendor/socket.io-4.8.1.min.js", "/static/vendor/socket.io-2.5.0.min.js", "/static/app.js"} {
		code, ctype, body := get(t, base+p)
		if code != 200 || !strings.Contains(ctype, "javascript") || len(body) < 1000 {
			t.Errorf("GET %s: %d %s, %d bytes", p, code, ctype, len(body))
		}
	}
	if code, _, _ := get(t, base+"/nope"); code != 404 {
		t.Errorf("GET /nope: %d, want 404", code)
	}
	if code, _, body := get(t, base+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("GET /readyz: %d %q", code, body)
	}
	if code, _, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("GET /healthz: %d %q", code, body)
	}
}

// TestSocketIORoundTrip runs the tutorial's client, socket.io-client 2.x,
// against the whole server as the command builds it.
func TestSocketIORoundTrip(t *testing.T) {
	base := startServer(t)
	dir := t.TempDir()
	frameFile := filepath.Join(dir, "frame.txt")
	if err := os.WriteFile(frameFile, []byte(testmedia.DataURL(testmedia.WebcamJPEG(t))), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, _ := json.Marshal(map[string]any{
		"url": base, "version": 2, "transport": "polling", "outDir": dir,
		"steps": []map[string]any{{"file": frameFile}, {"file": frameFile}},
	})
	planFile := filepath.Join(dir, "plan.json")
	os.WriteFile(planFile, plan, 0o644)
	out, err := exec.Command("node", testmedia.RepoPath("test/js/client.js"), planFile).Output()
	if err != nil {
		t.Fatalf("node: %v %s", err, out)
	}
	var res struct {
		Results []struct{ Event, Prefix string }
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.Results) != 2 {
		t.Fatalf("client output %s (%v)", out, err)
	}
	for i, r := range res.Results {
		if r.Event != "response_back" || r.Prefix != "data:image/jpeg;base64," {
			t.Errorf("frame %d: %+v", i, r)
		}
	}
}
