// Package testvideo makes the video clips of the tests at test time, from
// the repository's photo, and checks what the server made of them.
package testvideo

import (
	"context"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvimage"
	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/frameid"
	"github.com/livetryon/server/internal/testmedia"
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
	src, err := cvimage.ReadFile(testmedia.Path("obama-480p.jpg"))
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

// FFprobeField is one field of the first video stream, as ffprobe says.
func FFprobeField(t testing.TB, path, field string) string {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream="+field,
		"-of", "default=noprint_wrappers=1:nokey=1", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// topLevelBoxes are the names of an MP4's top-level boxes, in file order.
func topLevelBoxes(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for at := 0; at+8 <= len(b); {
		size := int(uint32(b[at])<<24 | uint32(b[at+1])<<16 | uint32(b[at+2])<<8 | uint32(b[at+3]))
		names = append(names, string(b[at+4:at+8]))
		if size < 8 {
			break
		}
		at += size
	}
	return names
}

// CheckTryOnClip checks the try-on result out of the clip c, made with
// blue lipstick: every frame there, in order (the stamped numbers read
// back), lips blue where the original's lips are, H.264 4:2:0 with the
// moov first, and the clip's size, rotation, rate, frame count and sound.
func CheckTryOnClip(t testing.TB, c VideoClip, out string) {
	t.Helper()
	info, err := video.Probe(context.Background(), out, video.DefaultLimits)
	if err != nil {
		t.Fatalf("the result does not probe: %v", err)
	}
	if info.Codec != "h264" || info.Width != c.Width || info.Height != c.Height || info.Frames != c.Frames || info.FrameRate != "30/1" {
		t.Errorf("result %+v; want h264 %dx%d, %d frames at 30/1", info, c.Width, c.Height, c.Frames)
	}
	if info.Rotation != c.Rotation {
		t.Errorf("result rotation %d, want the clip's %d", info.Rotation, c.Rotation)
	}
	if c.Audio && (!info.HasAudio || info.AudioCodec != "aac") {
		t.Errorf("result audio %v %q; want the clip's AAC track", info.HasAudio, info.AudioCodec)
	}
	if pf := FFprobeField(t, out, "pix_fmt"); pf != "yuv420p" {
		t.Errorf("pixel format %q, want yuv420p", pf)
	}
	boxes := strings.Join(topLevelBoxes(t, out), " ")
	if m, d := strings.Index(boxes, "moov"), strings.Index(boxes, "mdat"); m < 0 || d < 0 || m > d {
		t.Errorf("boxes %s: moov must come before mdat (faststart)", boxes)
	}

	orig := gocv.NewMatWithSize(c.Height, c.Width, gocv.MatTypeCV8UC3)
	defer orig.Close()
	checked := 0
	n := VideoFrames(t, out, c.Width, c.Height, func(i int, img gocv.Mat) {
		if id, ok := frameid.ReadImage(img); !ok || id != i%frameid.Modulo {
			t.Errorf("frame %d of the result carries number %d (read: %v)", i, id, ok)
		}
		if i%15 != 7 {
			return
		}
		ClipFrame(t, c, i, &orig)
		jpg, err := cvjpeg.EncodeBytes(orig, cvjpeg.Options{Quality: 95})
		if err != nil {
			t.Fatal(err)
		}
		faces := testmedia.Faces(t, jpg)
		if len(faces) != 1 {
			t.Fatalf("the clip's frame %d has %d faces", i, len(faces))
		}
		lip := testmedia.LipPoint(faces[0])
		if before, after := testmedia.Blueness(orig, lip), testmedia.Blueness(img, lip); after < before+40 {
			t.Errorf("frame %d: lips' blueness %d → %d; not recoloured", i, before, after)
		}
		checked++
	})
	if n != c.Frames || checked == 0 {
		t.Errorf("the result has %d frames (lips checked on %d); the clip has %d", n, checked, c.Frames)
	}
}
