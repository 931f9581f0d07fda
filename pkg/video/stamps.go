package video

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"strconv"
	"time"
)

// showinfoName names one decoder's showinfo filter with a secret: ffmpeg
// starts each of that filter's log lines with "[showinfo@NAME @ 0x…]", and
// nothing in the file can know NAME. Without it, a file could forge frame
// lines: ffmpeg prints a stream's language tag as it is, newlines and all,
// when it lists the input, so a tag can hold lines that look like
// showinfo's (more stamps than frames, or wrong ones).
func showinfoName() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "showinfo@s" + hex.EncodeToString(b)
}

// showinfoPrefix is how the filter named name starts its log lines.
func showinfoPrefix(name string) []byte { return []byte("[" + name + " @ ") }

// stamp is a decoded frame's timestamp as the decoder's showinfo filter
// logs it: pts ticks of num/den seconds.
type stamp struct {
	pts      int64
	num, den int64
	noPTS    bool
}

// time is the stamp from the start of the decoder's timeline.
func (s stamp) time() time.Duration {
	if s.den <= 0 || s.noPTS {
		return 0
	}
	return time.Duration(float64(s.pts) * float64(s.num) / float64(s.den) * float64(time.Second))
}

// timescale is the encoder's and the MP4's ticks a second: the source's
// own, so its timestamps are kept exactly; microseconds when the source's
// are finer or unknown.
func (s stamp) timescale() int64 {
	if s.den <= 0 || s.num <= 0 || s.den > 1_000_000 {
		return 1_000_000
	}
	return s.den
}

// tick is one tick of timescale: consecutive frames are at least this far
// apart, or the MP4 muxer refuses them.
func (s stamp) tick() time.Duration {
	return time.Duration((int64(time.Second) + s.timescale() - 1) / s.timescale())
}

// readDecoderLog reads the decoder's log (-loglevel level+info) to its
// end: the line of the showinfo filter named name (showinfoName) for each
// frame gives its timestamp, sent on stamps in order (until ctx is done or
// stop is closed: the frames' reader has stopped taking them; then the
// rest is read and dropped), with the time base from showinfo's config
// line; warnings and errors are kept in errs, for the server's log. A line
// is parsed from its first 512 bytes: a hostile file's side data cannot
// make it hold more. stamps is closed at the end.
func readDecoderLog(ctx context.Context, r io.Reader, name string, stamps chan<- stamp, stop <-chan struct{}, errs *capped) {
	defer close(stamps)
	prefix := showinfoPrefix(name)
	br := bufio.NewReaderSize(r, 512)
	var tb stamp
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			line = append([]byte(nil), line...)
			for err == bufio.ErrBufferFull { // the rest of a long line
				_, err = br.ReadSlice('\n')
			}
		}
		if len(line) > 0 {
			if st, isFrame := parseShowinfo(line, prefix, &tb); isFrame {
				select {
				case stamps <- st:
				case <-ctx.Done():
				case <-stop:
				}
			} else if bytes.Contains(line, []byte("[error] ")) || bytes.Contains(line, []byte("[fatal] ")) || bytes.Contains(line, []byte("[warning] ")) {
				errs.Write(line)
			}
		}
		if err != nil {
			return
		}
	}
}

// parseShowinfo reads one line of the decoder's log: showinfo's config
// line sets tb; a frame's line gives its stamp. Only lines that begin
// with prefix count, the secret name ffmpeg writes before each of the
// filter's lines (showinfoName).
func parseShowinfo(line, prefix []byte, tb *stamp) (stamp, bool) {
	if !bytes.HasPrefix(line, prefix) {
		return stamp{}, false
	}
	_, rest, ok := bytes.Cut(line, []byte("] [info] "))
	if !ok {
		return stamp{}, false
	}
	if v, ok := bytes.CutPrefix(rest, []byte("config in time_base: ")); ok {
		n, d, _ := bytes.Cut(field(v), []byte("/"))
		num, err1 := strconv.ParseInt(string(n), 10, 64)
		den, err2 := strconv.ParseInt(string(bytes.TrimSuffix(d, []byte(","))), 10, 64)
		if err1 == nil && err2 == nil && num > 0 && den > 0 {
			tb.num, tb.den = num, den
		}
		return stamp{}, false
	}
	if !bytes.HasPrefix(rest, []byte("n:")) {
		return stamp{}, false
	}
	_, v, ok := bytes.Cut(rest, []byte(" pts:"))
	if !ok {
		return stamp{}, false
	}
	st := *tb
	pts, err := strconv.ParseInt(string(field(v)), 10, 64)
	st.pts, st.noPTS = pts, err != nil
	return st, true
}

// field is the first space-separated field of b.
func field(b []byte) []byte {
	b = bytes.TrimLeft(b, " ")
	if i := bytes.IndexAny(b, " \r\n"); i >= 0 {
		return b[:i]
	}
	return b
}
