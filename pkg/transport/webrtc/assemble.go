package webrtc

import (
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// frameAssembler puts a VP8 track's packets back into frames, and hands a
// frame over the moment its last packet (the one with the marker bit)
// arrives whole. pion's sample builder holds each frame until a packet of
// the next one arrives, a frame interval of latency (33 ms at 30 fps).
//
// Packets come in order but for the odd loss or late retransmission; the
// padding filter has taken out padding, so a frame's packets have
// consecutive numbers. A frame with a packet missing is dropped, and
// lost reports it: the decoder must then wait for a key frame, which the
// caller asks for.
// maxFrameBytes bounds one frame. A 1920x1080 VP8 key frame of a camera
// is a few hundred kilobytes; a peer that never ends a frame must not grow
// the server's memory.
const maxFrameBytes = 4 << 20

type frameAssembler struct {
	ts      uint32
	next    uint16 // the sequence number expected next
	seen    bool   // next is set
	started bool   // a frame is being assembled
	broken  bool   // it lost a packet
	// oversize is set when a frame passed maxFrameBytes: a peer's fault,
	// not a loss, so the caller tells it (takeOversize).
	oversize bool
	data     []byte
	vp8      codecs.VP8Packet
}

// push adds a packet. frame is a whole frame (valid until the next push)
// or nil; lost says a frame was given up.
func (a *frameAssembler) push(p *rtp.Packet) (frame []byte, lost bool) {
	if a.seen && int16(p.SequenceNumber-a.next) < 0 {
		return nil, false // a duplicate, or a retransmission too late for its frame
	}
	a.seen = true
	if a.started && p.Timestamp != a.ts {
		a.started, lost = false, true // the frame's marker never came
	}
	if !a.started {
		if !a.vp8.IsPartitionHead(p.Payload) || p.Payload[0]&0x07 != 0 {
			a.next = p.SequenceNumber + 1
			return nil, true // not the start of a frame: its start was lost
		}
		a.started, a.broken, a.ts, a.next = true, false, p.Timestamp, p.SequenceNumber
		a.data = a.data[:0]
	}
	if p.SequenceNumber != a.next {
		a.broken = true
	}
	a.next = p.SequenceNumber + 1
	payload, err := a.vp8.Unmarshal(p.Payload)
	switch {
	case err != nil:
		a.broken = true
	case len(a.data)+len(payload) > maxFrameBytes:
		if !a.broken {
			a.oversize = true // once a frame
		}
		a.broken = true // a frame no camera makes: not held in memory
	case !a.broken:
		a.data = append(a.data, payload...)
	}
	if !p.Marker {
		return nil, lost
	}
	a.started = false
	if a.broken {
		return nil, true
	}
	return a.data, lost
}

// frameGate bounds the frames a peer's track may make the server decode:
// a camera sends 30 a second, and every frame of a VP8 stream must be
// decoded, on the peer's own goroutine, outside the worker pool. A peer
// that sends more than maxFrameRate a second (past a burst) has the excess
// skipped; the stream then waits for a key frame, asked for at most once
// a second, so a flood costs the server little and slows no one else.
type frameGate struct {
	tokens float64
	last   time.Time
}

const (
	maxFrameRate  = 60
	maxFrameBurst = 30
)

// allow takes a frame's token at now.
func (g *frameGate) allow(now time.Time) bool {
	if g.last.IsZero() {
		g.tokens = maxFrameBurst
	} else {
		g.tokens = min(maxFrameBurst, g.tokens+now.Sub(g.last).Seconds()*maxFrameRate)
	}
	g.last = now
	if g.tokens < 1 {
		return false
	}
	g.tokens--
	return true
}

// takeOversize reports, once, that a frame was given up for its size.
func (a *frameAssembler) takeOversize() bool {
	o := a.oversize
	a.oversize = false
	return o
}
