package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp/codecs"
	pion "github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/frameid"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/vp8"
)

// rtcSession is the conformance suite's WebRTC session: a pion peer, as
// pkg/transport/webrtc's tests play the browser, with a VP8 camera track
// whose frames carry their number (internal/frameid), a data channel, and
// the processed track decoded as it comes.
type rtcSession struct {
	pc       *pion.PeerConnection
	track    *pion.TrackLocalStaticSample
	dc       *pion.DataChannel
	enc      *vp8.Encoder
	src      gocv.Mat
	mu       sync.Mutex // the encoder, src and current
	current  []byte     // the frame the camera repeats
	stop     chan struct{}
	camera   sync.WaitGroup
	outcomes chan outcome
	configs  chan string
	ended    chan string
	once     sync.Once
}

func openRTC(t *testing.T, base string) sessionClient {
	t.Helper()
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
	src, err := cvjpeg.Decode(testmedia.WebcamJPEG(t))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := vp8.NewEncoder(src.Cols(), src.Rows(), vp8.EncoderOptions{Bitrate: 1_500_000})
	if err != nil {
		t.Fatal(err)
	}
	c := &rtcSession{pc: pc, enc: enc, src: src, outcomes: make(chan outcome, 1000), configs: make(chan string, 10), ended: make(chan string, 1),
		stop: make(chan struct{})}
	if c.track, err = pion.NewTrackLocalStaticSample(pion.RTPCodecCapability{MimeType: pion.MimeTypeVP8}, "camera", "conformance"); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTrack(c.track); err != nil {
		t.Fatal(err)
	}
	if c.dc, err = pc.CreateDataChannel("tryon", nil); err != nil {
		t.Fatal(err)
	}
	opened := make(chan struct{})
	c.dc.OnOpen(func() { close(opened) })
	c.dc.OnClose(func() { c.end("closed: the data channel") })
	c.dc.OnMessage(func(msg pion.DataChannelMessage) {
		var env struct {
			Event string
			Data  json.RawMessage
		}
		json.Unmarshal(msg.Data, &env)
		var d struct {
			Code  string
			Error *struct{ Code string }
		}
		json.Unmarshal(env.Data, &d)
		switch env.Event {
		case "config":
			code := ""
			if d.Error != nil {
				code = d.Error.Code
			}
			c.configs <- code
		case "error":
			if d.Code == "shutting_down" {
				c.end("shutting_down")
				return
			}
			c.outcomes <- outcome{0, d.Code}
		}
	})
	pc.OnConnectionStateChange(func(s pion.PeerConnectionState) {
		if s == pion.PeerConnectionStateClosed || s == pion.PeerConnectionStateFailed || s == pion.PeerConnectionStateDisconnected {
			c.end("closed: " + s.String())
		}
	})
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
		last := 0
		for {
			pkt, _, err := remote.ReadRTP()
			if err != nil {
				return
			}
			sb.Push(pkt)
			for s := sb.Pop(); s != nil; s = sb.Pop() {
				if dec.Decode(s.Data, &img) != nil {
					continue
				}
				// The encoder may repeat a picture; each frame is told once.
				if id, ok := frameid.ReadImage(img); ok && id != last {
					last = id
					c.outcomes <- outcome{id, ""}
				}
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
	body, _ := json.Marshal(map[string]any{"sdp": pc.LocalDescription().SDP, "type": "offer"})
	resp, err := http.Post(base+"/api/v1/webrtc/offer", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var answer struct{ SDP string }
	json.NewDecoder(resp.Body).Decode(&answer)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("offer answered %d", resp.StatusCode)
	}
	if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: answer.SDP}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-opened:
	case <-time.After(20 * time.Second):
		t.Fatal("the data channel did not open")
	}
	// A camera never sends one frame alone: it repeats the newest picture
	// at 30 fps, and each side's sample builder closes a frame when the
	// next one begins.
	c.camera.Add(1)
	go func() {
		defer c.camera.Done()
		tick := time.NewTicker(time.Second / 30)
		defer tick.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-tick.C:
			}
			c.mu.Lock()
			frame := c.current
			c.mu.Unlock()
			if frame != nil {
				c.track.WriteSample(media.Sample{Data: frame, Duration: time.Second / 30})
			}
		}
	}()
	return c
}

// show makes frame the camera's picture, and sends it at once.
func (c *rtcSession) show(frame []byte) {
	c.mu.Lock()
	c.current = frame
	c.mu.Unlock()
	c.track.WriteSample(media.Sample{Data: frame, Duration: time.Second / 30})
}

func (c *rtcSession) end(how string) { c.once.Do(func() { c.ended <- how }) }

func (c *rtcSession) Configure(t *testing.T, config string) string {
	if err := c.dc.SendText(`{"event":"config","data":` + config + `}`); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-c.configs:
		return code
	case <-time.After(20 * time.Second):
		t.Fatal("no config reply")
	}
	return ""
}

// Send encodes the picture numbered id as a key frame (a session may
// start, or go on after a refused frame, at any of them).
func (c *rtcSession) Send(t *testing.T, id int) {
	c.mu.Lock()
	pic := c.src.Clone()
	frameid.Stamp(&pic, id)
	frame, _, err := c.enc.Encode(nil, pic, time.Duration(id)*time.Second/30, time.Second/30, true)
	pic.Close()
	c.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	c.show(frame)
}

// SendBad sends a key frame whose header declares 3x3 pixels: odd sides,
// which no decoder is given.
func (c *rtcSession) SendBad(t *testing.T, id int) {
	enc, err := vp8.NewEncoder(4, 4, vp8.EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	img := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(128, 128, 128, 0), 4, 4, gocv.MatTypeCV8UC3)
	defer img.Close()
	frame, _, err := enc.Encode(nil, img, 0, time.Second/30, true)
	if err != nil {
		t.Fatal(err)
	}
	frame[6], frame[7], frame[8], frame[9] = 3, 0, 3, 0
	c.show(frame)
}

func (c *rtcSession) Outcomes() <-chan outcome { return c.outcomes }
func (c *rtcSession) Stall() bool              { return false }
func (c *rtcSession) Ended(t *testing.T, within time.Duration) string {
	select {
	case how := <-c.ended:
		return how
	case <-time.After(within):
		return "not ended"
	}
}
func (c *rtcSession) Close() {
	close(c.stop)
	c.camera.Wait()
	c.pc.Close()
	c.mu.Lock()
	c.enc.Close()
	c.src.Close()
	c.mu.Unlock()
}
