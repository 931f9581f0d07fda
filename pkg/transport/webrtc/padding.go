package webrtc

import (
	"sort"

	"github.com/pion/rtp"
)

// paddingFilter drops padding packets, which carry no payload, and
// renumbers the others so their sequence numbers stay contiguous.
//
// Chromium probes the bandwidth with padding packets on the video's own
// SSRC when RTX is not negotiated (it is not: this server speaks plain
// VP8), stamped with the timestamp of the frame before. pion's sample
// builder then takes a padding packet and the single-packet frame after it
// for one sample, sees it does not start a partition, and drops both: the
// frame is lost without a count, and the decoder goes on predicting from a
// picture it never had. Over loopback every few frames went so, and the
// pictures the pipeline got were smeared blocks (TestPaddingPacketsKeepFrames).
type paddingFilter struct {
	started bool
	newest  int64   // extended sequence number of the newest packet
	padding []int64 // recent padding packets' extended numbers, ascending
	trimmed int64   // padding packets forgotten from padding, all older
}

const paddingMemory = 1024

// keep reports whether p carries media, and renumbers it if so.
func (f *paddingFilter) keep(p *rtp.Packet) bool {
	ext := f.extend(p.SequenceNumber)
	if len(p.Payload) == 0 {
		i := sort.Search(len(f.padding), func(i int) bool { return f.padding[i] >= ext })
		if i < len(f.padding) && f.padding[i] == ext {
			return false // a duplicate
		}
		f.padding = append(f.padding, 0)
		copy(f.padding[i+1:], f.padding[i:])
		f.padding[i] = ext
		if len(f.padding) > paddingMemory {
			f.trimmed += int64(len(f.padding) - paddingMemory/2)
			f.padding = append(f.padding[:0], f.padding[len(f.padding)-paddingMemory/2:]...)
		}
		return false
	}
	before := int64(sort.Search(len(f.padding), func(i int) bool { return f.padding[i] >= ext }))
	p.SequenceNumber = uint16(ext - f.trimmed - before)
	return true
}

// extend unwraps a 16-bit sequence number around the newest seen.
func (f *paddingFilter) extend(seq uint16) int64 {
	if !f.started {
		f.started = true
		f.newest = int64(seq) + 1<<20 // room below for packets that arrive late
		return f.newest
	}
	ext := f.newest + int64(int16(seq-uint16(f.newest)))
	f.newest = max(f.newest, ext)
	return ext
}
