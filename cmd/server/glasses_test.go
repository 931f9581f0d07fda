package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/internal/testvideo"
)

// writeGlassesFrame makes a user's frame folder: a 700x200 front.png whose
// lenses are filled, the left one green and the right one magenta,
// centred at (192, 100) and (507, 100), 140 mm wide.
func writeGlassesFrame(t *testing.T, dir, name string, opaque bool) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 700, 200))
	for y := 0; y < 200; y++ {
		for x := 0; x < 700; x++ {
			switch {
			case math.Hypot(float64(x)-192, float64(y)-100) < 80:
				img.SetNRGBA(x, y, color.NRGBA{0, 255, 0, 255})
			case math.Hypot(float64(x)-507, float64(y)-100) < 80:
				img.SetNRGBA(x, y, color.NRGBA{255, 0, 255, 255})
			case opaque:
				img.SetNRGBA(x, y, color.NRGBA{0, 0, 0, 255})
			}
		}
	}
	folder := filepath.Join(dir, name)
	os.MkdirAll(folder, 0o755)
	var buf bytes.Buffer
	if opaque { // as an RGB picture, no alpha channel at all
		rgb := image.NewRGBA(img.Rect)
		copy(rgb.Pix, img.Pix)
		png.Encode(&buf, rgb)
	} else {
		png.Encode(&buf, img)
	}
	os.WriteFile(filepath.Join(folder, "front.png"), buf.Bytes(), 0o644)
	meta, _ := json.Marshal(map[string]any{"name": name, "title": "Test " + name, "width_mm": 140, "lens_centers": [][2]int{{192, 100}, {507, 100}}})
	os.WriteFile(filepath.Join(folder, "glasses.json"), meta, 0o644)
}

type glassesList struct {
	Glasses []struct {
		Name, Title, Thumbnail string
		WidthMM                float64 `json:"width_mm"`
		Builtin                bool
	}
}

