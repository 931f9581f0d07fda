package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/testmedia"
)

// The try-on page as a person sees it, on a phone (390x844, mobile, touch)
// and on a laptop (1366x768): the mirror fills the first screen, the
// controls are reachable beside or below it without moving the picture
// away, the swatches, looks and frames change the picture, the split shows
// the camera's own pixels, the snapshot carries no FPS stamp, nothing
// hidden shows, the console has no errors or 404s, and axe-core finds no
// serious or critical accessibility violation. Screenshots are written for
// review (their paths are in the test's log).
func TestBrowserPageLayout(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	axe, err := os.ReadFile(filepath.Join("..", "..", "test", "js", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatalf("axe-core is missing (go tool task test installs it with npm ci --prefix test/js): %v", err)
	}
	shots, err := os.MkdirTemp("", "tryon-page-layout-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", shots)
	base := startServer(t)
	clip := fakeCameraClip(t)
	for _, vp := range []struct {
		name   string
		w, h   int64
		mobile bool
	}{{"phone", 390, 844, true}, {"laptop", 1366, 768, false}} {
		t.Run(vp.name, func(t *testing.T) {
			b := startBrowser(t, clip)
			chromedp.ListenTarget(b.ctx, func(ev any) {
				switch ev := ev.(type) {
				case *network.EventResponseReceived:
					if ev.Response.Status >= 400 {
						b.addError(fmt.Sprintf("HTTP %d %s", ev.Response.Status, ev.Response.URL))
					}
				case *cdplog.EventEntryAdded:
					if ev.Entry.Level == cdplog.LevelError {
						b.addError("console: " + ev.Entry.Text + " " + ev.Entry.URL)
					}
				}
			})
			emulate := chromedp.EmulateViewport(vp.w, vp.h)
			if vp.mobile {
				emulate = chromedp.EmulateViewport(vp.w, vp.h, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch)
			}
			b.run(t, network.Enable(), cdplog.Enable(), emulate,
				chromedp.Navigate(base+"/?transport=ws&lipstick=0"))
			b.waitAnswered(t, 3, 30*time.Second)
			var loaded bool
			b.run(t, chromedp.Poll(`document.getElementById('look').options.length > 1 &&
				!!document.getElementById('glasses-catalogue').dataset.loaded && document.querySelectorAll('#look-chips button').length > 1`,
				&loaded, chromedp.WithPollingTimeout(15*time.Second)))
			shot := func(name string) {
				var buf []byte
				b.run(t, chromedp.CaptureScreenshot(&buf))
				path := filepath.Join(shots, vp.name+"-"+name+".png")
				if err := os.WriteFile(path, buf, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("screenshot %s", path)
			}
			shot("start")

			checkLayout(t, b, vp.mobile)
			checkAxe(t, b, string(axe))

			// A lipstick swatch, chosen by a click, turns the lips blue.
			lip := pageLip{b: b, t: t}
			n := b.stats(t).AnsweredTotal
			b.run(t, chromedp.Click(`.swatches[data-for="color"] .swatch[data-color="#2040ff"]`, chromedp.ByQuery))
			pair := lip.fresh(n)
			checkBlueLips(t, pair)
			eyesBefore := eyeDifference(t, pair)

			// The before/after split: all "before" shows the camera's own
			// pixels (no blue lips), all "after" the try-on. Operated by
			// keyboard: the Compare button, then End and Home on the slider.
			b.run(t, chromedp.Click(`#compare`, chromedp.ByQuery), chromedp.Focus(`#split`, chromedp.ByQuery), chromedp.KeyEvent(kb.End))
			time.Sleep(700 * time.Millisecond)
			cameraSide := blueAtLips(t, b)
			shot("split-before")
			b.run(t, chromedp.KeyEvent(kb.Home))
			time.Sleep(700 * time.Millisecond)
			answerSide := blueAtLips(t, b)
			b.run(t, chromedp.Click(`#compare`, chromedp.ByQuery)) // back to 50 %
			time.Sleep(700 * time.Millisecond)
			shot("split-half")
			var split string
			b.run(t, chromedp.Evaluate(`document.getElementById('split').value`, &split))
			b.run(t, chromedp.Click(`#compare`, chromedp.ByQuery))
			t.Logf("strongly blue pixels at the lips in the mirror: %d with the split all before (the camera), %d all after (the try-on); split went to %s", cameraSide, answerSide, split)
			if answerSide < 40 || cameraSide*4 > answerSide {
				t.Errorf("the split does not show the camera's own pixels: %d blue pixels with all before, %d with all after", cameraSide, answerSide)
			}

			// A frame from the glasses carousel puts glasses over the eyes.
			n = b.stats(t).AnsweredTotal
			b.run(t, chromedp.Click(`#glasses-catalogue button[data-style="aviator"]`, chromedp.ByQuery))
			pair = lip.fresh(n)
			eyesAfter := eyeDifference(t, pair)
			t.Logf("eye region: mean difference to the camera %.1f without glasses, %.1f with aviators", eyesBefore, eyesAfter)
			if eyesAfter < eyesBefore+8 {
				t.Errorf("choosing aviators did not change the eyes: %.1f → %.1f", eyesBefore, eyesAfter)
			}

			// A look, chosen by its chip, replaces the blue lips with its own red.
			n = b.stats(t).AnsweredTotal
			b.run(t, chromedp.Click(`#look-chips button[data-look="bold"]`, chromedp.ByQuery))
			pair = lip.fresh(n)
			blue, red := lip.colour(pair)
			t.Logf("after the bold look: lip blueness %+d, redness %+d over the camera's", blue, red)
			if blue > 40 || red < 15 {
				t.Errorf("the bold look did not turn the lips red: blueness %+d, redness %+d", blue, red)
			}
			shot("look-bold")

			// The rate shows in the page's own badge.
			var rate string
			b.run(t, chromedp.Evaluate(`document.getElementById('rate').textContent`, &rate))
			if !regexp.MustCompile(`^\d+ fps$`).MatchString(rate) {
				t.Errorf("rate badge reads %q", rate)
			}

			// The snapshot: a preview with Save, and no FPS stamp.
			b.run(t, chromedp.Click(`#snapshot`, chromedp.ByQuery))
			var open bool
			b.run(t, chromedp.Poll(`document.getElementById('snapshot-dialog').open && !!window.tryon.state.snapshot`, &open, chromedp.WithPollingTimeout(10*time.Second)))
			var snap struct{ Sent, Image, Save string }
			b.run(t, chromedp.Evaluate(`window.tryon.snapshotDataURLs().then((s) => ({ sent: s.sent, image: s.image,
				save: document.getElementById('snapshot-save').getAttribute('href') }))`, &snap, awaitPromise))
			if !strings.HasPrefix(snap.Save, "blob:") {
				t.Errorf("the snapshot's Save link is %q", snap.Save)
			}
			shot("snapshot")
			corner := cornerDifference(t, dataURLBytes(t, snap.Sent), dataURLBytes(t, snap.Image))
			t.Logf("snapshot's top-left corner differs from the camera frame by %.1f", corner)
			// Pixels, not a rate: the stamp is a black box with white
			// text (tens of levels off); without it the corner differs by
			// JPEG's re-encoding only.
			if corner > 5 {
				t.Errorf("the snapshot carries the FPS stamp: corner difference %.1f", corner)
			}
			b.run(t, chromedp.Click(`#snapshot-close`, chromedp.ByQuery))
			checkAxe(t, b, string(axe))

			if vp.mobile {
				// The narrowest phones: 320 px wide.
				b.run(t, chromedp.EmulateViewport(320, 640, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
				time.Sleep(300 * time.Millisecond)
				checkLayout(t, b, true)
				shot("320px")
			}
			if errs := b.pageErrors(); len(errs) > 0 {
				t.Errorf("page errors: %v", errs)
			}
		})
	}
}

func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

func dataURLBytes(t *testing.T, s string) []byte {
	t.Helper()
	jpg, err := base64.StdEncoding.DecodeString(s[strings.Index(s, ",")+1:])
	if err != nil {
		t.Fatalf("not a data URL: %v", err)
	}
	return jpg
}

// checkLayout: nothing hidden shows, nothing overflows sideways, the mirror
// is in the first screen, and each kind of control scrolled into view
// leaves the mirror where it is.
func checkLayout(t *testing.T, b *browser, mobile bool) {
	t.Helper()
	var got struct {
		VW, VH      float64
		Overflow    float64
		HiddenShown []string
		View        rect
		Reach       []struct {
			Sel  string
			El   rect
			View rect
		}
	}
	b.run(t, chromedp.Evaluate(`(() => {
		const box = (el) => { const r = el.getBoundingClientRect(); return { top: r.top, left: r.left, bottom: r.bottom, right: r.right }; };
		const shown = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'; };
		const view = document.getElementById('mirror-view');
		const out = { vw: innerWidth, vh: innerHeight, overflow: document.documentElement.scrollWidth - innerWidth,
			hiddenShown: [...document.querySelectorAll('[hidden]')].filter(shown).map((e) => e.id || e.outerHTML.slice(0, 60)),
			view: box(view), reach: [] };
		for (const sel of ['#look-chips button[data-look="bold"]', '.swatches[data-for="color"] .swatch', '#strength',
			'#glasses-catalogue button[data-style="aviator"]', '#blush-on', '#developer > summary', '#video-upload', '#snapshot']) {
			const el = document.querySelector(sel);
			if (!el) { out.reach.push({ sel, el: null, view: box(view) }); continue; }
			el.scrollIntoView({ block: 'nearest', inline: 'nearest' });
			out.reach.push({ sel, el: box(el), view: box(view) });
		}
		document.querySelector('.panel').scrollTop = 0;
		return out;
	})()`, &got))
	if len(got.HiddenShown) > 0 {
		t.Errorf("elements with hidden are visible: %v", got.HiddenShown)
	}
	if got.Overflow > 0 {
		t.Errorf("the page overflows sideways by %.0f px", got.Overflow)
	}
	inside := func(r rect) bool { return r.Top >= 0 && r.Left >= 0 && r.Bottom <= got.VH+0.5 && r.Right <= got.VW+0.5 }
	t.Logf("viewport %.0fx%.0f, mirror %+v", got.VW, got.VH, got.View)
	if !inside(got.View) {
		t.Errorf("the mirror %+v is not within the first screen %.0fx%.0f", got.View, got.VW, got.VH)
	}
	// The mirror takes most of the screen: its width on a phone, most of
	// the height on a laptop.
	if w, h := got.View.Right-got.View.Left, got.View.Bottom-got.View.Top; (mobile && w < 0.9*got.VW) || h < 0.5*got.VH {
		t.Errorf("the mirror is small: %.0fx%.0f in %.0fx%.0f", w, h, got.VW, got.VH)
	}
	for _, r := range got.Reach {
		if r.El.Bottom == 0 && r.El.Top == 0 {
			t.Errorf("control %s not found", r.Sel)
			continue
		}
		if !inside(r.El) || r.View != got.View {
			t.Errorf("control %s at %+v, shown with the mirror at %+v (first %+v)", r.Sel, r.El, r.View, got.View)
		}
	}
}

type rect struct{ Top, Left, Bottom, Right float64 }

// checkAxe runs axe-core in the page, with every <details> open so the
// collapsed panels are checked too: no violation of serious or critical
// impact.
func checkAxe(t *testing.T, b *browser, axe string) {
	t.Helper()
	var violations []struct {
		ID, Impact, Help string
		Nodes            []string
	}
	b.run(t, chromedp.Evaluate(axe, nil), chromedp.Evaluate(`(async () => {
		const closed = [...document.querySelectorAll('details:not([open])')];
		closed.forEach((d) => { d.open = true; });
		const r = await axe.run(document, { resultTypes: ['violations'] });
		closed.forEach((d) => { d.open = false; });
		return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
			.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 6).map((n) => n.target.join(' ') + ' — ' + n.failureSummary) }));
	})()`, &violations, awaitPromise))
	for _, v := range violations {
		t.Errorf("axe-core: %s (%s): %s\n  %s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
	}
}

// pageLip reads the page's newest answers at the lips.
type pageLip struct {
	b *browser
	t *testing.T
}

// fresh waits until some answers after the n-th have come (settings apply
// from the next frames) and returns the newest pair.
func (l pageLip) fresh(n int) pagePair {
	l.b.waitAnswered(l.t, n+6, 30*time.Second)
	return l.b.lastPair(l.t)
}

// colour is the answer's blueness and redness at the lips, over the camera's.
func (l pageLip) colour(pair pagePair) (blue, red int) {
	t := l.t
	sent, answered := decodeDataURL(t, pair.Sent), decodeDataURL(t, pair.Answered)
	defer sent.Close()
	defer answered.Close()
	faces := testmedia.Faces(t, dataURLBytes(t, pair.Sent))
	if len(faces) != 1 {
		t.Fatalf("%d faces in the camera frame, want 1", len(faces))
	}
	p := testmedia.LipPoint(faces[0])
	return testmedia.Blueness(answered, p) - testmedia.Blueness(sent, p), testmedia.Redness(answered, p) - testmedia.Redness(sent, p)
}

// eyeDifference is the mean absolute difference between the camera frame
// and its answer around the eyes (landmarks 36-47, widened).
func eyeDifference(t *testing.T, pair pagePair) float64 {
	t.Helper()
	sent, answered := decodeDataURL(t, pair.Sent), decodeDataURL(t, pair.Answered)
	defer sent.Close()
	defer answered.Close()
	faces := testmedia.Faces(t, dataURLBytes(t, pair.Sent))
	if len(faces) != 1 {
		t.Fatalf("%d faces in the camera frame, want 1", len(faces))
	}
	r := image.Rectangle{Min: faces[0].Points[36], Max: faces[0].Points[36]}
	for _, p := range faces[0].Points[36:48] {
		r = r.Union(image.Rectangle{Min: p, Max: p.Add(image.Pt(1, 1))})
	}
	r = r.Inset(-6).Intersect(image.Rect(0, 0, sent.Cols(), sent.Rows()))
	a, c := sent.Region(r), answered.Region(r)
	defer a.Close()
	defer c.Close()
	diff := gocv.NewMat()
	defer diff.Close()
	gocv.AbsDiff(a, c, &diff)
	m := diff.Mean()
	return (m.Val1 + m.Val2 + m.Val3) / 3
}

// blueAtLips counts the strongly blue pixels of a screenshot of the mirror
// (what the person sees) in a box around the lips. The lips' place comes
// from the newest camera frame, mapped as the mirror shows it (scaled to
// cover the mirror, centred; the frame is already mirrored).
func blueAtLips(t *testing.T, b *browser) int {
	t.Helper()
	pair := b.lastPair(t)
	faces := testmedia.Faces(t, dataURLBytes(t, pair.Sent))
	if len(faces) != 1 {
		t.Fatalf("%d faces in the camera frame, want 1", len(faces))
	}
	frame := decodeDataURL(t, pair.Sent)
	fw, fh := float64(frame.Cols()), float64(frame.Rows())
	frame.Close()
	lip := testmedia.LipPoint(faces[0])
	var buf []byte
	b.run(t, chromedp.Screenshot(`#mirror-view`, &buf, chromedp.ByQuery))
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		t.Fatal(err)
	}
	w, h := float64(img.Bounds().Dx()), float64(img.Bounds().Dy())
	scale := max(w/fw, h/fh)
	cx, cy := (w-fw*scale)/2+float64(lip.X)*scale, (h-fh*scale)/2+float64(lip.Y)*scale
	half := 14 * scale
	n := 0
	for y := int(cy - half); y < int(cy+half); y++ {
		for x := int(cx - half); x < int(cx+half); x++ {
			r, g, bl, _ := img.At(img.Bounds().Min.X+x, img.Bounds().Min.Y+y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			if bl > r+40 && bl > g+40 {
				n++
			}
		}
	}
	return n
}
