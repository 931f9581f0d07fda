package webrtc

import (
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/sdp/v3"
	"github.com/pion/transport/v5/packetio"
)

// streamBuffers are where pion keeps a session's incoming packets until
// they are read: one buffer for each SSRC. The camera's and the RTCP's are
// as pion makes them (1 MB and 100 kB at most). The SSRCs of the video
// m-lines the answer refused (refuseExtraVideo) get a buffer that discards:
// a peer may send on them all the same, and pion, having no track to hand
// them to, would keep up to 1 MB of each for the rest of the session,
// never read.
type streamBuffers struct {
	mu        sync.Mutex
	refused   map[uint32]bool
	discarded atomic.Int64 // packets of refused SSRCs, dropped
}

// pion's own limits (srtp's srtpBufferSize and srtcpBufferSize).
const (
	rtpBufferLimit  = 1000 * 1000
	rtcpBufferLimit = 100 * 1000
)

// refuse marks the SSRCs an offer declares for the m-lines of mids.
func (b *streamBuffers) refuse(offer *sdp.SessionDescription, mids []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.refused == nil {
		b.refused = map[uint32]bool{}
	}
	for _, m := range offer.MediaDescriptions {
		mid, _ := m.Attribute(sdp.AttrKeyMID)
		refused := false
		for _, r := range mids {
			refused = refused || r == mid
		}
		if !refused {
			continue
		}
		for _, a := range m.Attributes {
			var fields []string
			switch a.Key {
			case sdp.AttrKeySSRC: // "1234 cname:x"
				fields = strings.Fields(a.Value)
				fields = fields[:min(len(fields), 1)]
			case sdp.AttrKeySSRCGroup: // "FID 1234 5678": the stream and its retransmissions
				fields = strings.Fields(a.Value)
			}
			for _, f := range fields {
				if n, err := strconv.ParseUint(f, 10, 32); err == nil {
					b.refused[uint32(n)] = true
				}
			}
		}
	}
}

// buffer is the SettingEngine's BufferFactory.
func (b *streamBuffers) buffer(kind packetio.BufferPacketType, ssrc uint32) io.ReadWriteCloser {
	if kind == packetio.RTPBufferPacket {
		b.mu.Lock()
		refused := b.refused[ssrc]
		b.mu.Unlock()
		if refused {
			return &discardBuffer{discarded: &b.discarded, closed: make(chan struct{})}
		}
	}
	buf := packetio.NewBuffer()
	if kind == packetio.RTPBufferPacket {
		buf.SetLimitSize(rtpBufferLimit)
	} else {
		buf.SetLimitSize(rtcpBufferLimit)
	}
	return attributeBuffer{buf}
}

// attributeBuffer is a packetio.Buffer as srtp wraps its own.
type attributeBuffer struct{ *packetio.Buffer }

func (b attributeBuffer) Read(p []byte) (int, error) {
	n, _, err := b.Buffer.Read(p, nil)
	return n, err
}

func (b attributeBuffer) Write(p []byte) (int, error) { return b.Buffer.Write(p, nil) }

func (b attributeBuffer) ReadWithAttributes(p []byte, attrs packetio.Attributes) (int, packetio.Attributes, error) {
	return b.Buffer.Read(p, attrs)
}

func (b attributeBuffer) WriteWithAttributes(p []byte, attrs packetio.Attributes) (int, error) {
	return b.Buffer.Write(p, attrs)
}

// discardBuffer counts what is written to it and keeps none: a read waits
// for Close.
type discardBuffer struct {
	discarded *atomic.Int64
	once      sync.Once
	closed    chan struct{}
}

func (d *discardBuffer) Write(p []byte) (int, error) {
	d.discarded.Add(1)
	return len(p), nil
}

func (d *discardBuffer) Read([]byte) (int, error) {
	<-d.closed
	return 0, io.EOF
}

func (d *discardBuffer) Close() error {
	d.once.Do(func() { close(d.closed) })
	return nil
}
