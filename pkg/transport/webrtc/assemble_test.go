package webrtc

import (
	"bytes"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
)

type pkt struct {
	seq     uint16
	ts      uint32
	marker  bool
	payload []byte
}

// Payloads: a VP8 payload descriptor byte (0x10: a frame's start) and data.
var (
	start = func(b byte) []byte { return []byte{0x10, b, b} }
	cont  = func(b byte) []byte { return []byte{0x00, b, b} }
)

// The packets Chromium sends when it probes the bandwidth: a padding
// packet, with the timestamp of the frame before, between frames.
var probing = []pkt{
	{65530, 1000, false, start(1)}, {65531, 1000, true, cont(1)}, // frame 1, two packets
	{65532, 1000, false, nil},                        // padding
	{65533, 4000, true, start(2)},                    // frame 2, one packet
	{65534, 7000, true, start(3)},                    // frame 3
	{65535, 7000, false, nil}, {0, 7000, false, nil}, // padding
	{1, 10000, true, start(4)},                             // frame 4
	{2, 13000, false, start(5)}, {3, 13000, true, cont(5)}, // frame 5
}

// receive runs packets through what readVideo uses: the padding filter
// and the frame assembler.
func receive(packets []pkt) (frames [][]byte, lost int) {
	var f paddingFilter
	var a frameAssembler
	for _, p := range packets {
		r := &rtp.Packet{Header: rtp.Header{SequenceNumber: p.seq, Timestamp: p.ts, Marker: p.marker}, Payload: p.payload}
		if !f.keep(r) {
			continue
		}
		frame, l := a.push(r)
		if l {
			lost++
		}
		if frame != nil {
			frames = append(frames, append([]byte(nil), frame...))
		}
	}
	return frames, lost
}

// Every frame comes out, whole, the moment its last packet is in, padding
// or not. (pion's sample builder, which this replaces, loses the frame
// after each padding packet, and holds each frame until the next one
// starts: the test shows it does still, so the reason stays true.)
func TestFramesThroughPadding(t *testing.T) {
	frames, lost := receive(probing)
	want := [][]byte{{1, 1, 1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5, 5, 5}}
	if lost != 0 || len(frames) != len(want) {
		t.Fatalf("%d frames, %d lost; want %d, none lost", len(frames), lost, len(want))
	}
	for i := range want {
		if !bytes.Equal(frames[i], want[i]) {
			t.Errorf("frame %d is %v, want %v", i+1, frames[i], want[i])
		}
	}

	sb := samplebuilder.New(64, &codecs.VP8Packet{}, 90000)
	n := 0
	for _, p := range probing {
		sb.Push(&rtp.Packet{Header: rtp.Header{SequenceNumber: p.seq, Timestamp: p.ts, Marker: p.marker}, Payload: p.payload})
		for s := sb.Pop(); s != nil; s = sb.Pop() {
			n++
		}
	}
	t.Logf("pion's sample builder gave %d of the 5 frames", n)
	if n >= 5 {
		t.Errorf("pion's sample builder gave all %d frames: the reasons given for frameAssembler no longer hold", n)
	}
}

// A frame with a packet missing is not handed over and is reported lost;
// the frames after it come out; a late retransmission is ignored.
func TestLostPacketLosesItsFrame(t *testing.T) {
	packets := []pkt{
		{100, 1000, false, start(1)}, {101, 1000, true, cont(1)},
		{102, 4000, false, start(2)} /* 103 lost */, {104, 4000, true, cont(2)},
		{105, 7000, true, start(3)},
		{103, 4000, false, cont(2)}, // the retransmission, too late
		{106, 10000, false, start(4)}, {107, 10000, true, cont(4)},
		/* 108, the start of frame 5, lost */ {109, 13000, true, cont(5)},
		{110, 16000, true, start(6)},
	}
	frames, lost := receive(packets)
	if len(frames) != 4 || lost != 2 {
		t.Fatalf("%d frames, %d lost; want frames 1, 3, 4 and 6, and 2 lost", len(frames), lost)
	}
	if frames[1][0] != 3 || frames[3][0] != 6 {
		t.Errorf("frames %v", frames)
	}
}

