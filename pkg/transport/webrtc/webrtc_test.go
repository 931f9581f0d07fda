package webrtc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	pion "github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
	"github.com/rs/zerolog"
	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/frameid"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/landmarks"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/transport/webrtc"
	"github.com/livetryon/server/pkg/vp8"
	"github.com/livetryon/server/pkg/watch"
)

// syncBuffer is a log sink a test reads while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The processed video's bitrate follows the congestion controller's
// estimate, fed by the peer's transport-wide feedback: on loopback it
// moves from where it started within seconds (up, unless the machine is
// so busy that delays grow, and then down: either way it moves).
func TestBitrateFollowsCongestionControl(t *testing.T) {
	var logs syncBuffer
	_, base := newServerCommon(t, client.Common{Logger: zerolog.New(&logs).Level(zerolog.DebugLevel)})
	c := newPeerClient(t)
	c.connect(t, base, false)
	stop := make(chan struct{})
	wg := c.camera(t, 0, stop)
	defer func() { close(stop); wg.Wait() }()
	c.waitFrames(t, 5)
	eventually(t, 20*time.Second, func() bool { return strings.Contains(logs.String(), "bitrate follows congestion control") }, func() string {
		return "the encoder's bitrate never changed in 20 s of video"
	})
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "bitrate follows") {
			t.Logf("%s", line)
			break
		}
	}
}

func newServer(t *testing.T, opts webrtc.Options) (*webrtc.Server, string) {
	t.Helper()
	return newServerWith(t, pipeline.DefaultConfig(), client.Common{}, opts)
}

// newServerCommon is newServer whose clients share common (a logger, an
// observer).
func newServerCommon(t *testing.T, common client.Common) (*webrtc.Server, string) {
	t.Helper()
	return newServerWith(t, pipeline.DefaultConfig(), common, webrtc.Options{})
}

