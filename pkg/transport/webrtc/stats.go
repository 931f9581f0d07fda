package webrtc

import (
	"sync/atomic"

	pion "github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"
)

// sessionStats count what happened to a session's frames, both ways, for
// the hang-up log line: where a camera frame that was never answered went,
// and why an answer was not sent.
type sessionStats struct {
	// The camera's frames (inbound.go).
	received  atomic.Int64 // whole frames out of the RTP assembler
	lost      atomic.Int64 // given up for a missing packet
	overRate  atomic.Int64 // skipped by the frame-rate gate
	waitedKey atomic.Int64 // skipped while the decoder waited for a key frame
	decoded   atomic.Int64 // decoded and submitted to the pipeline
	badFrames atomic.Int64 // did not decode
	askedKey  atomic.Int64 // PLIs sent to the browser
	// The processed track's (outbound.go).
	sent        atomic.Int64 // answers written to the track
	keyFrames   atomic.Int64 // of those, key frames
	heldForKey  atomic.Int64 // answers not sent while the browser waited for a key frame
	keyRequests atomic.Int64 // PLI and FIR from the browser
}

func (s *sessionStats) dict() *zerolog.Event {
	return zerolog.Dict().Int64("received", s.received.Load()).Int64("lost", s.lost.Load()).
		Int64("over_rate", s.overRate.Load()).Int64("waited_key", s.waitedKey.Load()).
		Int64("decoded", s.decoded.Load()).Int64("bad", s.badFrames.Load()).Int64("plis_sent", s.askedKey.Load()).
		Int64("sent", s.sent.Load()).Int64("key_frames_sent", s.keyFrames.Load()).
		Int64("held_for_key", s.heldForKey.Load()).Int64("key_requests", s.keyRequests.Load())
}

// rtpStats are pion's figures for the camera's stream: packets received
// and lost, jitter, NACKs sent. (pion keeps none for what it sends: those
// are sessionStats' sent and key_requests.)
func (p *peer) rtpStats() *zerolog.Event {
	d := zerolog.Dict()
	if st := p.pc.ConnectionState(); st == pion.PeerConnectionStateClosed || st == pion.PeerConnectionStateFailed {
		// pion is closing it on its own goroutine: GetStats would race
		// with that (pion's own data race, seen under -race).
		return d
	}
	for _, st := range p.pc.GetStats() {
		switch st := st.(type) {
		case pion.InboundRTPStreamStats:
			if st.Kind == "video" {
				d.Uint32("in_packets", st.PacketsReceived).Int32("in_lost", st.PacketsLost).
					Float64("in_jitter_s", st.Jitter).Uint32("nacks_sent", st.NACKCount)
			}
		}
	}
	return d
}
