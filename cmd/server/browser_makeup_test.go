package main

import (
	"encoding/base64"
	"image"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/landmarks"
)

// lookPair is what a look did to the newest answered frame: lip redness
// and blueness and the lids' luminance, in the camera frame and in the
// answer.
type lookPair struct {
	red0, red1, blue0, blue1 int
	lid0, lid1               float64
}

func measureLook(t *testing.T, pair pagePair) (lookPair, bool) {
	t.Helper()
	sentJPEG, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(pair.Sent, "data:image/jpeg;base64,"))
	faces := testmedia.Faces(t, sentJPEG)
	if len(faces) != 1 {
		return lookPair{}, false
	}
	sent := decodeDataURL(t, pair.Sent)
	defer sent.Close()
	answered := decodeDataURL(t, pair.Answered)
	defer answered.Close()
	lip := testmedia.LipPoint(faces[0])
	s := &faces[0].Points
	return lookPair{
		red0: testmedia.Redness(sent, lip), red1: testmedia.Redness(answered, lip),
		blue0: testmedia.Blueness(sent, lip), blue1: testmedia.Blueness(answered, lip),
		lid0: lids(sent, s), lid1: lids(answered, s),
	}, true
}

// lids is the mean luminance between the upper eye contours and the brows.
func lids(img gocv.Mat, s *landmarks.Shape) float64 {
	var sum float64
	n := 0
	for _, pair := range [][2]int{{37, 19}, {38, 20}, {43, 23}, {44, 24}} {
		a, b := s[pair[0]], s[pair[1]]
		for _, f := range []float64{0.2, 0.3, 0.4} {
			p := image.Pt(a.X+int(f*float64(b.X-a.X)), a.Y+int(f*float64(b.Y-a.Y)))
			v := img.GetVecbAt(p.Y, p.X)
			sum += 0.114*float64(v[0]) + 0.587*float64(v[1]) + 0.299*float64(v[2])
			n++
		}
	}
	return sum / float64(n)
}

// waitLook polls the page's newest answers until ok holds for one, or
// fails after limit.
func (b *browser) waitLook(t *testing.T, what string, limit time.Duration, ok func(lookPair) bool) lookPair {
	t.Helper()
	deadline := time.Now().Add(limit)
	var last lookPair
	for time.Now().Before(deadline) {
		time.Sleep(300 * time.Millisecond)
		m, found := measureLook(t, b.lastPair(t))
		if !found {
			continue
		}
		last = m
		if ok(m) {
			return m
		}
	}
	t.Fatalf("%s: not seen within %v; last answer %+v; page errors %v", what, limit, last, b.pageErrors())
	return last
}

// TestBrowserLook chooses a look with the page's controls, as a person
// would, and sees it in the answered frames: the bold look's red lips and
// smoky lids; then a colour picked on the page changes the look's lipstick
// and keeps its lids.
func TestBrowserLook(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	base := startServer(t)
	b := startBrowser(t, fakeCameraClip(t))
	// No lipstick to start with: what turns red afterwards is the look's.
	b.run(t, chromedp.Navigate(base+"/?transport=ws&lipstick=0"))
	b.waitAnswered(t, 3, 30*time.Second)
	plain := b.waitLook(t, "an answer without effects", 15*time.Second, func(m lookPair) bool { return true })
	t.Logf("no effect: %+v", plain)
	if plain.red1 > plain.red0+10 || plain.lid1 < plain.lid0-5 {
		t.Fatalf("answers changed before any effect was chosen: %+v", plain)
	}

	// The looks come from GET /api/v1/looks.
	var loaded bool
	b.run(t, chromedp.Poll(`document.getElementById('look').options.length > 3`, &loaded, chromedp.WithPollingTimeout(10*time.Second)))
	b.run(t, chromedp.Evaluate(`(() => { const s = document.getElementById('look');
		s.value = 'bold'; s.dispatchEvent(new Event('input')); })()`, nil))
	bold := b.waitLook(t, "the bold look in the answers", 20*time.Second, func(m lookPair) bool {
		return m.red1 >= m.red0+20 && m.lid1 <= m.lid0-8
	})
	t.Logf("bold look: %+v", bold)

	// The lipstick's colour control now overrides the look's lipstick only.
	b.run(t, chromedp.Evaluate(`(() => { const c = document.getElementById('color');
		c.value = '#2040ff'; c.dispatchEvent(new Event('input')); })()`, nil))
	blue := b.waitLook(t, "a blue lipstick on the bold look", 20*time.Second, func(m lookPair) bool {
		return m.blue1 >= m.blue0+20 && m.lid1 <= m.lid0-8
	})
	t.Logf("bold look, blue lipstick: %+v", blue)
	var sel struct {
		Look    string `json:"look"`
		Effects []struct {
			Name  string `json:"name"`
			Color string `json:"color"`
		} `json:"effects"`
	}
	b.run(t, chromedp.Evaluate(`window.tryonMakeup.selection()`, &sel))
	if sel.Look != "bold" || len(sel.Effects) != 1 || sel.Effects[0].Name != "lipstick" || sel.Effects[0].Color != "#2040ff" {
		t.Errorf("the page's selection is %+v, want the bold look with its lipstick changed", sel)
	}
	if errs := b.pageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}
