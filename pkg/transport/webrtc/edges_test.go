package webrtc_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/rs/zerolog"
	"gocv.io/x/gocv"

	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/metrics"
	"github.com/livetryon/server/pkg/transport/webrtc"
	"github.com/livetryon/server/pkg/vp8"
)

// receivingVideo counts the answer's video m-lines on which the server
// receives: a port other than 0, and recvonly or sendrecv.
func receivingVideo(t *testing.T, answer string) (receiving, all int) {
	t.Helper()
	var d sdp.SessionDescription
	if err := d.UnmarshalString(answer); err != nil {
		t.Fatal(err)
	}
	for _, m := range d.MediaDescriptions {
		if m.MediaName.Media != "video" {
			continue
		}
		all++
		if m.MediaName.Port.Value == 0 {
			continue
		}
		for _, a := range m.Attributes {
			if a.Key == "recvonly" || a.Key == "sendrecv" {
				receiving++
			}
		}
	}
	return receiving, all
}

// An offer with 8 camera tracks, all sending: the answer receives on one
// video m-line, the server runs one decoder, and the processed video
// comes back. The peer is hostile: it reads the refused m-lines as
// accepted and sends on all 8 tracks, as the server can never stop a peer
// doing.
func TestOneDecoderForManyTracks(t *testing.T) {
	s, base := newServer(t, webrtc.Options{})
	c := newPeerClient(t)
	c.addTracks(t, 7)
	c.mungeAnswer = func(sdp string) string { return strings.ReplaceAll(sdp, "a=inactive", "a=recvonly") }
	c.connect(t, base, false)
	receiving, all := receivingVideo(t, c.answer)
	if all != 8 || receiving != 1 {
		t.Errorf("the answer has %d video m-lines, %d of them receiving; want 8 and 1:\n%s", all, receiving, c.answer)
	}
	stop := make(chan struct{})
	wg := c.camera(t, 0, stop)
	defer func() { close(stop); wg.Wait() }()
	c.waitFrames(t, 15)
	if n := s.Decoders(); n != 1 {
		t.Errorf("%d decoders for one session of 8 tracks", n)
	}
	// What it sends on the 7 refused tracks is dropped as it comes, not
	// kept (pion would hold up to 1 MB of each, never read).
	eventually(t, 10*time.Second, func() bool { return s.RefusedPackets() > 0 },
		func() string { return "no packet of the 7 refused tracks was discarded" })
	t.Logf("%d packets of the refused tracks discarded", s.RefusedPackets())
}

// metricsValue reads one sample of a /metrics page.
func metricsValue(t *testing.T, url, sample string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return f
		}
	}
	return 0
}

// keyFrame encodes one grey key frame of w x h.
func keyFrame(t *testing.T, w, h int) []byte {
	t.Helper()
	enc, err := vp8.NewEncoder(w, h, vp8.EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	img := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(128, 128, 128, 0), h, w, gocv.MatTypeCV8UC3)
	defer img.Close()
	frame, key, err := enc.Encode(nil, img, 0, time.Second/30, true)
	if err != nil || !key {
		t.Fatalf("encode %dx%d: key %v, %v", w, h, key, err)
	}
	return frame
}

