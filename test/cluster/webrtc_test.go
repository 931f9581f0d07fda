package cluster_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp/codecs"
	pion "github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/clustertest"
	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/vp8"
)

// webrtcSessions is a node's webrtc_sessions, read from its own
// /api/v1/stats (not through nginx).
func webrtcSessions(t *testing.T, n clustertest.Node) int {
	t.Helper()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(n.URL + "/api/v1/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s struct {
		WebRTCSessions *int `json:"webrtc_sessions"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || s.WebRTCSessions == nil {
		t.Fatalf("%s /api/v1/stats: %v, no webrtc_sessions", n.ID, err)
	}
	return *s.WebRTCSessions
}

// TestClusterWebRTCThroughNginx: a real pion peer, playing the browser,
// does WHIP through the cluster's nginx from one loopback address: the
// application/sdp offer is answered 201 with a Location and the X-Node
// of the node that holds the session (that node's /api/v1/stats counts
// one WebRTC session, the others none); processed video comes back on
// the returned track and decodes; DELETE of the Location through nginx
// reaches the same node and hangs up (204), and a second DELETE answers
// 404 unknown_session there. Only the signalling goes through nginx: the
// media (ICE, DTLS, RTP) goes straight between the peer and the node's
// own UDP port on loopback, as in a deployment where the nodes' UDP
// ports are open to clients (docs/DEPLOY.md, "Several nodes").
func TestClusterWebRTCThroughNginx(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{})
	hc := clientFrom(t, "127.0.0.23")

	m := &pion.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	reg := &interceptor.Registry{}
	if err := pion.RegisterDefaultInterceptors(m, reg); err != nil {
		t.Fatal(err)
	}
	se := pion.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	api := pion.NewAPI(pion.WithMediaEngine(m), pion.WithSettingEngine(se), pion.WithInterceptorRegistry(reg))
	pc, err := api.NewPeerConnection(pion.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()

	// The camera: a face from testdata, encoded with pkg/vp8.
	src, err := cvjpeg.Decode(testmedia.WebcamJPEG(t))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	enc, err := vp8.NewEncoder(src.Cols(), src.Rows(), vp8.EncoderOptions{Bitrate: 1_500_000})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	track, err := pion.NewTrackLocalStaticSample(pion.RTPCodecCapability{MimeType: pion.MimeTypeVP8}, "camera", "cluster")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTrack(track); err != nil {
		t.Fatal(err)
	}

	// The processed track: count the frames that decode.
	var mu sync.Mutex
	decoded, packets := 0, 0
	gotVideo := make(chan struct{})
	var once sync.Once
	pc.OnTrack(func(remote *pion.TrackRemote, _ *pion.RTPReceiver) {
		dec, err := vp8.NewDecoder(1920, 1920, 1920*1080)
		if err != nil {
			t.Error(err)
			return
		}
		defer dec.Close()
		sb := samplebuilder.New(128, &codecs.VP8Packet{}, 90000)
		img := gocv.NewMat()
		defer img.Close()
		for {
			pkt, _, err := remote.ReadRTP()
			if err != nil {
				return
			}
			mu.Lock()
			packets++
			mu.Unlock()
			sb.Push(pkt)
			for s := sb.Pop(); s != nil; s = sb.Pop() {
				if dec.Decode(s.Data, &img) != nil || img.Empty() {
					continue
				}
				mu.Lock()
				decoded++
				if decoded >= 5 {
					once.Do(func() { close(gotVideo) })
				}
				mu.Unlock()
			}
		}
	})

	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := pion.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered

	// WHIP: POST the SDP offer to nginx.
	req, _ := http.NewRequest("POST", c.URL+"/api/v1/webrtc/offer", strings.NewReader(pc.LocalDescription().SDP))
	req.Header.Set("Content-Type", "application/sdp")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("WHIP offer through nginx: %d %s, want 201", resp.StatusCode, answer)
	}
	location, node := resp.Header.Get("Location"), resp.Header.Get("X-Node")
	if !strings.HasPrefix(location, "/api/v1/webrtc/sessions/") {
		t.Fatalf("Location %q, want /api/v1/webrtc/sessions/{id}", location)
	}
	if node == "" {
		t.Fatal("the WHIP answer has no X-Node header")
	}
	holder := c.Node(node)
	if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		t.Fatal(err)
	}

	// A camera repeats its picture at 30 fps, a key frame now and then.
	stop := make(chan struct{})
	var camera sync.WaitGroup
	camera.Add(1)
	go func() {
		defer camera.Done()
		tick := time.NewTicker(time.Second / 30)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			frame, _, err := enc.Encode(nil, src, time.Duration(i)*time.Second/30, time.Second/30, i%30 == 0)
			if err != nil {
				t.Error(err)
				return
			}
			track.WriteSample(media.Sample{Data: frame, Duration: time.Second / 30})
		}
	}()
	defer func() { close(stop); camera.Wait() }()

	select {
	case <-gotVideo:
	case <-time.After(30 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("no processed video from %s: %d RTP packets, %d frames decoded (ICE %s)", node, packets, decoded, pc.ICEConnectionState())
	}

	mu.Lock()
	t.Logf("WHIP through nginx: 201 from %s, Location %s; %d RTP packets, %d frames decoded back", node, location, packets, decoded)
	mu.Unlock()

	// The session is held by the node that X-Node names, and only there.
	for _, n := range c.Nodes {
		want := 0
		if n.ID == holder.ID {
			want = 1
		}
		if got := webrtcSessions(t, n); got != want {
			t.Errorf("%s holds %d WebRTC sessions, want %d (X-Node %s)", n.ID, got, want, node)
		}
	}

	// Hang up through nginx: the DELETE reaches the same node.
	del := func() (int, string, string) {
		req, _ := http.NewRequest("DELETE", c.URL+location, nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e struct {
			Error struct{ Code string }
			Code  string
		}
		b, _ := io.ReadAll(resp.Body)
		json.Unmarshal(b, &e)
		code := e.Code
		if code == "" {
			code = e.Error.Code
		}
		return resp.StatusCode, resp.Header.Get("X-Node"), code
	}
	if status, got, _ := del(); status != http.StatusNoContent || got != node {
		t.Errorf("DELETE %s through nginx: %d on %s, want 204 on %s", location, status, got, node)
	}
	deadline := time.Now().Add(10 * time.Second)
	for webrtcSessions(t, holder) != 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := webrtcSessions(t, holder); n != 0 {
		t.Errorf("%s still holds %d WebRTC sessions after the DELETE", holder.ID, n)
	}
	if status, got, code := del(); status != http.StatusNotFound || code != "unknown_session" || got != node {
		t.Errorf("second DELETE: %d %q on %s, want 404 unknown_session on %s", status, code, got, node)
	}
}