// Renumbering survives the 16-bit wrap and packets that arrive late.
func TestPaddingFilterRenumbers(t *testing.T) {
	var f paddingFilter
	seqs := []uint16{65534, 65535, 0, 1, 3, 2} // 0 is padding; 2 arrives after 3
	var got []uint16
	for _, s := range seqs {
		p := &rtp.Packet{Header: rtp.Header{SequenceNumber: s}, Payload: []byte{1}}
		if s == 0 {
			p.Payload = nil
		}
		if f.keep(p) {
			got = append(got, p.SequenceNumber)
		}
	}
	want := []uint16{got[0], got[0] + 1, got[0] + 2, got[0] + 4, got[0] + 3}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("renumbered %v, want %v", got, want)
		}
	}
}

// FuzzFrameAssembler: any packets, in any order, never panic, and a frame
// handed over is made of payloads that were pushed.
func FuzzFrameAssembler(f *testing.F) {
	f.Add([]byte{0, 1, 1, 0x10, 0xAA, 0, 2, 0, 0x00, 0xBB}, uint16(100))
	f.Fuzz(func(t *testing.T, stream []byte, firstSeq uint16) {
		var fl paddingFilter
		var a frameAssembler
		seq := firstSeq
		// Each packet: a sequence step, a timestamp step, a marker, then 2
		// payload bytes (a descriptor and one of data), or none for padding.
		for len(stream) >= 3 {
			seq += uint16(int8(stream[0]))
			ts := uint32(stream[1]) * 3000
			marker := stream[2]&1 == 1
			var payload []byte
			if stream[2]&2 == 0 && len(stream) >= 5 {
				payload = stream[3:5]
				stream = stream[5:]
			} else {
				stream = stream[3:]
			}
			r := &rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: ts, Marker: marker}, Payload: payload}
			if !fl.keep(r) {
				continue
			}
			a.push(r)
		}
	})
}

// A peer that never ends its frame does not grow the server's memory: past
// maxFrameBytes the frame is given up, and the next one comes through.
func TestEndlessFrameIsBounded(t *testing.T) {
	var a frameAssembler
	chunk := append([]byte{0x00}, make([]byte, 1100)...)
	first := append([]byte{0x10}, make([]byte, 1100)...)
	seq := uint16(0)
	push := func(ts uint32, marker bool, payload []byte) ([]byte, bool) {
		seq++
		return a.push(&rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: ts, Marker: marker}, Payload: payload})
	}
	push(1000, false, first)
	for range 2 * maxFrameBytes / 1100 { // twice the limit, no marker
		push(1000, false, chunk)
	}
	if c := cap(a.data); c > 2*maxFrameBytes {
		t.Errorf("the assembler holds %d bytes for an endless frame", c)
	}
	if frame, lost := push(1000, true, chunk); frame != nil || !lost {
		t.Errorf("the endless frame was handed over (%d bytes) or not reported lost", len(frame))
	}
	if frame, _ := push(4000, true, []byte{0x10, 1, 2}); len(frame) != 2 {
		t.Errorf("the frame after it: %v", frame)
	}
}

// The gate counts frames against the times it is given, not the clock, so
// the test is exact on any machine: frames 1/30 s apart all pass; frames
// 1/200 s apart for 10 s pass at the gate's rate after its burst, 629 of
// 2,000 (30 + 599 refills, the last 1/60 s short).
func TestFrameGate(t *testing.T) {
	count := func(perSecond, seconds int) int {
		var g frameGate
		start := time.Unix(1000, 0)
		n := 0
		for i := range perSecond * seconds {
			if g.allow(start.Add(time.Duration(i) * time.Second / time.Duration(perSecond))) {
				n++
			}
		}
		return n
	}
	if n := count(30, 10); n != 300 {
		t.Errorf("300 frames 1/30 s apart: %d allowed, want all", n)
	}
	if n := count(200, 10); n != 629 {
		t.Errorf("2,000 frames 1/200 s apart: %d allowed, want 629", n)
	}
}
