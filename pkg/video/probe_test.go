package video_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/video"
)

// ffmpeg makes a test file with Debian's ffmpeg.
func ffmpeg(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("ffmpeg", append([]string{"-v", "error", "-y"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
}

// clip makes a 2 s 640x360 H.264 clip at 30 fps with a sine-wave track;
// faststart puts the index first, as a phone's or the server's own files.
func clip(t *testing.T, dir, name string, faststart bool, extra ...string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	args := []string{"-f", "lavfi", "-i", "testsrc=size=640x360:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"}
	if faststart {
		args = append(args, "-movflags", "+faststart")
	}
	ffmpeg(t, append(append(args, extra...), path)...)
	return path
}

// What ffmpeg was asked to make, Probe reads back: properties of the
// file, not of how fast anything ran.
func TestProbeDescribesAVideo(t *testing.T) {
	dir := t.TempDir()
	info, err := video.Probe(context.Background(), clip(t, dir, "clip.mp4", true), video.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", info)
	if info.Width != 640 || info.Height != 360 || info.FPS != 30 || info.Frames != 60 || !info.HasAudio || info.Codec != "h264" ||
		info.Duration < 1900*time.Millisecond || info.Duration > 2100*time.Millisecond {
		t.Errorf("probe %+v: the clip was made 640x360, at a frame rate of 30/1, 60 frames, 2 s long, h264 with audio", info)
	}
}

// Every kind of file that is not a whole video within the limits gets
// its coded error, without the server's file name in the message.
func TestProbeRefuses(t *testing.T) {
	dir := t.TempDir()
	good := clip(t, dir, "good.mp4", true)
	moovLast := clip(t, dir, "moov-last.mp4", false)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cut := func(src, name string) string {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		return write(name, b[:len(b)/2])
	}
	jpeg, err := os.ReadFile(testmedia.Path("obama-480p.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.mp4")
	ffmpeg(t, "-f", "lavfi", "-i", "testsrc=size=1280x720:rate=30", "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", big)
	audioOnly := filepath.Join(dir, "audio.m4a")
	ffmpeg(t, "-f", "lavfi", "-i", "sine=frequency=440", "-t", "1", "-c:a", "aac", audioOnly)
	small := video.Limits{MaxSide: 1000, MaxPixels: 1000 * 600, MaxDuration: time.Minute}
	for _, c := range []struct {
		name, path string
		lim        video.Limits
		code       string
	}{
		{"zero bytes", write("empty.mp4", nil), video.DefaultLimits, video.CodeEmpty},
		{"a JPEG named .mp4", write("photo.mp4", jpeg), video.DefaultLimits, video.CodeNotVideo},
		{"text", write("notes.mp4", []byte("this is not a video\n")), video.DefaultLimits, video.CodeNotVideo},
		{"audio only", audioOnly, video.DefaultLimits, video.CodeNotVideo},
		{"cut short, index last", cut(moovLast, "cut-moov-last.mp4"), video.DefaultLimits, video.CodeCorrupt},
		{"cut short, index first", cut(good, "cut-faststart.mp4"), video.DefaultLimits, video.CodeCorrupt},
		{"1280x720 over a 1000 px side", big, small, video.CodeTooManyPixels},
		{"2 s over a 1 s limit", good, video.Limits{MaxSide: 1920, MaxPixels: 1920 * 1080, MaxDuration: time.Second}, video.CodeTooLong},
	} {
		_, err := video.Probe(context.Background(), c.path, c.lim)
		var ve *video.Error
		if !errors.As(err, &ve) || ve.Code != c.code {
			t.Errorf("%s: %v, want code %s", c.name, err, c.code)
			continue
		}
		if strings.Contains(ve.Message, dir) {
			t.Errorf("%s: the message names the server's file: %s", c.name, ve.Message)
		}
		t.Logf("%s: %v", c.name, ve)
	}
}

// A probe that takes too long is stopped with its context.
func TestProbeStopsWithItsContext(t *testing.T) {
	path := clip(t, t.TempDir(), "clip.mp4", true)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := video.Probe(ctx, path, video.DefaultLimits); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled probe: %v", err)
	}
}

// A file of large tags is refused before its description, which ffprobe
// prints with every tag JSON-escaped (six bytes for each control
// character: 12 MB for this 2 MB file), is held in the server.
func TestProbeRefusesHugeTags(t *testing.T) {
	dir := t.TempDir()
	meta := filepath.Join(dir, "meta.txt")
	big := strings.Repeat("\x01", 1<<20)
	if err := os.WriteFile(meta, []byte(";FFMETADATA1\nk1="+big+"\nk2="+big+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "tags.mkv")
	ffmpeg(t, "-f", "lavfi", "-t", "1", "-i", "testsrc=size=64x64:rate=10", "-i", meta, "-map", "0:v", "-map_metadata", "1", "-c:v", "libx264", path)
	_, err := video.Probe(context.Background(), path, video.DefaultLimits)
	var verr *video.Error
	if !errors.As(err, &verr) || verr.Code != video.CodeCorrupt || !strings.Contains(verr.Message, "too large") {
		t.Fatalf("probe of a file of huge tags: %v, want corrupt: too large", err)
	}
}
