package main

import (
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/testmedia"
)

// fakeCameraClip writes testmedia.PanZoomClip as a Motion-JPEG file for
// Chromium's fake camera, which loops it.
func fakeCameraClip(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "camera.mjpeg")
	var clip []byte
	for _, f := range testmedia.PanZoomClip(t, 90) {
		clip = append(clip, f...)
	}
	if err := os.WriteFile(path, clip, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// browser starts Debian's Chromium, headless, with a fake camera playing
// clip, and collects the page's uncaught exceptions and console errors.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func startBrowser(t *testing.T, clip string) *browser {
	t.Helper()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium not found: install Debian's chromium package (go tool task test does)")
	}
	// Not t.TempDir: Chromium may still be writing its profile when the
	// test ends, and TempDir fails the test if it cannot remove the folder.
	profile, err := os.MkdirTemp("", "tryon-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 1000),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", clip),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		os.RemoveAll(profile)
	})
	b := &browser{ctx: ctx}
	chromedp.ListenTarget(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			b.addError("exception: " + ev.ExceptionDetails.Error())
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				b.addError("console.error: " + strings.Join(parts, " "))
			}
		}
	})
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return b
}

func (b *browser) addError(s string) {
	b.mu.Lock()
	b.errors = append(b.errors, s)
	b.mu.Unlock()
}

func (b *browser) pageErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

func (b *browser) run(t *testing.T, actions ...chromedp.Action) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

type pageStats struct {
	Sent          int      `json:"sent"`
	Answered      int      `json:"answered"`
	AnsweredTotal int      `json:"answeredTotal"`
	Transport     string   `json:"transport"`
	Watch         string   `json:"watch"`
	BytesUp       *float64 `json:"bytesUpPerFrame"`
	BytesDown     *float64 `json:"bytesDownPerFrame"`
	RTTMedian     *float64 `json:"rttMedian"`
	Dropped       int      `json:"dropped"`
	Faces         int      `json:"faces"`
	Errors        int      `json:"errors"`
}

func (b *browser) stats(t *testing.T) pageStats {
	t.Helper()
	var s pageStats
	b.run(t, chromedp.Evaluate(`window.tryon.stats()`, &s))
	return s
}

func decodeDataURL(t *testing.T, s string) gocv.Mat {
	t.Helper()
	jpg, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "data:image/jpeg;base64,"))
	if err != nil {
		t.Fatalf("not a JPEG data URL: %v", err)
	}
	m, err := gocv.IMDecode(jpg, gocv.IMReadColor)
	if err != nil || m.Empty() {
		t.Fatalf("answer does not decode: %v", err)
	}
	return m
}

// pagePair is the newest camera frame and its answer, as the page has them.
type pagePair struct {
	Sent     string `json:"sent"`
	Answered string `json:"answered"`
}

func (b *browser) lastPair(t *testing.T) pagePair {
	t.Helper()
	var pair pagePair
	b.run(t, chromedp.Evaluate(`window.tryon.lastPairDataURLs()`, &pair, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}))
	return pair
}

// waitAnswered waits until the page has shown n answered frames in all, or
// fails after limit. No rate is asserted: a busy machine is slow, not wrong.
func (b *browser) waitAnswered(t *testing.T, n int, limit time.Duration) pageStats {
	t.Helper()
	deadline := time.Now().Add(limit)
	var s pageStats
	for time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		if s = b.stats(t); s.AnsweredTotal >= n {
			return s
		}
	}
	t.Fatalf("page showed %d answered frames within %v, want %d; stats %+v, page errors %v", s.AnsweredTotal, limit, n, s, b.pageErrors())
	return s
}

// checkBlueLips checks that the page's newest answer has the lips blue.
func checkBlueLips(t *testing.T, pair pagePair) {
	t.Helper()
	sent := decodeDataURL(t, pair.Sent)
	defer sent.Close()
	answered := decodeDataURL(t, pair.Answered)
	defer answered.Close()
	sentJPEG, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(pair.Sent, "data:image/jpeg;base64,"))
	faces := testmedia.Faces(t, sentJPEG)
	if len(faces) != 1 {
		t.Fatalf("%d faces in the camera frame, want 1", len(faces))
	}
	lip := testmedia.LipPoint(faces[0])
	before, after := testmedia.Blueness(sent, lip), testmedia.Blueness(answered, lip)
	t.Logf("lip at %v: blueness %d in the camera frame, %d in the answer", lip, before, after)
	if after < before+20 {
		t.Errorf("lips not recoloured blue: blueness %d → %d", before, after)
	}
}

