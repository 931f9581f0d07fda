package video

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The decoder's log gives each frame's timestamp in the time base of
// showinfo's config line; other lines, long side-data lines and lines
// that only look like showinfo's give none: text from the file after a
// newline in its metadata, and lines with the usual filter name or
// another secret than this decoder's, as a forged language tag would
// start them.
func TestReadDecoderLog(t *testing.T) {
	name := showinfoName()
	own := "[" + name + " @ 0x55] [info] "
	log := strings.Join([]string{
		"[info] Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x':",
		"[info]     title           : a",
		"[info]                     : [Parsed_showinfo_2 @ 0x1] [info] n:   9 pts:  99999 pts_time:9",
		"[Parsed_showinfo_2 @ 0x1] [info] n:   0 pts:  77777 pts_time:7",
		"[" + showinfoName() + " @ 0x1] [info] n:   0 pts:  88888 pts_time:8",
		own + "config in time_base: 1/15360, frame_rate: 30/1",
		own + "n:   0 pts:      0 pts_time:0       pos: 48 fmt:yuv420p",
		own + "User Data=" + strings.Repeat("78", 3000),
		own + "n:   1 pts:    512 pts_time:0.0333333 pos: 9",
		"[h264 @ 0x56] [error] a damaged slice",
		own + "n:   2 pts:NOPTS pts_time:NOPTS",
		own + "n:   3 pts:   1536 pts_time:0.1",
	}, "\n") + "\n"
	stamps := make(chan stamp, 16)
	errs := &capped{max: 1 << 10}
	readDecoderLog(context.Background(), strings.NewReader(log), name, stamps, nil, errs)
	var got []time.Duration
	var noPTS []bool
	for st := range stamps {
		got = append(got, st.time())
		noPTS = append(noPTS, st.noPTS)
	}
	want := []time.Duration{0, time.Second / 30, 0, 100 * time.Millisecond}
	if len(got) != len(want) {
		t.Fatalf("stamps %v, want %v", got, want)
	}
	for i := range want {
		if d := got[i] - want[i]; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("stamp %d: %v, want %v", i, got[i], want[i])
		}
	}
	if !noPTS[2] || noPTS[3] {
		t.Errorf("no pts: %v; want only the third", noPTS)
	}
	if e := string(errs.Bytes()); !strings.Contains(e, "a damaged slice") || strings.Contains(e, "User Data") {
		t.Errorf("errors kept: %q", e)
	}
	if s := (stamp{num: 1, den: 15360}); s.timescale() != 15360 || s.tick() != 65105*time.Nanosecond {
		t.Errorf("timescale %d, tick %v", s.timescale(), s.tick())
	}
}

// Whatever a hostile file makes the decoder log, parsing a line does not
// panic and gives a stamp only for showinfo's own frame lines.
func FuzzParseShowinfo(f *testing.F) {
	const name = "showinfo@s0123456789abcdef01234567"
	f.Add([]byte("[" + name + " @ 0x55] [info] n:   1 pts:    512 pts_time:0.0333333 pos: 9\n"))
	f.Add([]byte("[" + name + " @ 0x55] [info] config in time_base: 1/15360, frame_rate: 30/1\n"))
	f.Add([]byte("[Parsed_showinfo_2 @ 0x55] [info] n:   1 pts:    512 pts_time:0.0333333 pos: 9\n"))
	f.Add([]byte("[info] Stream #0:0: Video: h264\n"))
	f.Fuzz(func(t *testing.T, line []byte) {
		var tb stamp
		if _, ok := parseShowinfo(line, showinfoPrefix(name), &tb); ok && !strings.HasPrefix(string(line), "["+name+" @ ") {
			t.Errorf("a stamp from %q", line)
		}
		if tb.num < 0 || tb.den < 0 {
			t.Errorf("time base %d/%d from %q", tb.num, tb.den, line)
		}
	})
}

// A reader of the log that nobody takes stamps from any more (the
// decoder logged more frames than it wrote) is let go by stop: it reads
// the log to its end instead of waiting for a taker.
func TestReadDecoderLogStops(t *testing.T) {
	name := showinfoName()
	var b strings.Builder
	for i := 0; i < 500; i++ {
		b.WriteString("[" + name + " @ 0x55] [info] n: 1 pts: 512 pts_time:0.03\n")
	}
	stamps := make(chan stamp, 4)
	stop := make(chan struct{})
	close(stop)
	done := make(chan struct{})
	go func() {
		readDecoderLog(context.Background(), strings.NewReader(b.String()), name, stamps, stop, &capped{max: 1 << 10})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the log's reader waits for a taker after stop")
	}
}