// --glasses-dir adds a user's frames to the catalogue and refuses a bad
// one at start-up, naming its file; GET /api/v1/glasses lists them all
// with thumbnails that are PNGs; the photo API and video jobs take the
// user's frame as a style.
func TestGlassesDirAndCatalogueAPI(t *testing.T) {
	dir := t.TempDir()
	writeGlassesFrame(t, dir, "server-test-frame", false)
	writeGlassesFrame(t, dir, "server-test-opaque", true)
	_, base, logs := runServer(t, nil, "--glasses-dir", dir)

	bad := filepath.Join(dir, "server-test-opaque", "front.png")
	if l := logs.String(); !strings.Contains(l, "glasses frame refused") || !strings.Contains(l, bad) || !strings.Contains(l, "no alpha") {
		t.Errorf("no log line refusing %s for its missing alpha:\n%s", bad, l)
	}

	code, ctype, body := get(t, base+"/api/v1/glasses")
	var list glassesList
	if code != 200 || ctype != "application/json" || json.Unmarshal([]byte(body), &list) != nil {
		t.Fatalf("GET /api/v1/glasses: %d %s %s", code, ctype, body)
	}
	names := map[string]bool{}
	for _, g := range list.Glasses {
		names[g.Name] = true
		code, ctype, thumb := get(t, base+g.Thumbnail)
		img, err := png.Decode(strings.NewReader(thumb))
		if code != 200 || ctype != "image/png" || err != nil || img.Bounds().Dx() != 160 {
			t.Errorf("%s's thumbnail %s: %d %s, %v", g.Name, g.Thumbnail, code, ctype, err)
		}
		if g.Title == "" || g.WidthMM < 60 || g.Builtin == (g.Name == "server-test-frame") {
			t.Errorf("entry %+v", g)
		}
	}
	for _, want := range []string{"round", "cat-eye", "rectangular", "aviator", "acetate", "rimless", "server-test-frame"} {
		if !names[want] {
			t.Errorf("%s not listed: %v", want, names)
		}
	}
	if names["server-test-opaque"] {
		t.Error("the refused frame is listed")
	}
	if code, _, body := get(t, base+"/api/v1/glasses/nope/thumbnail.png"); code != 404 || !strings.Contains(body, "not_found") {
		t.Errorf("unknown thumbnail: %d %s", code, body)
	}

	// The photo API draws the user's frame: its green lens on the left eye.
	jpg, err := os.ReadFile(testmedia.Path("obama-480p.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	face := testmedia.Faces(t, jpg)[0]
	effectsParam := url.QueryEscape(`[{"name":"glasses","style":"server-test-frame"}]`)
	resp, err := http.Post(base+"/api/v1/tryon?effects="+effectsParam, "image/jpeg", bytes.NewReader(jpg))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	out.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("photo API: %d %s", resp.StatusCode, out.String())
	}
	m, err := cvjpeg.Decode(out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var ex, ey int
	for _, p := range face.Points[36:42] {
		ex += p.X
		ey += p.Y
	}
	v := m.GetVecbAt(ey/6, ex/6) // BGR
	if v[1] < 180 || v[0] > 90 || v[2] > 90 {
		t.Errorf("left eye centre is %v in the answer, want the frame's green lens", v)
	}

	// A video job takes it too; an unknown style is refused.
	clip := filepath.Join(t.TempDir(), "clip.mp4")
	testvideo.MakeVideoClip(t, clip, testvideo.VideoClip{Width: 320, Height: 240, Frames: 10, FPS: 10})
	uploadJob(t, base, clip, map[string]string{"effects": "glasses:server-test-frame"})
	resp2, body2 := uploadVideo(t, base, clip, map[string]string{"effects": "glasses:no-such-frame"})
	if resp2.StatusCode != 400 || !strings.Contains(string(body2), "bad_effects") || !strings.Contains(string(body2), "server-test-frame") {
		t.Errorf("unknown style: %d %s, want bad_effects listing the catalogue", resp2.StatusCode, body2)
	}
}

// TestBrowserGlassesCatalogue: the page shows the catalogue's thumbnails,
// the built-in frames and a user's one from --glasses-dir; clicking the
// user's frame puts it on the answered pictures (its green lens over the
// left eye), and the list shows it chosen.
func TestBrowserGlassesCatalogue(t *testing.T) {
	dir := t.TempDir()
	writeGlassesFrame(t, dir, "page-test-frame", false)
	_, base, _ := runServer(t, nil, "--glasses-dir", dir, "--log-level", "warn")
	b := startBrowser(t, fakeCameraClip(t))
	b.run(t, chromedp.Navigate(base+"/"))
	b.waitAnswered(t, 3, 60*time.Second)

	var thumbs []string
	deadline := time.Now().Add(20 * time.Second)
	for len(thumbs) < 7 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		b.run(t, chromedp.Evaluate(`[...document.querySelectorAll('#glasses-catalogue button img')]
			.filter((img) => img.complete && img.naturalWidth === 160).map((img) => img.closest('button').dataset.style)`, &thumbs))
	}
	if len(thumbs) < 7 || !slices.Contains(thumbs, "page-test-frame") || !slices.Contains(thumbs, "cat-eye") {
		t.Fatalf("thumbnails shown: %v; want the six built-in frames and page-test-frame", thumbs)
	}

	b.run(t, chromedp.Click(`#glasses-catalogue button[data-style="page-test-frame"]`, chromedp.ByQuery))
	var chosen string
	b.run(t, chromedp.Evaluate(`document.getElementById('glasses').value`, &chosen))
	if chosen != "page-test-frame" {
		t.Errorf("the Glasses list shows %q after the click", chosen)
	}
	// lensRatio waits for an answer with the green lens on the left eye and
	// returns the lens's width on the eye's row over the inter-ocular
	// distance.
	lensRatio := func(what string) float64 {
		deadline := time.Now().Add(30 * time.Second)
		for {
			time.Sleep(500 * time.Millisecond)
			pair := b.lastPair(t)
			sentJPEG, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(pair.Sent, "data:image/jpeg;base64,"))
			faces := testmedia.Faces(t, sentJPEG)
			answered := decodeDataURL(t, pair.Answered)
			isGreen := func(x, y int) bool {
				if x < 0 || x >= answered.Cols() {
					return false
				}
				v := answered.GetVecbAt(y, x)
				return v[1] > 170 && v[0] < 100 && v[2] < 100
			}
			ratio, seen := 0.0, false
			if len(faces) == 1 {
				var ex, ey int
				for _, p := range faces[0].Points[36:42] {
					ex += p.X
					ey += p.Y
				}
				ex, ey = ex/6, ey/6
				if seen = isGreen(ex, ey); seen {
					x0, x1 := ex, ex
					for isGreen(x0-1, ey) {
						x0--
					}
					for isGreen(x1+1, ey) {
						x1++
					}
					ratio = float64(x1-x0+1) / faces[0].Points.InterOcular()
				}
			}
			answered.Close()
			if seen {
				t.Logf("%s: the chosen frame's green lens on the left eye, %.2f of the inter-ocular distance wide", what, ratio)
				return ratio
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the answers' left eye is not the frame's green lens (faces %d)", what, len(faces))
			}
		}
	}
	wide := lensRatio("after the click")

	// The pupil distance field: a wider-set pair of eyes is a bigger head,
	// so the same frame is drawn narrower on it.
	b.run(t, chromedp.SetValue(`#ipd`, "75", chromedp.ByQuery), chromedp.Evaluate(`document.getElementById('ipd').dispatchEvent(new Event('input'))`, nil))
	deadline = time.Now().Add(30 * time.Second)
	for {
		narrow := lensRatio("with 75 mm")
		if narrow < 0.92*wide {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pupil distance 75 mm: the lens is %.2f of the eye spacing, %.2f at 63: want it narrower", narrow, wide)
		}
	}
	// A link can preset any catalogue frame and the pupil distance.
	b.run(t, chromedp.Navigate(base+"/?glasses=cat-eye&ipd=66"))
	var preset struct{ Glasses, IPD, Pressed string }
	deadline = time.Now().Add(20 * time.Second)
	for preset.Pressed != "cat-eye" && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		b.run(t, chromedp.Evaluate(`({glasses: document.getElementById('glasses').value, ipd: document.getElementById('ipd').value,
			pressed: document.querySelector('#glasses-catalogue button[aria-pressed="true"]')?.dataset.style || ''})`, &preset))
	}
	if preset.Glasses != "cat-eye" || preset.IPD != "66" || preset.Pressed != "cat-eye" {
		t.Errorf("?glasses=cat-eye&ipd=66: the page shows %+v", preset)
	}
	if errs := b.pageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}