// TestBrowserEndToEnd opens the page in Chromium with a fake camera, over
// each transport the page offers: processed frames arrive with the lips
// recoloured and no page errors. Then a second tab watches the session's
// MJPEG stream in a plain <img>, the page's controls change the effect, and
// the example pages get answers. Rates are not asserted.
func TestBrowserEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	base := startServer(t)
	b := startBrowser(t, fakeCameraClip(t))
	for _, transport := range []string{"socketio", "ws", "http"} {
		t.Run(transport, func(t *testing.T) {
			// A blue lipstick, chosen with the page's colour control: lips are
			// never blue on their own, so the check cannot pass by accident.
			b.run(t, chromedp.Navigate(base+"/?transport="+transport+"&color=%232040ff&strength=0.8"))
			s := b.waitAnswered(t, 10, 30*time.Second)
			t.Logf("page stats: %+v", s)
			if s.Transport != transport || s.Faces != 1 || s.BytesUp == nil || *s.BytesUp <= 0 || s.BytesDown == nil || *s.BytesDown <= 0 {
				t.Errorf("stats %+v: want transport %s, one face, bytes per frame counted", s, transport)
			}
			if !strings.Contains(s.Watch, "/watch/") {
				t.Errorf("page shows no watch link: %q", s.Watch)
			}
			checkBlueLips(t, b.lastPair(t))
			if errs := b.pageErrors(); len(errs) > 0 {
				t.Errorf("page errors: %v", errs)
			}
		})
	}

	// A second tab watches the session: its snapshot in a plain <img>, and
	// its MJPEG stream read with fetch, whose first part must be a JPEG.
	// (Chromium showing the MJPEG stream itself in an <img> is not checked
	// yet: in headless Chromium the <img> stayed empty; see the issue.)
	t.Run("watch", func(t *testing.T) {
		b.run(t, chromedp.Navigate(base+"/?transport=ws"))
		s := b.waitAnswered(t, 3, 30*time.Second)
		viewer, cancel := chromedp.NewContext(b.ctx)
		defer cancel()
		ctx, cancelRun := context.WithTimeout(viewer, 30*time.Second)
		defer cancelRun()
		html := `<!doctype html><img id="w" src="` + s.Watch + `/snapshot.jpg">`
		var width int
		var part struct {
			Type string `json:"type"`
			SOI  bool   `json:"soi"`
		}
		err := chromedp.Run(ctx,
			chromedp.Navigate(base+"/healthz"),
			chromedp.Evaluate(`document.open(); document.write(`+strconv.Quote(html)+`); document.close(); 1`, nil),
			chromedp.Poll(`(() => { const w = document.getElementById('w'); return w && w.naturalWidth; })()`, &width, chromedp.WithPollingTimeout(20*time.Second)),
			chromedp.Evaluate(`(async () => {
				const resp = await fetch(`+strconv.Quote(s.Watch)+`);
				const reader = resp.body.getReader();
				let buf = new Uint8Array(0);
				while (buf.length < 4096) {
					const { value, done } = await reader.read();
					if (done) break;
					const next = new Uint8Array(buf.length + value.length); next.set(buf); next.set(value, buf.length); buf = next;
				}
				reader.cancel();
				let soi = false;
				for (let i = 0; i + 1 < buf.length; i++) if (buf[i] === 0xFF && buf[i + 1] === 0xD8) { soi = true; break; }
				return { type: resp.headers.get('Content-Type'), soi };
			})()`, &part, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
		)
		if err != nil || width != 640 {
			t.Fatalf("snapshot in an <img>: width %d, %v", width, err)
		}
		if !strings.HasPrefix(part.Type, "multipart/x-mixed-replace") || !part.SOI {
			t.Errorf("MJPEG stream read in Chromium: type %q, JPEG in the first part %v", part.Type, part.SOI)
		}
		t.Logf("a second tab shows %s/snapshot.jpg (%d px wide) and reads its %s stream", s.Watch, width, part.Type)
	})

	var pair pagePair
	b.run(t, chromedp.Navigate(base+"/?color=%232040ff&strength=0.8"))
	b.waitAnswered(t, 3, 30*time.Second)

	// A control, used as a person would: choosing sunglasses in the page
	// puts tinted lenses on the next answers, without reconnecting.
	b.run(t, chromedp.Evaluate(`(() => { const g = document.getElementById('glasses');
		g.value = 'aviator'; g.dispatchEvent(new Event('input')); })()`, nil))
	time.Sleep(time.Second)
	pair = b.lastPair(t)
	sent2 := decodeDataURL(t, pair.Sent)
	defer sent2.Close()
	answered2 := decodeDataURL(t, pair.Answered)
	defer answered2.Close()
	sentJPEG2, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(pair.Sent, "data:image/jpeg;base64,"))
	if f := testmedia.Faces(t, sentJPEG2); len(f) == 1 {
		p := f[0].Points[44]
		p.Y += int(0.25 * f[0].Points.InterOcular())
		before, after := sent2.GetVecbAt(p.Y, p.X), answered2.GetVecbAt(p.Y, p.X)
		t.Logf("below the eye at %v: %v in the camera frame, %v with sunglasses", p, before, after)
		if int(after[0])+int(after[1])+int(after[2]) > int(before[0])+int(before[1])+int(before[2])-60 {
			t.Error("choosing sunglasses in the page did not put tinted lenses on the answers")
		}
	} else {
		t.Errorf("%d faces in the camera frame, want 1", len(f))
	}

	var png []byte
	b.run(t, chromedp.FullScreenshot(&png, 100))
	shot := filepath.Join(t.TempDir(), "page.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shot)
	if keep := os.Getenv("TRYON_SCREENSHOT"); keep != "" {
		os.WriteFile(keep, png, 0o644) // to look at it after the test
	}
	if errs := b.pageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}

	t.Run("landmarks-only example", func(t *testing.T) {
		b.run(t, chromedp.Navigate(base+"/examples/landmarks-canvas/"))
		var n int
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) && n < 10 {
			time.Sleep(200 * time.Millisecond)
			b.run(t, chromedp.Evaluate(`window.landmarksReceived`, &n))
		}
		if n < 10 {
			t.Fatalf("the landmarks example received %d landmarks events in 10 s, want 10", n)
		}
		if errs := b.pageErrors(); len(errs) > 0 {
			t.Errorf("page errors: %v", errs)
		}
	})

	t.Run("classic tutorial page", func(t *testing.T) {
		b.run(t, chromedp.Navigate(base+"/examples/classic-tutorial/"))
		seen := map[string]bool{}
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) && len(seen) < 5 {
			time.Sleep(100 * time.Millisecond)
			var src string
			b.run(t, chromedp.Evaluate(`document.getElementById('photo').src`, &src))
			if strings.HasPrefix(src, "data:image/jpeg;base64,") {
				seen[src] = true
			}
		}
		if len(seen) < 5 {
			t.Fatalf("the tutorial page showed %d distinct answered frames in 10 s, want 5", len(seen))
		}
		if errs := b.pageErrors(); len(errs) > 0 {
			t.Errorf("page errors: %v", errs)
		}
	})
}

