// Command rtcattack is a hostile WebRTC peer for the red-team scripts
// (scripts/redteam/webrtc.sh): a pion client that offers --tracks camera
// tracks and sends VP8 on every one of them, or sends frames the server
// must refuse (--frames huge: real 4096x4096 key frames; tiny: key frames
// whose header declares 3x3), then hangs up. It prints one JSON line: what
// the answer accepted, and the data channel's events by name.
//
//	go run ./scripts/redteam/rtcattack --url http://127.0.0.1:9991 --tracks 8 --size 1920x1080 --fps 60 --duration 25s
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/pion/sdp/v3"
	pion "github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/frameid"
	"github.com/livetryon/server/pkg/vp8"
)

type report struct {
	Tracks         int            `json:"tracks_offered"`
	VideoMLines    int            `json:"answer_video_mlines"`
	ReceivingLines int            `json:"answer_receiving_video_mlines"`
	Frames         string         `json:"frames"`
	Size           string         `json:"size"`
	FPS            float64        `json:"fps"`
	FramesSent     int            `json:"frames_sent_per_track"`
	Seconds        float64        `json:"seconds"`
	Events         map[string]int `json:"events"`
	FirstError     string         `json:"first_error,omitempty"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "rtcattack:", err)
		os.Exit(1)
	}
}

func run() error {
	url := flag.String("url", "http://127.0.0.1:9991", "server")
	key := flag.String("key", "", "access key, if the server wants one")
	tracks := flag.Int("tracks", 1, "camera tracks in the offer, all sending")
	kind := flag.String("frames", "camera", "camera (the portrait, encoded at --size), huge (4096x4096 key frames) or tiny (key frames declaring 3x3)")
	size := flag.String("size", "1920x1080", "camera frames' size")
	fps := flag.Float64("fps", 60, "frames a second on each track")
	duration := flag.Duration("duration", 20*time.Second, "how long to send")
	image := flag.String("image", "testdata/obama-480p.jpg", "picture for --frames camera")
	flag.Parse()

	frames, err := makeFrames(*kind, *size, *image)
	if err != nil {
		return err
	}
	se := pion.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	m := &pion.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return err
	}
	pc, err := pion.NewAPI(pion.WithMediaEngine(m), pion.WithSettingEngine(se)).NewPeerConnection(pion.Configuration{})
	if err != nil {
		return err
	}
	defer pc.Close()
	var local []*pion.TrackLocalStaticSample
	for i := range *tracks {
		tr, err := pion.NewTrackLocalStaticSample(pion.RTPCodecCapability{MimeType: pion.MimeTypeVP8}, fmt.Sprintf("cam%d", i), fmt.Sprintf("s%d", i))
		if err != nil {
			return err
		}
		if _, err := pc.AddTrack(tr); err != nil {
			return err
		}
		local = append(local, tr)
	}
	pc.OnTrack(func(t *pion.TrackRemote, _ *pion.RTPReceiver) { // read the processed video and drop it
		for {
			if _, _, err := t.ReadRTP(); err != nil {
				return
			}
		}
	})
	dc, err := pc.CreateDataChannel("tryon", nil)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	rep := report{Tracks: *tracks, Frames: *kind, Size: *size, FPS: *fps, Events: map[string]int{}}
	dc.OnMessage(func(msg pion.DataChannelMessage) {
		var env struct {
			Event string          `json:"event"`
			Data  json.RawMessage `json:"data"`
		}
		json.Unmarshal(msg.Data, &env)
		mu.Lock()
		rep.Events[env.Event]++
		if env.Event == "error" && rep.FirstError == "" {
			rep.FirstError = string(env.Data)
		}
		mu.Unlock()
	})
	opened := make(chan struct{})
	dc.OnOpen(func() { close(opened) })

	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	gathered := pion.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return err
	}
	<-gathered
	body, _ := json.Marshal(map[string]string{"sdp": pc.LocalDescription().SDP, "type": "offer"})
	target := *url + "/api/v1/webrtc/offer"
	if *key != "" {
		target += "?key=" + *key
	}
	resp, err := http.Post(target, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("offer answered %d: %s", resp.StatusCode, raw)
	}
	var answer struct{ SDP, Type string }
	if err := json.Unmarshal(raw, &answer); err != nil {
		return err
	}
	rep.VideoMLines, rep.ReceivingLines = receiving(answer.SDP)
	if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: answer.SDP}); err != nil {
		return err
	}
	select {
	case <-opened:
	case <-time.After(15 * time.Second):
		return fmt.Errorf("the data channel did not open")
	}

	start := time.Now()
	tick := time.NewTicker(time.Duration(float64(time.Second) / *fps))
	defer tick.Stop()
	for i := 0; time.Since(start) < *duration; i++ {
		<-tick.C
		f := frames[i%len(frames)]
		for _, tr := range local {
			tr.WriteSample(media.Sample{Data: f, Duration: time.Duration(float64(time.Second) / *fps)})
		}
		rep.FramesSent++
	}
	time.Sleep(500 * time.Millisecond) // the last answers and errors
	rep.Seconds = time.Since(start).Seconds()
	pc.Close() // a normal hang-up
	mu.Lock()
	defer mu.Unlock()
	return json.NewEncoder(os.Stdout).Encode(rep)
}

// makeFrames encodes the frames to loop: a key frame, then inter frames.
func makeFrames(kind, size, image string) ([][]byte, error) {
	grey := func(w, h int) ([]byte, error) {
		enc, err := vp8.NewEncoder(w, h, vp8.EncoderOptions{})
		if err != nil {
			return nil, err
		}
		defer enc.Close()
		img := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(128, 128, 128, 0), h, w, gocv.MatTypeCV8UC3)
		defer img.Close()
		f, _, err := enc.Encode(nil, img, 0, time.Second/30, true)
		return f, err
	}
	switch kind {
	case "huge":
		f, err := grey(4096, 4096)
		return [][]byte{f}, err
	case "tiny":
		f, err := grey(4, 4)
		if err == nil {
			f[6], f[7], f[8], f[9] = 3, 0, 3, 0 // the header says 3x3
		}
		return [][]byte{f}, err
	case "camera":
	default:
		return nil, fmt.Errorf("--frames %q: camera, huge or tiny", kind)
	}
	var w, h int
	if _, err := fmt.Sscanf(size, "%dx%d", &w, &h); err != nil {
		return nil, fmt.Errorf("--size %q: %v", size, err)
	}
	jpg, err := os.ReadFile(image)
	if err != nil {
		return nil, err
	}
	src, err := cvjpeg.Decode(jpg)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	pic := gocv.NewMat()
	defer pic.Close()
	gocv.Resize(src, &pic, imagePoint(w, h), 0, 0, gocv.InterpolationLinear)
	const loop = 60 // one key frame a loop, so every loop decodes from its start
	enc, err := vp8.NewEncoder(w, h, vp8.EncoderOptions{Bitrate: 4_000_000, KeyframeInterval: loop})
	if err != nil {
		return nil, err
	}
	defer enc.Close()
	var out [][]byte
	frame := gocv.NewMat()
	defer frame.Close()
	for i := range loop {
		pic.CopyTo(&frame)
		frameid.Stamp(&frame, i)
		f, _, err := enc.Encode(nil, frame, time.Duration(i)*time.Second/60, time.Second/60, i == 0)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func receiving(answer string) (all, recv int) {
	var d sdp.SessionDescription
	if d.UnmarshalString(answer) != nil {
		return 0, 0
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
				recv++
			}
		}
	}
	return all, recv
}

func imagePoint(w, h int) image.Point { return image.Pt(w, h) }
