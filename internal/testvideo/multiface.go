package testvideo

import (
	"fmt"
	"image"
	"os/exec"
	"strconv"
	"sync"
	"testing"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvimage"
	"github.com/livetryon/server/internal/frameid"
	"github.com/livetryon/server/internal/testmedia"
)

// The multi-face clip behaves like real footage of a stage or a room, as
// the synthetic portrait clip does not: several people at once, slow pans,
// hard cuts, a scene with no face at all (seen twice), a small face and a
// face turned away from the camera, which the frontal detector never
// finds. It is composed at test time from the real photographs in
// ../shared/media/faces (PASCAL VOC, from dlib's examples) and the portrait
// in testdata/, so nothing is downloaded and no big file is committed.

// Shot is one run of frames between two cuts.
type Shot struct {
	Name   string
	Frames int
	// draw renders frame j of the shot (0 <= j < Frames) into dst, a
	// MultiFaceWidth x MultiFaceHeight BGR picture.
	draw func(src *multiFaceSources, j int, dst *gocv.Mat)
}

// The multi-face clip's size and rate: those of the stage clip of issue 25.
const (
	MultiFaceWidth, MultiFaceHeight = 640, 360
	MultiFaceFPS                    = 30
)

// MultiFaceShots are the clip's shots, in order. Faces in a shot stay in
// the picture for the whole shot: they come and go only at cuts.
var MultiFaceShots = []Shot{
	// Three people side by side, faces about 140 px wide; a slow pan.
	{Name: "three friends", Frames: 75, draw: func(s *multiFaceSources, j int, dst *gocv.Mat) {
		s.pan(s.photo("2008_002506.jpg"), 1.5, image.Pt(40, 40), image.Pt(100, 60), j, 75, dst)
	}},
	// Dogs, no human face: an empty scene, panned down.
	{Name: "dogs", Frames: 45, draw: func(s *multiFaceSources, j int, dst *gocv.Mat) {
		s.pan(s.photo("dogs.jpg"), 0.75, image.Pt(20, 100), image.Pt(20, 190), j, 45, dst)
	}},
	// A face turned away (the portrait's head squeezed to 40% of its width and
	// mirrored: a face in three-quarter profile, that no frontal detector
	// finds) and a small face, about 64 px wide, over the dogs' lawn.
	{Name: "small and turned", Frames: 60, draw: func(s *multiFaceSources, j int, dst *gocv.Mat) {
		s.pan(s.photo("dogs.jpg"), 0.75, image.Pt(30, 320), image.Pt(10, 320), j, 60, dst)
		dx := -j / 3 // the pasted people pan with the background
		s.paste(dst, s.turned(), image.Pt(400+dx, 40))
		s.paste(dst, s.small(), image.Pt(60+dx, 80))
	}},
	// A group of seven, faces about 90 to 115 px wide, panned slowly.
	{Name: "crowd", Frames: 60, draw: func(s *multiFaceSources, j int, dst *gocv.Mat) {
		s.pan(s.photo("2008_007676.jpg"), 2.2, image.Pt(330, 110), image.Pt(345, 120), j, 60, dst)
	}},
	// The empty scene again: a known-empty scene.
	{Name: "dogs again", Frames: 30, draw: func(s *multiFaceSources, j int, dst *gocv.Mat) {
		s.pan(s.photo("dogs.jpg"), 0.75, image.Pt(20, 190), image.Pt(20, 160), j, 30, dst)
	}},
	// Two people, about 120 and 100 px wide.
	{Name: "pair", Frames: 45, draw: func(s *multiFaceSources, j int, dst *gocv.Mat) {
		s.pan(s.photo("2009_004587.jpg"), 1.6, image.Pt(0, 20), image.Pt(0, 40), j, 45, dst)
	}},
}

// MultiFaceFrames is the clip's length.
func MultiFaceFrames() int {
	n := 0
	for _, s := range MultiFaceShots {
		n += s.Frames
	}
	return n
}

// MultiFaceCuts are the first frames of the shots after the first.
func MultiFaceCuts() []int {
	var cuts []int
	n := 0
	for _, s := range MultiFaceShots[:len(MultiFaceShots)-1] {
		n += s.Frames
		cuts = append(cuts, n)
	}
	return cuts
}

// MultiFaceShotAt is the shot frame i belongs to and the frame's index in it.
func MultiFaceShotAt(i int) (shot, j int) {
	for k, s := range MultiFaceShots {
		if i < s.Frames {
			return k, i
		}
		i -= s.Frames
	}
	return len(MultiFaceShots) - 1, i
}

// multiFaceSources are the decoded photos, loaded once per test binary.
type multiFaceSources struct {
	photos                map[string]gocv.Mat
	turnedFace, smallFace gocv.Mat
}

var (
	sourcesOnce sync.Once
	sources     *multiFaceSources
	sourcesErr  error
	sourcesMu   sync.Mutex // the sources' Mats are read by one frame at a time
)

