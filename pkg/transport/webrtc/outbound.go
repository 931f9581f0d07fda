package webrtc

import (
	"errors"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"gocv.io/x/gocv"

	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/vp8"
)

// Send hands a message to the peer: a video answer to the track, the rest
// to the data channel. It never blocks on the network.
func (p *peer) Send(m client.Message) error {
	select {
	case <-p.done:
		return errors.New("webrtc: session closed")
	default:
	}
	if m.Video.Data != nil {
		p.sendVideo(m.Video)
	}
	switch {
	case m.Session != nil:
		p.text("session", m.Session)
	case m.Config != nil:
		p.text("config", m.Config)
	case m.Reply != nil:
		if m.Error != nil {
			// A refused camera frame: a peer sending bad frames at 60 a
			// second is told once a second; every one is counted.
			if now := time.Now(); now.Sub(p.lastRefusal) >= time.Second {
				p.lastRefusal = now
				p.text("error", m.Error)
			}
			return nil
		}
		p.text("answer", m.Reply)
		if m.WantLandmarks && m.Landmarks != nil {
			p.text("landmarks", m.Landmarks)
		}
	case m.Error != nil:
		p.text("error", m.Error)
	}
	return nil
}

// playoutDelayURI is the RTP header extension that bounds the delay the
// browser adds before it shows a frame
// (http://www.webrtc.org/experiments/rtp-hdrext/playout-delay).
const playoutDelayURI = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"

// zeroPlayoutDelay, min 0 and max 0, is on every packet of the processed
// track: Chromium then shows each frame the moment it is decoded, with no
// jitter buffer and no render-time schedule, as it does for game
// streaming. Without it, Chromium scheduled each frame's display from its
// timestamp and dropped, unpainted, a frame that came within a screen
// refresh of the one before: a 30 fps camera through this server (which
// answers at the pace of the pipeline, not of the camera) was decoded at
// 29.5 frames a second but shown at 25.2 (medians of 3 rounds), 14 of 295
// frames counted in the video element's droppedVideoFrames; with it, 28.9
// shown, 1 dropped, and capture to display 22.5 ms at p50 instead of 30.8
// (docs/BENCHMARKS.md, "Issue 25"). The cost: network jitter is not
// smoothed out; a live mirror had rather show a frame at once than all of
// them evenly late.
var zeroPlayoutDelay, _ = rtp.PlayoutDelayExtension{MinDelay: 0, MaxDelay: 0}.Marshal()

// sendVideo writes one encoded answer to the track. Its RTP timestamp is
// the time it is sent: answers come at a variable rate, and each the time
// its frame took after capture, which also varies (a background detection
// on the other core, another session); timestamped at capture, that spread
// would reach the browser as jitter, which its jitter buffer waits out on
// every frame. Sent so, a frame is due the moment it arrives. (pion's
// sample track stamps a frame from the durations of those before it, one
// frame late at a variable rate: hence a packetizer of our own.) The
// payload descriptors carry picture IDs, so the browser notices a missing
// frame and asks for a key frame. A gap in the encoder's numbering (an
// answer the outbox replaced) would leave the browser predicting from a
// frame it never got: frames are then held back until a key frame.
func (p *peer) sendVideo(f client.EncodedFrame) {
	if f.Seq != p.lastSeq+1 && !f.Key {
		p.waitForKey = true
		p.needKey.Store(true)
	}
	p.lastSeq = f.Seq
	if p.waitForKey && !f.Key {
		p.stats.heldForKey.Add(1)
		return
	}
	p.waitForKey = false
	now := time.Now()
	if p.packetizer == nil {
		p.packetizer = rtp.NewPacketizer(1200, 0, 0, &codecs.VP8Payloader{EnablePictureID: true}, rtp.NewRandomSequencer(), 90000)
		p.sentAt = now
	}
	ts := uint32(now.Sub(p.sentAt) * 90000 / time.Second)
	if ts == p.lastTS && ts != 0 {
		ts++ // two answers in the same tick: still in order
	}
	p.lastTS = ts
	for _, pkt := range p.packetizer.Packetize(f.Data, 0) {
		pkt.Timestamp = ts
		if p.playoutDelayID != 0 {
			pkt.SetExtension(p.playoutDelayID, zeroPlayoutDelay)
		}
		p.track.WriteRTP(pkt)
	}
	p.stats.sent.Add(1)
	if f.Key {
		p.stats.keyFrames.Add(1)
	}
}

// encoder is the session's pipeline.Encoder: VP8 at the bitrate congestion
// control sets, a key frame when asked, a new encoder when the camera's
// size changes. Its frames are numbered, so Send sees a gap. libvpx is
// given the capture times, for its rate control.
type encoder struct {
	p     *peer
	mu    sync.Mutex // Encode on a worker, close on hang-up
	enc   *vp8.Encoder
	start time.Time
	seq   uint64
	rate  int
	done  bool
}

func (e *encoder) Encode(img gocv.Mat, captured time.Time) (client.EncodedFrame, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done {
		return client.EncodedFrame{}, errors.New("webrtc: session closed")
	}
	key := e.p.needKey.Swap(false)
	if e.enc != nil {
		if w, h := e.enc.Size(); w != img.Cols() || h != img.Rows() {
			e.enc.Close()
			e.enc = nil
		}
	}
	rate := e.p.s.opts.StartBitrate
	if est := e.p.estimator; est != nil {
		rate = est.GetTargetBitrate()
	}
	if e.enc == nil {
		enc, err := vp8.NewEncoder(img.Cols(), img.Rows(), vp8.EncoderOptions{Bitrate: rate})
		if err != nil {
			return client.EncodedFrame{}, err
		}
		e.enc, e.rate, key = enc, rate, true
		if e.start.IsZero() {
			e.start = captured
		}
	} else if rate != e.rate && (rate > e.rate*21/20 || rate < e.rate*19/20) {
		if e.enc.SetBitrate(rate) == nil {
			e.p.s.log.Debug().Str("client", e.p.logID).Int("from_bps", e.rate).Int("to_bps", rate).Msg("bitrate follows congestion control")
			e.rate = rate
		}
	}
	out, isKey, err := e.enc.Encode(make([]byte, 0, 64<<10), img, captured.Sub(e.start), 0, key)
	if err != nil || len(out) == 0 {
		return client.EncodedFrame{}, err // no frame: the next is predicted from the one before, so no gap
	}
	e.seq++
	return client.EncodedFrame{Seq: e.seq, Key: isKey, Data: out}, nil
}

func (e *encoder) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.done = true
	if e.enc != nil {
		e.enc.Close()
		e.enc = nil
	}
}