// Camera frames the server will not decode, a real 4096x4096 key frame (over
// 1920x1080 pixels) and one declaring 3x3 (odd sides), sent at 30 a second:
// each is counted as refused in the metrics with its code, the peer gets
// an error on the data channel once a second at most, and good frames
// are processed after them.
func TestBadCameraFramesAreAnswered(t *testing.T) {
	m := metrics.New()
	_, base := newServerCommon(t, client.Common{Observer: m})
	ms := http.NewServeMux()
	ms.Handle("/metrics", m.Handler())
	metricsURL := serve(t, ms) + "/metrics"

	huge := keyFrame(t, 4096, 4096)
	tiny := keyFrame(t, 4, 4)
	tiny[6], tiny[7], tiny[8], tiny[9] = 3, 0, 3, 0 // the header now says 3x3
	if w, h, _ := vp8.KeyframeSize(tiny); w != 3 || h != 3 {
		t.Fatalf("patched frame declares %dx%d", w, h)
	}

	c := newPeerClient(t)
	opened := make(chan struct{})
	c.dc.OnOpen(func() { close(opened) })
	c.connect(t, base, false)
	select {
	case <-opened:
	case <-time.After(20 * time.Second):
		t.Fatal("the data channel did not open")
	}
	for _, tc := range []struct {
		name, code string
		frame      []byte
	}{
		{"4096x4096", "too_many_pixels", huge},
		{"3x3", "decode_failed", tiny},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sample := fmt.Sprintf(`tryon_frames_total{code=%q,outcome="refused",transport="webrtc"}`, tc.code)
			errorsBefore := len(c.eventsOf("error"))
			start := time.Now()
			const sent = 75 // 2.5 s at 30 fps
			tick := time.NewTicker(time.Second / 30)
			for range sent {
				<-tick.C
				c.track.WriteSample(media.Sample{Data: tc.frame, Duration: time.Second / 30})
			}
			tick.Stop()
			var refused float64
			eventually(t, 10*time.Second, func() bool {
				refused = metricsValue(t, metricsURL, sample)
				return refused >= sent/2
			}, func() string { return fmt.Sprintf("%s = %v after %d frames", sample, refused, sent) })
			time.Sleep(300 * time.Millisecond) // the last error, if any, on its way
			errs := c.eventsOf("error")[errorsBefore:]
			elapsed := time.Since(start).Seconds()
			if len(errs) == 0 || float64(len(errs)) > elapsed+1 {
				t.Fatalf("%d error events in %.1f s for %v refused frames: want 1 to one a second", len(errs), elapsed, refused)
			}
			var body struct{ Code, Message string }
			json.Unmarshal(errs[0].Data, &body)
			if body.Code != tc.code {
				t.Errorf("error %+v, want code %s", body, tc.code)
			}
			t.Logf("%d frames sent, %v counted refused, %d error events in %.1f s: %s", sent, refused, len(errs), elapsed, body.Message)
		})
	}
	// A good camera after them is served.
	stop := make(chan struct{})
	wg := c.camera(t, 0, stop)
	c.waitFrames(t, 5)
	close(stop)
	wg.Wait()
}

// A peer that hangs up while its camera still sends is logged at info,
// with no warning: nothing it sent after is refused as "the server is
// stopping".
func TestHangUpIsInfo(t *testing.T) {
	var logs syncBuffer
	s, base := newServerCommon(t, client.Common{Logger: zerolog.New(&logs).Level(zerolog.DebugLevel)})
	const hangUps = 5 // the old race showed on one in three to nine
	for i := range hangUps {
		c := newPeerClient(t)
		c.connect(t, base, false)
		stop := make(chan struct{})
		wg := c.camera(t, 0, stop)
		c.waitFrames(t, 10)
		c.pc.Close() // the camera goes on writing into the closed connection a little
		eventually(t, 15*time.Second, func() bool { return s.Sessions() == 0 && s.Decoders() == 0 }, func() string {
			return fmt.Sprintf("session %d: %d sessions, %d decoders after the hang-up", i+1, s.Sessions(), s.Decoders())
		})
		time.Sleep(200 * time.Millisecond)
		close(stop)
		wg.Wait()
	}
	infos := 0
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l struct{ Level, Message string }
		json.Unmarshal([]byte(line), &l)
		if l.Level == "warn" || l.Level == "error" {
			t.Errorf("a hang-up logged: %s", line)
		}
		if l.Message == "hang up" && l.Level == "info" {
			infos++
		}
	}
	if infos != hangUps {
		t.Errorf("%d hang up lines at info, want %d:\n%s", infos, hangUps, logs.String())
	}
}

func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return hs.URL
}

// Every packet of the processed video asks the browser for no playout
// delay: Chromium then paints each frame as it is decoded, where it used to
// drop frames that came within a screen refresh of the one before (22 to
// 24.5 of 30 frames a second shown; docs/BENCHMARKS.md, issue 25).
func TestProcessedVideoHasNoPlayoutDelay(t *testing.T) {
	_, base := newServer(t, webrtc.Options{})
	c := newPeerClient(t)
	c.connect(t, base, false)
	stop := make(chan struct{})
	wg := c.camera(t, 0, stop)
	c.waitFrames(t, 10)
	close(stop)
	wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	t.Logf("%d of %d packets with a playout delay of 0 to 0", c.zeroDelay, c.packets)
	if c.packets == 0 || c.zeroDelay != c.packets {
		t.Errorf("%d of %d packets of the processed video carry a playout delay of 0 to 0; want all", c.zeroDelay, c.packets)
	}
}
