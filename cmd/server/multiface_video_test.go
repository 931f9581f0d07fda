package main

import (
	"bytes"
	"encoding/json"
	"image"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/frameid"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/internal/testvideo"
	"github.com/livetryon/server/pkg/pipeline"
)

// photoFace is a face as POST /api/v1/landmarks gives it.
type photoFace struct {
	Box struct {
		X, Y, W, H int
	} `json:"box"`
	Points [][2]int `json:"points"`
}

func (f photoFace) rect() image.Rectangle {
	return image.Rect(f.Box.X, f.Box.Y, f.Box.X+f.Box.W, f.Box.Y+f.Box.H)
}

// lip is a point just inside the lower lip (testmedia.LipPoint).
func (f photoFace) lip() image.Point {
	return image.Pt((f.Points[57][0]+f.Points[66][0])/2, (f.Points[57][1]+f.Points[66][1])/2)
}

// photoAPIFaces asks the server's photo API for the faces of a picture.
func photoAPIFaces(t *testing.T, base string, img gocv.Mat) []photoFace {
	t.Helper()
	jpg, err := cvjpeg.EncodeBytes(img, cvjpeg.Options{Quality: 95})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(base+"/api/v1/landmarks", "image/jpeg", bytes.NewReader(jpg))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Faces []photoFace `json:"faces"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("photo API: %d %v", resp.StatusCode, err)
	}
	for _, f := range got.Faces {
		if len(f.Points) != 68 {
			t.Fatalf("photo API: a face with %d points", len(f.Points))
		}
	}
	return got.Faces
}

// The multi-face clip (several people, pans, hard cuts, an empty scene
// seen twice, a small face and a turned one) through POST /api/v1/videos
// with blue lipstick, the real pipeline and ffmpeg:
//   - every frame comes out, in order (the stamped numbers read back);
//   - each face the photo API finds on a frame, at least an eighth of the
//     frame wide (the smallest the server promises to find) and wholly in
//     the picture, has blue lips in the video's answer to that frame, from
//     pipeline.SearchLagAfterCut frames after the cut that brought it on;
//   - no frame carries lipstick, so landmarks, away from the faces the
//     photo API finds on that frame: none of a face that left at a cut.
//
// Frames are checked in every shot's first frames and every fifth frame.
func TestMultiFaceVideoThroughTheAPI(t *testing.T) {
	dir := t.TempDir()
	clip := filepath.Join(dir, "multiface.mp4")
	testvideo.MakeMultiFaceClip(t, clip)
	base := startServerWith(t, "--data-dir", filepath.Join(dir, "data"))
	n := testvideo.MultiFaceFrames()

	// The frames checked, and how far each is from the start of its shot.
	sinceCut := map[int]int{}
	first := 0
	for _, s := range testvideo.MultiFaceShots {
		for j := range s.Frames {
			if j <= pipeline.SearchLagAfterCut+2 || j%5 == 2 {
				sinceCut[first+j] = j
			}
		}
		first += s.Frames
	}
	inputs := map[int]gocv.Mat{}
	defer func() {
		for _, m := range inputs {
			m.Close()
		}
	}()
	testvideo.VideoFrames(t, clip, testvideo.MultiFaceWidth, testvideo.MultiFaceHeight, func(i int, img gocv.Mat) {
		if _, ok := sinceCut[i]; ok {
			inputs[i] = img.Clone()
		}
	})
	faces := map[int][]photoFace{}
	for i, img := range inputs {
		faces[i] = photoAPIFaces(t, base, img)
	}

	job := uploadJob(t, base, clip, map[string]string{"effects": "lipstick:#0000ff"})
	events := readEvents(t, base+job.Links.Events)
	if len(events) == 0 || events[len(events)-1].name != "done" {
		t.Fatalf("events: %+v; want the last one done", events)
	}
	t.Logf("done: %d frames at %.0f frames/s", events[len(events)-1].job.FramesDone, events[len(events)-1].job.FPS)
	resp, err := http.Get(base + job.Links.Result)
	if err != nil {
		t.Fatal(err)
	}
	result, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	out := filepath.Join(dir, "result.mp4")
	if err := os.WriteFile(out, result, 0o644); err != nil {
		t.Fatal(err)
	}

	minFace := int(pipeline.DefaultConfig().MinFace * testvideo.MultiFaceWidth)
	frame := image.Rect(0, 0, testvideo.MultiFaceWidth, testvideo.MultiFaceHeight)
	// Lipstick anywhere but on a face the photo API found: the grid skips
	// the frame number's squares along the bottom.
	grid := image.Rect(2, 2, testvideo.MultiFaceWidth-2, testvideo.MultiFaceHeight-20)
	found, expected, stray := 0, 0, 0
	got := testvideo.VideoFrames(t, out, testvideo.MultiFaceWidth, testvideo.MultiFaceHeight, func(i int, img gocv.Mat) {
		if id, ok := frameid.ReadImage(img); !ok || id != i%frameid.Modulo {
			t.Errorf("frame %d of the result carries number %d (read: %v)", i, id, ok)
		}
		in, ok := inputs[i]
		if !ok {
			return
		}
		shot, j := testvideo.MultiFaceShotAt(i)
		name := testvideo.MultiFaceShots[shot].Name
		var allowed []image.Rectangle
		for _, f := range faces[i] {
			r := f.rect()
			allowed = append(allowed, r.Inset(-r.Dx()/4))
			if r.Dx() < minFace || !r.In(frame.Inset(2)) || j < pipeline.SearchLagAfterCut {
				continue
			}
			expected++
			lip := f.lip()
			if before, after := testmedia.Blueness(in, lip), testmedia.Blueness(img, lip); after >= before+40 {
				found++
			} else {
				t.Errorf("%s, frame %d (%d after the cut): the face at %v the photo API finds has lips' blueness %d → %d; not found",
					name, i, j, r, before, after)
			}
		}
		for y := grid.Min.Y; y < grid.Max.Y; y += 3 {
			for x := grid.Min.X; x < grid.Max.X; x += 3 {
				p := image.Pt(x, y)
				if testmedia.Blueness(img, p) < testmedia.Blueness(in, p)+40 {
					continue
				}
				inFace := false
				for _, r := range allowed {
					inFace = inFace || p.In(r)
				}
				if !inFace {
					stray++
					if stray <= 5 {
						t.Errorf("%s, frame %d (%d after the cut): lipstick at %v, away from the faces the photo API finds there %v",
							name, i, j, p, allowed)
					}
				}
			}
		}
	})
	if got != n {
		t.Errorf("the result has %d frames; the clip has %d", got, n)
	}
	t.Logf("%d of %d faces found on %d frames checked; %d stray lipstick points", found, expected, len(inputs), stray)
	if expected == 0 {
		t.Error("no face to check: the clip is not what it should be")
	}
}
