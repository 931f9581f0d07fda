package webrtc

import (
	"sync/atomic"

	"github.com/rs/zerolog"
)

// sessionStats count what happened to a session's frames, both ways, for
// the hang-up log line: where a camera frame that was never answered went,
// and why an answer was not sent. (pion's own figures are not read there:
// PeerConnection.GetStats races with pion's closing of the connection,
// which a hang-up may be in the middle of, under -race.)
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
