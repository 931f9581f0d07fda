package webrtc

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pion/rtcp"
	pion "github.com/pion/webrtc/v4"
	"gocv.io/x/gocv"

	"github.com/livetryon/server/pkg/frame"
	"github.com/livetryon/server/pkg/vp8"
)

// readVideo depacketises the camera's track into VP8 frames, decodes every
// one (the next are predicted from it) and submits each picture: the
// session keeps only the newest waiting, so a busy pipeline skips
// pictures, never queues them. A frame that does not decode asks the
// browser for a key frame, at most once a second; one the peer made wrong
// (over the limits, odd sides, corrupt, over 4 MiB) is also refused with
// an error, counted, and told on the data channel (Send sends one such
// error a second at most).
func (p *peer) readVideo(remote *pion.TrackRemote) {
	if !strings.EqualFold(remote.Codec().MimeType, pion.MimeTypeVP8) {
		return
	}
	lim := p.s.limits
	dec, err := vp8.NewDecoder(lim.MaxSide, lim.MaxSide, lim.MaxPixels)
	if err != nil {
		p.close(err.Error())
		return
	}
	p.s.decoders.Add(1)
	defer p.s.decoders.Add(-1)
	defer dec.Close()
	var (
		padding paddingFilter
		frames  frameAssembler
		gate    frameGate
		waitKey bool
		lastPLI time.Time
	)
	askKey := func() {
		if time.Since(lastPLI) < time.Second {
			return
		}
		lastPLI = time.Now()
		p.stats.askedKey.Add(1)
		p.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(remote.SSRC())}})
	}
	for {
		pkt, _, err := remote.ReadRTP()
		if err != nil {
			return
		}
		if !padding.keep(pkt) {
			continue
		}
		frame, lost := frames.push(pkt)
		if frames.takeOversize() {
			p.refuseFrame(frameTooLarge())
		}
		if lost {
			p.stats.lost.Add(1)
		}
		if frame != nil {
			p.stats.received.Add(1)
			if !gate.allow(time.Now()) {
				p.stats.overRate.Add(1)
				frame, lost = nil, true // over the frame rate: skipped, and so is what it predicts
			}
		}
		if lost {
			// A frame is gone: what follows is predicted from it, so
			// nothing decodes right until a key frame.
			waitKey = true
			askKey()
		}
		if frame == nil {
			continue
		}
		if waitKey {
			if _, _, key := vp8.KeyframeSize(frame); !key {
				p.stats.waitedKey.Add(1)
				askKey()
				continue
			}
			waitKey = false
		}
		img := gocv.NewMat()
		if err := dec.Decode(frame, &img); err != nil {
			img.Close()
			p.stats.badFrames.Add(1)
			if !errors.Is(err, vp8.ErrNoPicture) {
				p.s.log.Debug().Str("client", p.logID).Err(err).Msg("VP8 frame does not decode")
				p.refuseFrame(decodeError(err))
			}
			waitKey = true
			askKey()
			continue
		}
		p.stats.decoded.Add(1)
		if !p.submit(&img) {
			return
		}
	}
}

// submit hands a decoded picture to the client, unless the session has
// ended; false if it has (the picture is freed).
func (p *peer) submit(img *gocv.Mat) bool {
	p.submitMu.Lock()
	defer p.submitMu.Unlock()
	select {
	case <-p.done:
		img.Close()
		return false
	default:
	}
	p.client.SubmitImage(p.client.NewFrame(nil), nil, img, time.Now())
	return true
}

// refuseFrame answers a camera frame the server will not decode: counted
// as a refused frame (metrics, the client's log), and an error on the data
// channel. Not once the session has ended.
func (p *peer) refuseFrame(e *frame.Error) {
	p.submitMu.Lock()
	defer p.submitMu.Unlock()
	select {
	case <-p.done:
		return
	default:
	}
	p.client.Refuse(p.client.NewFrame(nil), nil, e)
}

// decodeError is the client's error for a VP8 frame that does not decode.
func decodeError(err error) *frame.Error {
	msg := strings.TrimPrefix(err.Error(), "vp8: ")
	if errors.Is(err, vp8.ErrTooManyPixels) {
		return &frame.Error{Code: frame.CodeTooManyPixels, Message: "camera frame refused: " + msg}
	}
	return &frame.Error{Code: frame.CodeDecodeFailed, Message: "camera frame refused: " + msg}
}

func frameTooLarge() *frame.Error {
	return &frame.Error{Code: frame.CodeTooLarge, Message: fmt.Sprintf("camera frame refused: over %d bytes, more than any camera sends", maxFrameBytes)}
}
