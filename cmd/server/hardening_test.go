package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

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