// newServerWith is newServer on an engine of cfg, its clients sharing
// common, with lipstick on and a watch stream each.
func newServerWith(t *testing.T, cfg pipeline.Config, common client.Common, opts webrtc.Options) (*webrtc.Server, string) {
	t.Helper()
	engine, err := pipeline.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { engine.Close(context.Background()) })
	common.Effects = func() []effects.Effect { return []effects.Effect{effects.DefaultLipstick} }
	hub := watch.NewHub(watch.DefaultLimits, zerolog.Nop())
	t.Cleanup(hub.Close)
	common.OpenStream = hub.OpenStream
	clients := client.NewHub(engine, common)
	t.Cleanup(func() {
		if err := clients.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	s, err := webrtc.New(clients, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	mux := http.NewServeMux()
	mux.Handle("/api/v1/webrtc/", s.Handler())
	mux.Handle("/watch/", hub.Handler())
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return s, hs.URL
}

// peerClient is the browser's side, played by pion: a VP8 camera track
// from the portrait with frame numbers stamped in, a data channel, and
// the processed track decoded as it arrives.
type peerClient struct {
	pc    *pion.PeerConnection
	track *pion.TrackLocalStaticSample
	extra []*pion.TrackLocalStaticSample // more camera tracks, sent the same frames
	dc    *pion.DataChannel

	mu     sync.Mutex
	ids    []int // frame numbers read back from the processed video, in order
	last   gocv.Mat
	closed bool // last is closed: the track's reader may outlive pc.Close
	events []envelope
	lip    *image.Point // from the landmarks event
	got    chan struct{}
	answer string // the server's SDP
	// packets of the processed track received, and of those the ones
	// that carry a playout delay of 0 to 0
	packets, zeroDelay int
	// mungeAnswer, if set, changes the server's answer before it is
	// applied: a hostile peer's way to send on what the server refused.
	mungeAnswer func(sdp string) string
}

const playoutDelayURI = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"

type envelope struct {
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"`
}

func newPeerClient(t *testing.T) *peerClient {
	t.Helper()
	m := &pion.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	// Offered as Chromium offers it.
	if err := m.RegisterHeaderExtension(pion.RTPHeaderExtensionCapability{URI: playoutDelayURI}, pion.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	// pion's default interceptors, as a browser has its own: NACK, RTCP
	// reports, and transport-wide congestion control feedback.
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
	c := &peerClient{pc: pc, last: gocv.NewMat(), got: make(chan struct{}, 1000)}
	t.Cleanup(func() {
		pc.Close()
		c.mu.Lock()
		c.closed = true
		c.last.Close()
		c.mu.Unlock()
	})
	c.track, err = pion.NewTrackLocalStaticSample(pion.RTPCodecCapability{MimeType: pion.MimeTypeVP8}, "camera", "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTrack(c.track); err != nil {
		t.Fatal(err)
	}
	c.dc, err = pc.CreateDataChannel("tryon", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.dc.OnMessage(func(m pion.DataChannelMessage) {
		var env envelope
		if json.Unmarshal(m.Data, &env) != nil {
			t.Errorf("data channel message is not JSON: %q", m.Data)
			return
		}
		c.mu.Lock()
		c.events = append(c.events, env)
		if env.Event == "landmarks" {
			// The protocol's shape: {faces: [{box, points: [[x, y], ...]}]}.
			var l struct {
				Faces []struct{ Points [][2]int }
			}
			if json.Unmarshal(env.Data, &l) == nil && len(l.Faces) == 1 && len(l.Faces[0].Points) == landmarks.NumPoints {
				var f landmarks.Face
				for i, p := range l.Faces[0].Points {
					f.Points[i] = image.Pt(p[0], p[1])
				}
				lip := testmedia.LipPoint(f)
				c.lip = &lip
			}
		}
		c.mu.Unlock()
	})
	pc.OnTrack(func(remote *pion.TrackRemote, receiver *pion.RTPReceiver) {
		var playoutID uint8
		for _, h := range receiver.GetParameters().HeaderExtensions {
			if h.URI == playoutDelayURI {
				playoutID = uint8(h.ID)
			}
		}
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
			var delay rtp.PlayoutDelayExtension
			c.mu.Lock()
			c.packets++
			if b := pkt.GetExtension(playoutID); playoutID != 0 && b != nil && delay.Unmarshal(b) == nil && delay == (rtp.PlayoutDelayExtension{}) {
				c.zeroDelay++
			}
			c.mu.Unlock()
			sb.Push(pkt)
			for s := sb.Pop(); s != nil; s = sb.Pop() {
				if dec.Decode(s.Data, &img) != nil {
					continue
				}
				id, ok := frameid.ReadImage(img)
				c.mu.Lock()
				if ok {
					c.ids = append(c.ids, id)
				}
				if !c.closed {
					img.CopyTo(&c.last)
				}
				c.mu.Unlock()
				select {
				case c.got <- struct{}{}:
				default:
				}
			}
		}
	})
	return c
}

// connect posts the offer, JSON or WHIP, and applies the answer.
func (c *peerClient) connect(t *testing.T, base string, whip bool) string {
	t.Helper()
	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := pion.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	sdp := c.pc.LocalDescription().SDP
	var resp *http.Response
	if whip {
		resp, err = http.Post(base+"/api/v1/webrtc/offer", "application/sdp", strings.NewReader(sdp))
	} else {
		body, _ := json.Marshal(map[string]any{"sdp": sdp, "type": "offer", "config": map[string]any{"landmarks": true}})
		resp, err = http.Post(base+"/api/v1/webrtc/offer", "application/json", bytes.NewReader(body))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var answer struct{ SDP, Type, ID string }
	switch {
	case whip && resp.StatusCode == http.StatusCreated && resp.Header.Get("Content-Type") == "application/sdp":
		answer.SDP, answer.Type = string(raw), "answer"
		answer.ID = strings.TrimPrefix(resp.Header.Get("Location"), "/api/v1/webrtc/sessions/")
	case !whip && resp.StatusCode == http.StatusOK:
		if err := json.Unmarshal(raw, &answer); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("offer answered %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), raw)
	}
	c.answer = answer.SDP
	if c.mungeAnswer != nil {
		answer.SDP = c.mungeAnswer(answer.SDP)
	}
	if err := c.pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: answer.SDP}); err != nil {
		t.Fatal(err)
	}
	return answer.ID
}

// camera sends the portrait at 30 fps, numbered from first, until stop.
func (c *peerClient) camera(t *testing.T, first int, stop <-chan struct{}) *sync.WaitGroup {
	t.Helper()
	src, err := cvjpeg.Decode(testmedia.WebcamJPEG(t))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := vp8.NewEncoder(640, 480, vp8.EncoderOptions{Bitrate: 1_500_000, KeyframeInterval: 30})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer src.Close()
		defer enc.Close()
		tick := time.NewTicker(time.Second / 30)
		defer tick.Stop()
		pic := gocv.NewMat()
		defer pic.Close()
		for i := first; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			src.CopyTo(&pic)
			frameid.Stamp(&pic, i)
			frame, _, err := enc.Encode(nil, pic, time.Duration(i)*time.Second/30, time.Second/30, false)
			if err != nil {
				t.Error(err)
				return
			}
			c.track.WriteSample(media.Sample{Data: frame, Duration: time.Second / 30})
			for _, x := range c.extra {
				x.WriteSample(media.Sample{Data: frame, Duration: time.Second / 30})
			}
		}
	}()
	return &wg
}

// addTracks gives the peer n more camera tracks, before connect.
func (c *peerClient) addTracks(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		tr, err := pion.NewTrackLocalStaticSample(pion.RTPCodecCapability{MimeType: pion.MimeTypeVP8}, fmt.Sprintf("camera%d", i+2), fmt.Sprintf("test%d", i+2))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.pc.AddTrack(tr); err != nil {
			t.Fatal(err)
		}
		c.extra = append(c.extra, tr)
	}
}

