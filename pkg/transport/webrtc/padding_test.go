package webrtc

import (
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
)

// The packets Chromium sends when it probes the bandwidth: a padding
// packet, with the timestamp of the frame before, between frames. Through
// the filter every frame comes out of pion's sample builder; without it,
// the frame after each padding packet is lost (the test shows both).
func TestPaddingPacketsKeepFrames(t *testing.T) {
	type pkt struct {
		ts      uint32
		marker  bool
		payload []byte
	}
	start, cont := []byte{0x10, 0xAA, 0xBB}, []byte{0x00, 0xCC, 0xDD}
	stream := []pkt{
		{1000, false, start}, {1000, true, cont}, // frame 1, two packets
		{1000, false, nil},                     // padding
		{4000, true, start},                    // frame 2, one packet
		{7000, true, start},                    // frame 3
		{7000, false, nil}, {7000, false, nil}, // padding
		{10000, true, start},                       // frame 4
		{13000, false, start}, {13000, true, cont}, // frame 5
		{16000, true, start}, // frame 6, after which frame 5 is known complete
	}
	frames := func(filter bool) int {
		sb := samplebuilder.New(64, &codecs.VP8Packet{}, 90000)
		var f paddingFilter
		n := 0
		for i, p := range stream {
			r := &rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(65530 + i), Timestamp: p.ts, Marker: p.marker}, Payload: p.payload}
			if filter && !f.keep(r) {
				continue
			}
			sb.Push(r)
			for s := sb.Pop(); s != nil; s = sb.Pop() {
				n++
			}
		}
		return n
	}
	with, without := frames(true), frames(false)
	t.Logf("frames out of the sample builder: %d with the filter, %d without", with, without)
	if with != 5 { // the 6th waits for a packet after it
		t.Errorf("%d frames with the filter, want 5", with)
	}
	if without >= with {
		t.Errorf("without the filter %d frames came out: the case no longer shows pion's behaviour", without)
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
