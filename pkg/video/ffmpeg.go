package video

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/livetryon/server/pkg/pipeline"
)

// command makes a subprocess that runs at the batch workers' priority, the
// lowest, so a video's decoding and encoding yield the CPU to live
// clients, within mem bytes of address space (prlimit sets RLIMIT_AS on
// the child before it runs ffmpeg), with two malloc arenas instead of one
// per thread, which is what keeps ffmpeg's address space near its use.
func command(ctx context.Context, mem int64, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "prlimit", append([]string{"--as=" + strconv.FormatInt(mem, 10), "--",
		"nice", "-n", strconv.Itoa(pipeline.BatchNice), name}, args...)...)
	cmd.Env = append(os.Environ(), "MALLOC_ARENA_MAX=2")
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// decodeArgs decode src's first video stream to raw I420, turned upright
// (ffmpeg applies the rotation), every frame as stored, at the displayed
// size (a stream that changes size midway is scaled back to it) cropped to
// width x height; showinfo logs each frame's timestamp (readDecoderLog).
// Each picture must reach the pipe before the next one's timestamp is
// logged, or a buffer of tiny pictures held back while their timestamps
// filled the log's queue would leave decoder and reader waiting on each
// other: ffmpeg 5.1 flushes each packet by default, -flush_packets 1 says
// so whatever the default becomes.
func decodeArgs(src string, info Info, width, height int, lim Limits, showinfo string) []string {
	args := append([]string{"-hide_banner", "-nostats", "-nostdin", "-loglevel", "level+info"}, inputArgs(lim.MaxPixels)...)
	return append(args, "-i", src, "-map", "0:v:0", "-fps_mode", "passthrough",
		"-vf", fmt.Sprintf("scale=%d:%d,crop=%d:%d:0:0,%s=checksum=0", info.Width, info.Height, width, height, showinfo),
		"-f", "rawvideo", "-pix_fmt", "yuv420p", "-flush_packets", "1", "pipe:1")
}

// encodeArgs encode the Matroska of I420 pictures on stdin, width x
// height, as H.264 into dst, each frame at its timestamp in the source's
// time base, turned back to the source's stored orientation (SetRotation
// then writes the rotation), with src's first audio track, moov first.
// The pictures' timestamps are the decoder's, which start where the
// source's video does; -itsoffset keeps ffmpeg from moving them to 0, so
// they stay where the audio, read from src, expects them.
func encodeArgs(src, dst string, info Info, width, height int, opts Options, lim Limits, first stamp) []string {
	preset, crf := opts.Preset, opts.CRF
	if preset == "" {
		preset = "veryfast"
	}
	if crf <= 0 {
		crf = 20
	}
	filter := "null"
	switch info.Rotation {
	case 90:
		filter = "transpose=cclock"
	case 180:
		filter = "hflip,vflip"
	case 270:
		filter = "transpose=clock"
	}
	args := []string{"-v", "error", "-nostdin", "-y"}
	if t := first.time(); t > 0 {
		args = append(args, "-itsoffset", strconv.FormatFloat(t.Seconds(), 'f', 6, 64))
	}
	args = append(args, "-format_whitelist", "matroska", "-protocol_whitelist", "pipe", "-f", "matroska", "-i", "pipe:0")
	if info.HasAudio {
		args = append(append(args, inputArgs(lim.MaxPixels)...), "-i", src, "-map", "0:v:0", "-map", "1:a:0")
	} else {
		args = append(args, "-map", "0:v:0")
	}
	scale := first.timescale()
	args = append(args, "-vf", filter, "-fps_mode", "passthrough", "-enc_time_base:v", "1:"+strconv.FormatInt(scale, 10),
		"-c:v", "libx264", "-preset", preset, "-crf", strconv.Itoa(crf), "-pix_fmt", "yuv420p")
	if info.HasAudio {
		if mp4AudioCodecs[info.AudioCodec] {
			args = append(args, "-c:a", "copy")
		} else {
			args = append(args, "-c:a", "aac", "-b:a", "160k")
		}
	}
	return append(args, "-video_track_timescale", strconv.FormatInt(scale, 10), "-movflags", "+faststart", "-f", "mp4", dst)
}

// capped keeps the first max bytes written to it: a subprocess's error
// output, which a hostile file could make endless.
type capped struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (c *capped) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.max - len(c.buf); room > 0 {
		c.buf = append(c.buf, b[:min(room, len(b))]...)
	}
	return len(b), nil
}

func (c *capped) Bytes() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.buf...)
}