// TestBrowserFlowControl measures the page's two pacing modes against a
// server slowed to about 6 frames a second (one worker, 150 ms a frame)
// while the page offers 15. Waiting for answers keeps the round trip flat
// and loses nothing; the fixed timer offers more than the server can take,
// so the server drops frames. The figures are logged.
func TestBrowserFlowControl(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	base := startServerWith(t, "--workers", "1", "--debug-delay", "150ms")
	b := startBrowser(t, fakeCameraClip(t))
	measure := func(pacing string) (first, last float64, s pageStats) {
		b.run(t, chromedp.Navigate(base+"/?fps=15&pacing="+pacing))
		var medians []float64
		for i := 0; i < 10; i++ {
			time.Sleep(time.Second)
			s = b.stats(t)
			if s.RTTMedian != nil {
				medians = append(medians, *s.RTTMedian)
			}
		}
		if len(medians) < 6 {
			t.Fatalf("%s: round trips measured in only %d of 10 seconds", pacing, len(medians))
		}
		return median(medians[:3]), median(medians[len(medians)-3:]), s
	}
	ackFirst, ackLast, ack := measure("ack")
	timerFirst, timerLast, timer := measure("timer")
	t.Logf("ack pacing:   round trip %.0f ms in the first 3 s, %.0f ms in the last 3 s; %d answered/s, %d dropped by the server", ackFirst, ackLast, ack.Answered, ack.Dropped)
	t.Logf("timer pacing: round trip %.0f ms in the first 3 s, %.0f ms in the last 3 s; %d answered/s, %d dropped by the server", timerFirst, timerLast, timer.Answered, timer.Dropped)
	if ackLast > 1.5*ackFirst+50 {
		t.Errorf("ack pacing: round trip grew from %.0f to %.0f ms", ackFirst, ackLast)
	}
	if ack.Dropped != 0 {
		t.Errorf("ack pacing: server dropped %d frames, want 0", ack.Dropped)
	}
	if timer.Dropped == 0 && timerLast <= 1.5*timerFirst+50 {
		t.Errorf("timer pacing neither dropped frames nor grew its round trip; the comparison shows nothing")
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}
