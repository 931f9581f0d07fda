package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/internal/testvideo"
)

// process runs `livetryon process args...` and returns its exit code and
// what it wrote.
func process(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(ctx, append([]string{"process"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// A clip through the command line comes back as the server's jobs do:
// every frame in order, lips recoloured, H.264 4:2:0 faststart, the
// clip's rate, frames and sound, and a progress bar on the way.
func TestProcessCommand(t *testing.T) {
	dir := t.TempDir()
	c := testvideo.VideoClip{Width: 640, Height: 360, Frames: 60, FPS: 30, Audio: true}
	in, out := filepath.Join(dir, "in.mp4"), filepath.Join(dir, "out.mp4")
	testvideo.MakeVideoClip(t, in, c)
	code, stdout, stderr := process(t, context.Background(), in, out, "--effects", "lipstick:#0000ff", "--workers", "2")
	t.Logf("stdout: %s", stdout)
	if code != exitOK || !strings.Contains(stdout, "60 frames") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	// stderr is not a terminal here: plain lines, as a log wants them.
	if !strings.Contains(stderr, "60/60 frames") || !strings.Contains(stderr, "frames/s") || strings.Contains(stderr, "\r") {
		t.Errorf("want plain progress lines with the count and the rate on stderr, no bar: %q", stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if r := lineRate(line); r > 5000 {
			t.Errorf("an absurd rate in %q", line)
		}
	}
	testvideo.CheckTryOnClip(t, c, out)
	if _, err := os.Stat(out + ".part.mp4"); !os.IsNotExist(err) {
		t.Errorf("the partial file is left: %v", err)
	}
}

// Exit codes scripts can rely on.
func TestProcessExitCodes(t *testing.T) {
	dir := t.TempDir()
	photo := filepath.Join(dir, "photo.mp4")
	os.WriteFile(photo, testmedia.WebcamJPEG(t), 0o644)
	clip := filepath.Join(dir, "in.mp4")
	testvideo.MakeVideoClip(t, clip, testvideo.VideoClip{Width: 320, Height: 240, Frames: 300, FPS: 30})
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		args []string
		code int
		says string
	}{
		{"one path", context.Background(), []string{clip}, exitUsage, "want IN and OUT"},
		{"bad effects", context.Background(), []string{clip, filepath.Join(dir, "o.mp4"), "--effects", "hat"}, exitUsage, "--effects"},
		{"unknown look", context.Background(), []string{clip, filepath.Join(dir, "o.mp4"), "--look", "party"}, exitUsage, "look: unknown look"},
		{"bad finish on a look", context.Background(), []string{clip, filepath.Join(dir, "o.mp4"), "--look", "bold", "--effects", "lipstick:#ff0000:glitter"}, exitUsage, "effects[0].finish"},
		{"a photo", context.Background(), []string{photo, filepath.Join(dir, "o.mp4")}, exitRefused, "not_video"},
		{"missing", context.Background(), []string{filepath.Join(dir, "none.mp4"), filepath.Join(dir, "o.mp4")}, exitRefused, "none.mp4"},
		{"no such output folder", context.Background(), []string{clip, filepath.Join(dir, "nowhere", "o.mp4")}, exitUsage, "does not exist"},
		{"output is a folder", context.Background(), []string{clip, dir}, exitUsage, "is a folder"},
		{"interrupted", cancelled, []string{clip, filepath.Join(dir, "o.mp4")}, exitInterrupted, ""},
	} {
		code, _, stderr := process(t, tc.ctx, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.says) {
			t.Errorf("%s: exit %d, %q; want %d saying %q", tc.name, code, stderr, tc.code, tc.says)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "o.mp4")); !os.IsNotExist(err) {
		t.Errorf("a failed run left its output: %v", err)
	}
	var stderr bytes.Buffer
	if code := run(context.Background(), nil, &bytes.Buffer{}, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "usage: livetryon process") {
		t.Errorf("no arguments: exit %d, %q", code, stderr.String())
	}
}

// lineRate is the frames/s figure of a progress line, or 0.
func lineRate(line string) float64 {
	var r float64
	if i := strings.Index(line, " frames/s"); i > 0 {
		j := strings.LastIndex(line[:i], " ")
		fmt.Sscan(line[j+1:i], &r)
	}
	return r
}
