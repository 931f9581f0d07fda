package video

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// mkvWriter writes raw I420 pictures, each with its own timestamp, as a
// Matroska stream (V_UNCOMPRESSED, ColourSpace I420) for the encoder's
// stdin. Raw video on a pipe has no timestamps, so a variable-frame-rate
// video (a phone's) would come out at a constant rate and drift from its
// sound; Matroska carries one per frame, to the nanosecond, and ffmpeg
// reads it from a pipe. Only what ffmpeg's demuxer needs is written: the
// EBML header, a Segment of unknown size, Info, one track, and a Cluster
// per picture holding one SimpleBlock.
type mkvWriter struct {
	w             *bufio.Writer
	width, height int
	started       bool
}

func newMKVWriter(w io.Writer, width, height int) *mkvWriter {
	return &mkvWriter{w: bufio.NewWriterSize(w, 64<<10), width: width, height: height}
}

// Matroska element IDs (RFC 9559).
const (
	mkvEBML               = 0x1A45DFA3
	mkvEBMLVersion        = 0x4286
	mkvEBMLReadVersion    = 0x42F7
	mkvEBMLMaxIDLength    = 0x42F2
	mkvEBMLMaxSizeLength  = 0x42F3
	mkvDocType            = 0x4282
	mkvDocTypeVersion     = 0x4287
	mkvDocTypeReadVersion = 0x4285
	mkvSegment            = 0x18538067
	mkvInfo               = 0x1549A966
	mkvTimestampScale     = 0x2AD7B1
	mkvMuxingApp          = 0x4D80
	mkvWritingApp         = 0x5741
	mkvTracks             = 0x1654AE6B
	mkvTrackEntry         = 0xAE
	mkvTrackNumber        = 0xD7
	mkvTrackUID           = 0x73C5
	mkvTrackType          = 0x83
	mkvCodecID            = 0x86
	mkvVideo              = 0xE0
	mkvPixelWidth         = 0xB0
	mkvPixelHeight        = 0xBA
	mkvColourSpace        = 0x2EB524
	mkvCluster            = 0x1F43B675
	mkvTimestamp          = 0xE7
	mkvSimpleBlock        = 0xA3
)

// WriteFrame writes one width x height I420 picture shown at ts from the
// start; timestamps must increase.
func (m *mkvWriter) WriteFrame(ts time.Duration, yuv []byte) error {
	if len(yuv) != m.width*m.height*3/2 {
		return fmt.Errorf("video: %d bytes are not a %dx%d I420 picture", len(yuv), m.width, m.height)
	}
	if !m.started {
		m.started = true
		m.w.Write(ebmlElement(mkvEBML, ebmlUint(mkvEBMLVersion, 1), ebmlUint(mkvEBMLReadVersion, 1), ebmlUint(mkvEBMLMaxIDLength, 4),
			ebmlUint(mkvEBMLMaxSizeLength, 8), ebmlString(mkvDocType, "matroska"), ebmlUint(mkvDocTypeVersion, 4), ebmlUint(mkvDocTypeReadVersion, 2)))
		m.w.Write(append(ebmlID(mkvSegment), 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)) // unknown size: a stream
		m.w.Write(ebmlElement(mkvInfo, ebmlUint(mkvTimestampScale, 1),                        // nanoseconds
			ebmlString(mkvMuxingApp, "livetryon"), ebmlString(mkvWritingApp, "livetryon")))
		m.w.Write(ebmlElement(mkvTracks, ebmlElement(mkvTrackEntry, ebmlUint(mkvTrackNumber, 1), ebmlUint(mkvTrackUID, 1), ebmlUint(mkvTrackType, 1),
			ebmlString(mkvCodecID, "V_UNCOMPRESSED"),
			ebmlElement(mkvVideo, ebmlUint(mkvPixelWidth, uint64(m.width)), ebmlUint(mkvPixelHeight, uint64(m.height)), ebmlString(mkvColourSpace, "I420")))))
	}
	stamp := ebmlUint(mkvTimestamp, uint64(max(ts, 0)))
	// SimpleBlock: track 1, timestamp 0 relative to the cluster's, a key frame.
	blockHead := []byte{0x81, 0, 0, 0x80}
	block := append(ebmlID(mkvSimpleBlock), ebmlSize(uint64(len(blockHead)+len(yuv)))...)
	block = append(block, blockHead...)
	m.w.Write(ebmlID(mkvCluster))
	m.w.Write(ebmlSize(uint64(len(stamp) + len(block) + len(yuv))))
	m.w.Write(stamp)
	m.w.Write(block)
	if _, err := m.w.Write(yuv); err != nil {
		return err
	}
	return m.w.Flush()
}

func ebmlID(id uint32) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], id)
	switch {
	case id >= 1<<24:
		return b[:]
	case id >= 1<<16:
		return b[1:]
	case id >= 1<<8:
		return b[2:]
	}
	return b[3:]
}

// ebmlSize is n as an EBML variable-length integer, in as few bytes as fit
// (a value of all ones is reserved for "unknown").
func ebmlSize(n uint64) []byte {
	for l := 1; l <= 8; l++ {
		if n < 1<<(7*l)-1 {
			b := make([]byte, l)
			v := n | 1<<(7*l)
			for i := l - 1; i >= 0; i-- {
				b[i] = byte(v)
				v >>= 8
			}
			return b
		}
	}
	panic("video: an EBML size over 2^56")
}

func ebmlElement(id uint32, children ...[]byte) []byte {
	var body []byte
	for _, c := range children {
		body = append(body, c...)
	}
	return append(append(ebmlID(id), ebmlSize(uint64(len(body)))...), body...)
}

func ebmlUint(id uint32, v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	i := 0
	for i < 7 && b[i] == 0 {
		i++
	}
	return ebmlElement(id, b[i:])
}

func ebmlString(id uint32, s string) []byte { return ebmlElement(id, []byte(s)) }
