package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/livetryon/server/pkg/effects"
)

// A NewServer that fails at its last step (the TLS certificate cannot be
// loaded) closes what the earlier steps opened: the workers, the HTTP
// per frame expiry, the WebRTC UDP port, the video jobs' expirer. No
// goroutine is left, and the UDP port can be bound again.
func TestNewServerClosesWhatItOpenedOnFailure(t *testing.T) {
	effects.LoadGlasses() // the catalogue's one-time load, which NewServer starts and does not own
	before := goleak.IgnoreCurrent()
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := udp.LocalAddr().(*net.UDPAddr).Port
	udp.Close()
	dir := t.TempDir()
	bad := filepath.Join(dir, "not-a-cert.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	cfg, err := parseFlags([]string{"--addr", "127.0.0.1:0", "--data-dir", dir, "--log-level", "error",
		"--webrtc-udp-port", strconv.Itoa(port), "--tls-cert", bad, "--tls-key", bad})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewServer(cfg); err == nil || !strings.Contains(err.Error(), "--tls-cert") {
		t.Fatalf("NewServer with a bad certificate: %v, want an error naming --tls-cert", err)
	}
	goleak.VerifyNone(t, before)
	again, err := net.ListenPacket("udp", "0.0.0.0:"+strconv.Itoa(port))
	if err != nil {
		t.Errorf("the WebRTC UDP port %d is still held after the failed start: %v", port, err)
	} else {
		again.Close()
	}
}

// Close waits for what the server started: after it, no goroutine of the
// server's is left (the conformance suite closes servers with clients).
func TestServerCloseLeavesNoGoroutines(t *testing.T) {
	effects.LoadGlasses() // the catalogue's one-time load, which NewServer starts and does not own
	before := goleak.IgnoreCurrent()
	cfg, err := parseFlags([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--log-level", "error"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	goleak.VerifyNone(t, before)
}
