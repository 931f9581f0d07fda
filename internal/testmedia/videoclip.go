package testmedia

import (
	"fmt"
	"image"
	"io"
	"math"
	"os/exec"
	"strconv"
	"testing"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvimage"
	"github.com/livetryon/server/internal/frameid"
	"github.com/livetryon/server/pkg/video"
)

// VideoClip describes a clip MakeVideoClip writes: obama-480p.jpg seen
// through a window that drifts across the face, each frame's number
// stamped in its pixels (internal/frameid), H.264 4:2:0 in MP4.
type VideoClip struct {
	Width, Height int // as displayed, upright
	Frames        int
	FPS           int
	Audio         bool // a 440 Hz sine, AAC, as long as the video
	// Rotation stores the pictures turned by this many degrees
	// anticlockwise, with the MP4 rotation that shows them upright, as a
	// phone held upright writes them.
	Rotation int
}

// ClipFrame draws frame i of c, upright, into dst (BGR, c.Width x
// c.Height): the picture the clip's frame i shows, before compression.
func ClipFrame(t testing.TB, c VideoClip, i int, dst *gocv.Mat) {
	t.Helper()
	src, err := cvimage.ReadFile(Path("obama-480p.jpg"))
	if err != nil {
		t.Fatal("cannot read testdata/obama-480p.jpg")
	}
	defer src.Close()
	// Scale the photo so the window is 90% of it across or down, then
	// drift the window around the middle, by up to a tenth of its size: the
	// face moves, as a hand-held phone's does, and stays in the picture.
	scale := math.Max(float64(c.Width)/(0.9*float64(src.Cols())), float64(c.Height)/(0.9*float64(src.Rows())))
	big := gocv.NewMat()
	defer big.Close()
	gocv.Resize(src, &big, image.Pt(int(float64(src.Cols())*scale), int(float64(src.Rows())*scale)), 0, 0, gocv.InterpolationArea)
	spareX, spareY := big.Cols()-c.Width, big.Rows()-c.Height
	phase := 2 * math.Pi * float64(i) / 60
	ampX := math.Min(float64(spareX)/2*0.8, float64(c.Width)/10)
	ampY := math.Min(float64(spareY)/2*0.8, float64(c.Height)/10)
	x := spareX/2 + int(ampX*math.Sin(phase))
	y := spareY/2 + int(ampY*math.Cos(phase))
	win := big.Region(image.Rect(x, y, x+c.Width, y+c.Height))
	win.CopyTo(dst)
	win.Close()
	frameid.Stamp(dst, i)
}

// MakeVideoClip writes c to path with Debian's ffmpeg.
func MakeVideoClip(t testing.TB, path string, c VideoClip) {
	t.Helper()
	args := []string{"-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24",
		"-video_size", fmt.Sprintf("%dx%d", c.Width, c.Height), "-framerate", strconv.Itoa(c.FPS), "-i", "pipe:0"}
	if c.Audio {
		args = append(args, "-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:sample_rate=48000:duration=%g", float64(c.Frames)/float64(c.FPS)),
			"-map", "0:v", "-map", "1:a", "-c:a", "aac")
	}
	switch c.Rotation {
	case 90:
		args = append(args, "-vf", "transpose=cclock")
	case 180:
		args = append(args, "-vf", "hflip,vflip")
	case 270:
		args = append(args, "-vf", "transpose=clock")
	}
	args = append(args, "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-g", "30", "-pix_fmt", "yuv420p", path)
	cmd := exec.Command("ffmpeg", args...)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &limitedOutput{}
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		t.Fatalf("ffmpeg (scripts/install-deps.sh installs it): %v", err)
	}
	img := gocv.NewMatWithSize(c.Height, c.Width, gocv.MatTypeCV8UC3)
	defer img.Close()
	for i := 0; i < c.Frames; i++ {
		ClipFrame(t, c, i, &img)
		pix, _ := img.DataPtrUint8()
		if _, err := in.Write(pix); err != nil {
			break
		}
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ffmpeg making the clip: %v: %s", err, out.b)
	}
	if c.Rotation != 0 {
		if err := video.SetRotation(path, c.Rotation); err != nil {
			t.Fatal(err)
		}
	}
}

// VideoFrames decodes path as displayed (upright) and calls fn with each
// frame, in order; it returns how many there were.
func VideoFrames(t testing.TB, path string, width, height int, fn func(i int, img gocv.Mat)) int {
	t.Helper()
	cmd := exec.Command("ffmpeg", "-v", "error", "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough",
		"-f", "rawvideo", "-pix_fmt", "bgr24", "pipe:1")
	r, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &limitedOutput{}
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	img := gocv.NewMatWithSize(height, width, gocv.MatTypeCV8UC3)
	defer img.Close()
	pix, _ := img.DataPtrUint8()
	n := 0
	for ; ; n++ {
		if _, err := io.ReadFull(r, pix); err != nil {
			if err != io.EOF {
				t.Errorf("frame %d: %v", n, err)
			}
			break
		}
		fn(n, img)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ffmpeg decoding %s: %v: %s", path, err, out.b)
	}
	return n
}

type limitedOutput struct{ b []byte }

func (l *limitedOutput) Write(p []byte) (int, error) {
	if len(l.b) < 4096 {
		l.b = append(l.b, p[:min(len(p), 4096-len(l.b))]...)
	}
	return len(p), nil
}