// eventsOf returns the data channel events named so, in order.
func (c *peerClient) eventsOf(name string) []envelope {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []envelope
	for _, e := range c.events {
		if e.Event == name {
			out = append(out, e)
		}
	}
	return out
}

func (c *peerClient) waitFrames(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		c.mu.Lock()
		have := len(c.ids)
		c.mu.Unlock()
		if have >= n {
			return
		}
		select {
		case <-c.got:
		case <-deadline:
			t.Fatalf("only %d processed frames came back in 30 s", have)
		}
	}
}

func (c *peerClient) sendConfig(t *testing.T, config string) {
	t.Helper()
	if err := c.dc.SendText(`{"event":"config","data":` + config + `}`); err != nil {
		t.Fatal(err)
	}
}

// A pion peer sends the portrait as VP8 at 30 fps: the processed track
// comes back with the lips recoloured and the frame numbers only
// increasing; a config on the data channel changes the colour; everything
// is freed when the peer hangs up.
func TestPeerRoundTrip(t *testing.T) {
	liveCodecs := vp8.Live()
	s, base := newServer(t, webrtc.Options{})
	goroutines := runtime.NumGoroutine()
	c := newPeerClient(t)
	opened := make(chan struct{})
	c.dc.OnOpen(func() { close(opened) })
	c.connect(t, base, false)
	stop := make(chan struct{})
	wg := c.camera(t, 0, stop)
	select {
	case <-opened:
	case <-time.After(20 * time.Second):
		t.Fatal("the data channel did not open")
	}
	c.waitFrames(t, 30)

	orig, _ := cvjpeg.Decode(testmedia.WebcamJPEG(t))
	defer orig.Close()
	c.mu.Lock()
	lipAt := c.lip
	c.mu.Unlock()
	if lipAt == nil {
		t.Fatal("no landmarks event with one face on the data channel")
	}
	lip := *lipAt
	redness := func() int {
		c.mu.Lock()
		defer c.mu.Unlock()
		return testmedia.Redness(c.last, lip)
	}
	if got, was := redness(), testmedia.Redness(orig, lip); got <= was+10 {
		t.Errorf("lip at %v: redness %d in the processed video, %d in the camera's", lip, got, was)
	}

	// The session can be watched as MJPEG, as every transport's can.
	watchPath := ""
	c.mu.Lock()
	for _, e := range c.events {
		if e.Event == "session" {
			var info client.SessionInfo
			json.Unmarshal(e.Data, &info)
			watchPath = info.Watch
		}
	}
	c.mu.Unlock()
	if !strings.HasPrefix(watchPath, "/watch/") {
		t.Fatalf("session event names no watch link: %q", watchPath)
	}
	checkWatch(t, base+watchPath)

	// Blue lipstick, by a config message on the data channel: bluer than
	// the red lips of now by far (a red tint alone makes the lips a little
	// bluer than bare ones, by the green it takes away).
	c.mu.Lock()
	red := testmedia.Blueness(c.last, lip)
	c.mu.Unlock()
	c.sendConfig(t, `{"effects":[{"name":"lipstick","color":"#1030d0","strength":0.8}]}`)
	blue := false
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !blue; {
		<-c.got
		c.mu.Lock()
		blue = testmedia.Blueness(c.last, lip) > red+40
		c.mu.Unlock()
	}
	if !blue {
		t.Error("the lips did not turn blue after the config message")
	}
	close(stop)
	wg.Wait()

	c.mu.Lock()
	ids := append([]int(nil), c.ids...)
	var kinds = map[string]int{}
	for _, e := range c.events {
		kinds[e.Event]++
	}
	c.mu.Unlock()
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Fatalf("frame numbers went back: ... %v ...", ids[max(0, i-3):min(len(ids), i+3)])
		}
	}
	t.Logf("%d processed frames back (numbers %d..%d), data channel events %v", len(ids), ids[0], ids[len(ids)-1], kinds)
	if kinds["session"] != 1 || kinds["config"] < 1 || kinds["answer"] == 0 || kinds["landmarks"] == 0 {
		t.Errorf("data channel events %v: want one session, the config replies, answers and landmarks", kinds)
	}

	// Hanging up frees the session, its codecs and its goroutines.
	c.pc.Close()
	eventually(t, 15*time.Second, func() bool { return s.Sessions() == 0 && vp8.Live() == liveCodecs }, func() string {
		return fmt.Sprintf("%d sessions and %d codecs left (%d before)", s.Sessions(), vp8.Live(), liveCodecs)
	})
	http.DefaultClient.CloseIdleConnections()
	eventually(t, 15*time.Second, func() bool { return runtime.NumGoroutine() <= goroutines }, func() string {
		buf := make([]byte, 1<<20)
		return fmt.Sprintf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), goroutines, buf[:runtime.Stack(buf, true)])
	})
}

