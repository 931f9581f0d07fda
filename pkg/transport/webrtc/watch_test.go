package webrtc_test

import (
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/transport/webrtc"
)

// A WebRTC session's watch stream is JPEG at the server's --jpeg-quality,
// as every other transport's answers (it was fixed at 80).
func TestWatchFollowsJPEGQuality(t *testing.T) {
	for _, quality := range []int{30, 95} {
		cfg := pipeline.DefaultConfig()
		cfg.JPEGQuality = quality
		_, base := newServerWith(t, cfg, client.Common{}, webrtc.Options{})
		c := newPeerClient(t)
		c.connect(t, base, false)
		stop := make(chan struct{})
		wg := c.camera(t, 0, stop)
		c.waitFrames(t, 5)
		jpg := watchPicture(t, base+watchPath(t, c))
		close(stop)
		wg.Wait()
		// libjpeg scales its luminance table by the quality: its first
		// entry, 16 at quality 50, is what the quality made of it.
		scale := 200 - 2*quality
		if quality < 50 {
			scale = 5000 / quality
		}
		want := max(1, min(255, (16*scale+50)/100))
		if got := firstLumaQuant(jpg); got != want {
			t.Errorf("--jpeg-quality %d: the watch JPEG's first luminance quantizer is %d, want %d", quality, got, want)
		}
	}
}

// watchPath is the watch link of the client's session event.
func watchPath(t *testing.T, c *peerClient) string {
	t.Helper()
	var path string
	eventually(t, 20*time.Second, func() bool {
		for _, e := range c.eventsOf("session") {
			var info client.SessionInfo
			json.Unmarshal(e.Data, &info)
			path = info.Watch
		}
		return path != ""
	}, func() string { return "no session event with a watch link" })
	return path
}

// watchPicture reads the first JPEG of a watch stream.
func watchPicture(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("watch answered %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	part, err := multipart.NewReader(resp.Body, params["boundary"]).NextPart()
	if err != nil {
		t.Fatal(err)
	}
	jpg, _ := io.ReadAll(part)
	return jpg
}

// firstLumaQuant is the first entry of a JPEG's first quantization table
// (DQT), or -1.
func firstLumaQuant(jpg []byte) int {
	for i := 2; i+5 < len(jpg); {
		if jpg[i] != 0xff {
			return -1
		}
		marker, n := jpg[i+1], int(jpg[i+2])<<8|int(jpg[i+3])
		if marker == 0xdb {
			return int(jpg[i+5]) // after the length and the table's precision and id
		}
		i += 2 + n
	}
	return -1
}