func loadSources() (*multiFaceSources, error) {
	sourcesOnce.Do(func() {
		s := &multiFaceSources{photos: map[string]gocv.Mat{}}
		for _, name := range []string{"2008_002506.jpg", "2008_007676.jpg", "2009_004587.jpg", "dogs.jpg"} {
			m, err := cvimage.ReadFile(testmedia.RepoPath("../shared/media/faces/" + name))
			if err != nil {
				sourcesErr = fmt.Errorf("../shared/media/faces/%s: %w", name, err)
				return
			}
			s.photos[name] = m
		}
		portrait, err := cvimage.ReadFile(testmedia.Path("obama-480p.jpg"))
		if err != nil {
			sourcesErr = err
			return
		}
		defer portrait.Close()
		// The portrait's upper body, its face about 125 px wide, shrunk to
		// a face of about 66 px: under the detector's usual reach in a
		// 640 px frame (80 px), within its finer search's (60 px).
		body := portrait.Region(image.Rect(250, 0, 650, 480))
		defer body.Close()
		s.smallFace = gocv.NewMat()
		gocv.Resize(body, &s.smallFace, image.Pt(212, 254), 0, 0, gocv.InterpolationArea)
		// The head, squeezed to 40% of its width for 93% of its height.
		head := portrait.Region(image.Rect(300, 20, 600, 320))
		defer head.Close()
		squeezed := gocv.NewMat()
		defer squeezed.Close()
		gocv.Resize(head, &squeezed, image.Pt(120, 280), 0, 0, gocv.InterpolationArea)
		s.turnedFace = gocv.NewMat()
		gocv.Flip(squeezed, &s.turnedFace, 1)
		sources = s
	})
	return sources, sourcesErr
}

func (s *multiFaceSources) photo(name string) gocv.Mat { return s.photos[name] }
func (s *multiFaceSources) turned() gocv.Mat           { return s.turnedFace }
func (s *multiFaceSources) small() gocv.Mat            { return s.smallFace }

// pan scales src by scale and copies the window at the point j/n of the
// way from `from` to `to` (its top-left corner, in scaled pixels) into dst.
func (s *multiFaceSources) pan(src gocv.Mat, scale float64, from, to image.Point, j, n int, dst *gocv.Mat) {
	big := gocv.NewMat()
	defer big.Close()
	interp := gocv.InterpolationLinear
	if scale < 1 {
		interp = gocv.InterpolationArea
	}
	gocv.Resize(src, &big, image.Pt(int(float64(src.Cols())*scale), int(float64(src.Rows())*scale)), 0, 0, interp)
	f := float64(j) / float64(max(1, n-1))
	x := from.X + int(f*float64(to.X-from.X)+0.5)
	y := from.Y + int(f*float64(to.Y-from.Y)+0.5)
	x = max(0, min(x, big.Cols()-MultiFaceWidth))
	y = max(0, min(y, big.Rows()-MultiFaceHeight))
	win := big.Region(image.Rect(x, y, x+MultiFaceWidth, y+MultiFaceHeight))
	defer win.Close()
	win.CopyTo(dst)
}

// paste copies pic into dst with its top-left corner at at, clipped.
func (s *multiFaceSources) paste(dst *gocv.Mat, pic gocv.Mat, at image.Point) {
	r := image.Rect(at.X, at.Y, at.X+pic.Cols(), at.Y+pic.Rows()).Intersect(image.Rect(0, 0, dst.Cols(), dst.Rows()))
	if r.Empty() {
		return
	}
	from := pic.Region(r.Sub(at))
	defer from.Close()
	to := dst.Region(r)
	defer to.Close()
	from.CopyTo(&to)
}

// MultiFaceFrame draws frame i of the multi-face clip, upright and before
// compression, into dst (BGR, MultiFaceWidth x MultiFaceHeight), with its
// number stamped (internal/frameid).
func MultiFaceFrame(t testing.TB, i int, dst *gocv.Mat) {
	t.Helper()
	src, err := loadSources()
	if err != nil {
		t.Skipf("the multi-face clip needs the shared test media: %v", err)
	}
	if dst.Cols() != MultiFaceWidth || dst.Rows() != MultiFaceHeight || dst.Type() != gocv.MatTypeCV8UC3 {
		dst.Close()
		*dst = gocv.NewMatWithSize(MultiFaceHeight, MultiFaceWidth, gocv.MatTypeCV8UC3)
	}
	shot, j := MultiFaceShotAt(i)
	sourcesMu.Lock()
	MultiFaceShots[shot].draw(src, j, dst)
	sourcesMu.Unlock()
	frameid.Stamp(dst, i)
}

// MakeMultiFaceClip writes the multi-face clip to path with Debian's
// ffmpeg: H.264 4:2:0 in MP4, a key frame every 2 s (as cameras and phones
// write them, so most cuts fall between key frames), with a sine-wave
// track.
func MakeMultiFaceClip(t testing.TB, path string) {
	t.Helper()
	n := MultiFaceFrames()
	args := []string{"-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24",
		"-video_size", fmt.Sprintf("%dx%d", MultiFaceWidth, MultiFaceHeight), "-framerate", strconv.Itoa(MultiFaceFPS), "-i", "pipe:0",
		"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:sample_rate=48000:duration=%g", float64(n)/MultiFaceFPS),
		"-map", "0:v", "-map", "1:a", "-c:a", "aac",
		"-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-g", "60", "-pix_fmt", "yuv420p", path}
	cmd := exec.Command("ffmpeg", args...)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &limitedOutput{}
	cmd.Stderr = out
	img := gocv.NewMatWithSize(MultiFaceHeight, MultiFaceWidth, gocv.MatTypeCV8UC3)
	defer img.Close()
	MultiFaceFrame(t, 0, &img) // skips before ffmpeg starts if the media are missing
	if err := cmd.Start(); err != nil {
		t.Fatalf("ffmpeg (scripts/install-deps.sh installs it): %v", err)
	}
	for i := 0; i < n; i++ {
		MultiFaceFrame(t, i, &img)
		pix, _ := img.DataPtrUint8()
		if _, err := in.Write(pix); err != nil {
			break
		}
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ffmpeg making the multi-face clip: %v: %s", err, out.b)
	}
}