// WHIP: an application/sdp offer gets 201, the answer and a Location; a
// DELETE there hangs up.
func TestWHIP(t *testing.T) {
	s, base := newServer(t, webrtc.Options{})
	c := newPeerClient(t)
	id := c.connect(t, base, true)
	stop := make(chan struct{})
	wg := c.camera(t, 0, stop)
	c.waitFrames(t, 5)
	close(stop)
	wg.Wait()
	req, _ := http.NewRequest(http.MethodDelete, base+"/api/v1/webrtc/sessions/"+id, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("DELETE answered %d", resp.StatusCode)
	}
	if s.Sessions() != 0 {
		t.Errorf("%d sessions after DELETE", s.Sessions())
	}
	resp, _ = http.DefaultClient.Do(req)
	var refused client.HTTPErrorReply
	json.NewDecoder(resp.Body).Decode(&refused)
	resp.Body.Close()
	// The one table's code for a session that is gone, as on every transport.
	if resp.StatusCode != http.StatusNotFound || refused.Error == nil || refused.Error.Code != client.CodeUnknownSession {
		t.Errorf("a second DELETE answered %d %+v, want 404 unknown_session", resp.StatusCode, refused.Error)
	}
}

// Bad offers get a 4xx with a JSON error and leave nothing behind.
func TestBadOffers(t *testing.T) {
	s, base := newServer(t, webrtc.Options{})
	// An offer with only a data channel: no video.
	pc, _ := pion.NewPeerConnection(pion.Configuration{})
	defer pc.Close()
	pc.CreateDataChannel("x", nil)
	o, _ := pc.CreateOffer(nil)
	noVideo, _ := json.Marshal(map[string]string{"sdp": o.SDP, "type": "offer"})
	for name, c := range map[string]struct {
		ctype, body string
		status      int
	}{
		"not JSON":       {"application/json", "hello", 400},
		"not an offer":   {"application/json", `{"sdp":"v=0","type":"answer"}`, 400},
		"malformed SDP":  {"application/json", `{"sdp":"this is not SDP","type":"offer"}`, 400},
		"malformed WHIP": {"application/sdp", "v=0\r\nnonsense", 400},
		"no video":       {"application/json", string(noVideo), 400},
		"oversized":      {"application/json", `{"sdp":"` + strings.Repeat("a", 100<<10) + `","type":"offer"}`, 413},
	} {
		resp, err := http.Post(base+"/api/v1/webrtc/offer", c.ctype, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if resp.StatusCode != c.status || json.Unmarshal(raw, &e) != nil || e.Error.Code == "" {
			t.Errorf("%s: %d %s, want %d with a JSON error", name, resp.StatusCode, raw, c.status)
		} else {
			t.Logf("%s: %d %s: %s", name, resp.StatusCode, e.Error.Code, e.Error.Message)
		}
	}
	if s.Sessions() != 0 {
		t.Errorf("%d sessions after bad offers", s.Sessions())
	}
}

// A peer that never connects (its offer answered, its ICE never started)
// is closed after the timeout, with nothing left behind.
func TestNeverConnectedIsClosed(t *testing.T) {
	liveCodecs := vp8.Live()
	s, base := newServer(t, webrtc.Options{ConnectTimeout: time.Second})
	c := newPeerClient(t)
	offer, _ := c.pc.CreateOffer(nil)
	gathered := pion.GatheringCompletePromise(c.pc)
	c.pc.SetLocalDescription(offer)
	<-gathered
	body, _ := json.Marshal(map[string]string{"sdp": c.pc.LocalDescription().SDP, "type": "offer"})
	resp, err := http.Post(base+"/api/v1/webrtc/offer", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || s.Sessions() != 1 {
		t.Fatalf("offer answered %d with %d sessions", resp.StatusCode, s.Sessions())
	}
	// The answer is never applied: no ICE ever reaches the server.
	eventually(t, 10*time.Second, func() bool { return s.Sessions() == 0 && vp8.Live() == liveCodecs }, func() string {
		return fmt.Sprintf("%d sessions, %d codecs", s.Sessions(), vp8.Live())
	})
}

func eventually(t *testing.T, within time.Duration, ok func() bool, why func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal(why())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkWatch reads two pictures of a watch stream: JPEGs of the processed
// video, with the camera's frame numbers, the second newer.
func checkWatch(t *testing.T, url string) {
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
	mr := multipart.NewReader(resp.Body, params["boundary"])
	last := -1
	for i := 0; i < 2; i++ {
		part, err := mr.NextPart()
		if err != nil {
			t.Fatalf("watch stream part %d: %v", i, err)
		}
		jpg, _ := io.ReadAll(part)
		id, ok := frameid.Read(jpg)
		if !ok || id <= last {
			t.Fatalf("watch stream part %d: frame %d (ok %v) after %d", i, id, ok, last)
		}
		last = id
	}
}

// The page gets the server's STUN and TURN servers in RTCConfiguration's
// shape.
func TestICEServersForThePage(t *testing.T) {
	_, base := newServer(t, webrtc.Options{ICEServers: []pion.ICEServer{
		{URLs: []string{"stun:stun.example.com:3478"}},
		{URLs: []string{"turn:turn.example.com:3478"}, Username: "alice", Credential: "s3cret"},
	}})
	resp, err := http.Get(base + "/api/v1/webrtc/ice-servers")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		ICEServers []struct {
			URLs       []string `json:"urls"`
			Username   string   `json:"username"`
			Credential string   `json:"credential"`
		} `json:"iceServers"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if len(got.ICEServers) != 2 || got.ICEServers[0].URLs[0] != "stun:stun.example.com:3478" ||
		got.ICEServers[1].Username != "alice" || got.ICEServers[1].Credential != "s3cret" {
		t.Errorf("ICE servers %+v", got)
	}
}

// With --webrtc-udp-port every session's media goes through that one
// port: each candidate the server offers has it, and frames flow; with
// --webrtc-ports, the candidates' ports are in the range.
func TestUDPPorts(t *testing.T) {
	free := func() int {
		conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.LocalAddr().(*net.UDPAddr).Port
	}
	port := free()
	for _, tc := range []struct {
		name     string
		opts     webrtc.Options
		min, max int
	}{
		{"one port", webrtc.Options{UDPPort: port}, port, port},
		{"a range", webrtc.Options{PortMin: 40000, PortMax: 40100}, 40000, 40100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, base := newServer(t, tc.opts)
			for range 2 { // two sessions: with one port, they share it
				c := newPeerClient(t)
				c.connect(t, base, true)
				n := 0
				for _, line := range strings.Split(c.answer, "\n") {
					if !strings.HasPrefix(line, "a=candidate:") {
						continue
					}
					f := strings.Fields(line)
					p, _ := strconv.Atoi(f[5])
					if f[2] == "udp" || f[2] == "UDP" {
						n++
						if p < tc.min || p > tc.max {
							t.Errorf("candidate port %d, want %d to %d: %s", p, tc.min, tc.max, line)
						}
					}
				}
				if n == 0 {
					t.Fatalf("no UDP candidate in the answer:\n%s", c.answer)
				}
				stop := make(chan struct{})
				wg := c.camera(t, 0, stop)
				c.waitFrames(t, 5)
				close(stop)
				wg.Wait()
			}
		})
	}
}
