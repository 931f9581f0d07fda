package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
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

	"github.com/livetryon/server/internal/cvjpeg"
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
// clip (none when clip is ""), and collects the page's uncaught exceptions
// and console errors.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func startBrowser(t *testing.T, clip string, extra ...chromedp.ExecAllocatorOption) *browser {
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
	)
	if clip != "" {
		opts = append(opts,
			chromedp.Flag("use-fake-ui-for-media-stream", true),
			chromedp.Flag("use-fake-device-for-media-stream", true),
			chromedp.Flag("use-file-for-fake-video-capture", clip),
		)
	}
	// On a busy machine Chromium can take longer than chromedp's default
	// 20 s to print its DevTools address: wait longer, and try again once.
	opts = append(opts, chromedp.WSURLReadTimeout(60*time.Second))
	opts = append(opts, extra...)
	t.Cleanup(func() { os.RemoveAll(profile) })
	var b *browser
	for attempt := 1; ; attempt++ {
		var err error
		if b, err = launchBrowser(t, opts); err == nil {
			return b
		} else if attempt == 2 {
			t.Fatalf("start chromium: %v", err)
		}
		t.Logf("start chromium (attempt %d): %v; trying again", attempt, err)
	}
}

// launchBrowser starts Chromium with opts and listens for the page's
// errors; it is stopped when the test ends.
func launchBrowser(t *testing.T, opts []chromedp.ExecAllocatorOption) (*browser, error) {
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
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
		cancel()
		cancelAlloc()
		return nil, err
	}
	return b, nil
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
	Fallback      bool     `json:"fallback"`
	WebRTC        *struct {
		FPS     float64 `json:"fps"`
		KbpsIn  float64 `json:"kbpsIn"`
		Latency float64 `json:"latency"`
	} `json:"webrtc"`
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
	m, err := cvjpeg.Decode(jpg)
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

	// Another browser, as on another device, watches the session through
	// the watch example: the MJPEG stream plays in a plain <img>, and what
	// it shows keeps changing while the page sends. (Not a second tab of the
	// same browser: headless Chromium hides the first tab then, and a
	// hidden page stops sending camera frames.)
	t.Run("watch", func(t *testing.T) {
		b.run(t, chromedp.Navigate(base+"/?transport=ws"))
		s := b.waitAnswered(t, 3, 30*time.Second)
		viewer := startBrowser(t, "")
		ctx, cancelRun := context.WithTimeout(viewer.ctx, 40*time.Second)
		defer cancelRun()
		var width int
		var shown []string
		err := chromedp.Run(ctx,
			chromedp.Navigate(base+"/examples/watch/?watch="+url.QueryEscape(s.Watch)),
			chromedp.Poll(`document.getElementById('stream').naturalWidth`, &width, chromedp.WithPollingTimeout(20*time.Second)),
			// What the <img> shows, as a small digest of its pixels, ten
			// times over two seconds: a stream shows different frames.
			chromedp.Evaluate(`(async () => {
				const img = document.getElementById('stream');
				const c = document.createElement('canvas'); c.width = 64; c.height = 48;
				const g = c.getContext('2d');
				const seen = [];
				for (let i = 0; i < 10; i++) {
					g.drawImage(img, 0, 0, 64, 48);
					seen.push(c.toDataURL('image/png'));
					await new Promise((ok) => setTimeout(ok, 200));
				}
				return seen;
			})()`, &shown, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
		)
		if err != nil || width != 640 {
			t.Fatalf("MJPEG stream in an <img>: width %d, %v", width, err)
		}
		distinct := map[string]bool{}
		for _, d := range shown {
			distinct[d] = true
		}
		t.Logf("another browser plays %s in an <img>, %d px wide: %d distinct pictures in 10 looks over 2 s", s.Watch, width, len(distinct))
		if len(distinct) < 2 {
			t.Errorf("the watched <img> showed one picture for 2 s while the session was sending: not a live stream")
		}
		if errs := append(b.pageErrors(), viewer.pageErrors()...); len(errs) > 0 {
			t.Errorf("page errors: %v", errs)
		}
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

	// The raw WebSocket and HTTP examples: answers arrive, one face each,
	// shown in the page's <img>, with the settings accepted.
	for _, ex := range []struct{ name, settled string }{
		{"websocket", `window.configOK === true`},
		{"http-frames", `window.session !== ''`},
	} {
		t.Run(ex.name+" example", func(t *testing.T) {
			b.run(t, chromedp.Navigate(base+"/examples/"+ex.name+"/"))
			var got struct {
				Answered int  `json:"answered"`
				Faces    int  `json:"faces"`
				Width    int  `json:"width"`
				Settled  bool `json:"settled"`
			}
			deadline := time.Now().Add(20 * time.Second)
			// Until all hold: the <img> has no size for the moment its
			// source is being replaced by the next answer.
			for time.Now().Before(deadline) && (got.Answered < 10 || got.Width != 640 || !got.Settled) {
				time.Sleep(200 * time.Millisecond)
				b.run(t, chromedp.Evaluate(`({ answered: window.answered, faces: window.faces,
					width: document.getElementById('answer').naturalWidth, settled: `+ex.settled+` })`, &got))
			}
			t.Logf("%s example: %+v", ex.name, got)
			if got.Answered < 10 || got.Faces != 1 || got.Width != 640 || !got.Settled {
				t.Errorf("%s example: %+v; want 10 answers in 20 s, one face, a 640 px answer shown, settings accepted", ex.name, got)
			}
			if errs := b.pageErrors(); len(errs) > 0 {
				t.Errorf("page errors: %v", errs)
			}
		})
	}

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

// TestBrowserWebRTC plays the WebRTC example in Chromium, its fake camera
// showing the portrait still: the processed track plays in a <video>, with
// the lipstick colour the page asked for on the data channel.
func TestBrowserWebRTC(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	base := startServer(t)
	still := filepath.Join(t.TempDir(), "still.mjpeg")
	frame := testmedia.WebcamJPEG(t)
	if err := os.WriteFile(still, bytes.Repeat(frame, 30), 0o644); err != nil {
		t.Fatal(err)
	}
	b := startBrowser(t, still)
	b.run(t, chromedp.Navigate(base+"/examples/webrtc/?color=%232040ff"))
	var got struct {
		Shown    int    `json:"shown"`
		Faces    int    `json:"faces"` // answers with a face
		ConfigOK bool   `json:"configOK"`
		Lip      []int  `json:"lip"`
		Status   string `json:"status"`
	}
	// A deadline, not a rate: 30 frames arrive in about a second here.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && (got.Shown < 30 || got.Faces < 10 || got.Lip == nil) {
		time.Sleep(200 * time.Millisecond)
		b.run(t, chromedp.Evaluate(`({ shown: window.framesShown, faces: window.answersWithFace, configOK: window.configOK,
			lip: window.lip, status: document.getElementById('status').textContent })`, &got))
	}
	t.Logf("webrtc example: %+v", got)
	if got.Shown < 30 || got.Faces < 10 || !got.ConfigOK || got.Lip == nil {
		t.Fatalf("webrtc example: %+v; want 30 frames shown within 60 s, 10 answers with a face, the settings accepted, landmarks", got)
	}
	// Where frames go between the server and the screen, from Chromium's
	// own counters: logged, never asserted (a rate depends on the machine).
	var rtc struct {
		Received, Decoded, Dropped   int
		JitterBufferMs, InterFrameMs float64
		Painted, NotPainted          int
	}
	b.run(t, chromedp.Evaluate(`(async () => {
		const out = { received: 0, decoded: 0, dropped: 0, jitterBufferMs: 0, interFrameMs: 0 };
		(await window.pc.getStats()).forEach((r) => {
			if (r.type !== 'inbound-rtp' || r.kind !== 'video') return;
			out.received = r.framesReceived; out.decoded = r.framesDecoded; out.dropped = r.framesDropped;
			if (r.jitterBufferEmittedCount) out.jitterBufferMs = 1000 * r.jitterBufferDelay / r.jitterBufferEmittedCount;
			if (r.framesDecoded > 1) out.interFrameMs = 1000 * r.totalInterFrameDelay / (r.framesDecoded - 1);
		});
		const q = document.getElementById('answer').getVideoPlaybackQuality();
		out.painted = q.totalVideoFrames - q.droppedVideoFrames; out.notPainted = q.droppedVideoFrames;
		return out;
	})()`, &rtc, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	t.Logf("processed video in Chromium: framesReceived %d, framesDecoded %d, framesDropped %d; jitter buffer %.1f ms a frame, %.1f ms between decoded frames; the video element painted %d, dropped %d",
		rtc.Received, rtc.Decoded, rtc.Dropped, rtc.JitterBufferMs, rtc.InterFrameMs, rtc.Painted, rtc.NotPainted)
	// The camera shows a still portrait, so the lip point of any answer
	// is on the lips in every frame, the camera's and the processed.
	var px struct{ Answer, Camera []int }
	b.run(t, chromedp.Evaluate(`(() => {
		const at = (v) => {
			const c = document.createElement('canvas');
			c.width = v.videoWidth; c.height = v.videoHeight;
			const g = c.getContext('2d');
			g.drawImage(v, 0, 0);
			const k = v.videoWidth / window.lipFrameWidth;
			const d = g.getImageData(Math.round(window.lip[0] * k) - 1, Math.round(window.lip[1] * k) - 1, 3, 3).data;
			let r = 0, gr = 0, bl = 0;
			for (let i = 0; i < d.length; i += 4) { r += d[i]; gr += d[i + 1]; bl += d[i + 2]; }
			return [Math.round(r / 9), Math.round(gr / 9), Math.round(bl / 9)];
		};
		return { answer: at(document.getElementById('answer')), camera: at(document.getElementById('camera')) };
	})()`, &px))
	blueness := func(rgb []int) int { return rgb[2] - (rgb[0]+rgb[1])/2 }
	t.Logf("lip pixel (RGB): %v in the camera, %v in the processed video", px.Camera, px.Answer)
	if len(px.Answer) != 3 || len(px.Camera) != 3 || blueness(px.Answer) <= blueness(px.Camera)+10 {
		t.Errorf("the processed video's lips are not blue: %v, camera %v", px.Answer, px.Camera)
	}
	if errs := b.pageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}

	// The page itself, with WebRTC chosen: the processed track plays in
	// place of the answered JPEGs, with the page's colour, and the stats
	// show the received frame rate, the bitrate and the latency.
	b.run(t, chromedp.Navigate(base+"/?transport=webrtc&color=%232040ff&strength=0.8"))
	st := b.waitAnswered(t, 30, 60*time.Second)
	// Whether the page shows its WebRTC line, with a number in each of its
	// fields, is what is checked: it appears once the browser has two
	// samples of the connection's statistics, however slow the machine.
	// The numbers themselves are only logged.
	var line struct {
		Shown  bool     `json:"shown"`
		Values []string `json:"values"`
	}
	readLine := func() {
		b.run(t, chromedp.Evaluate(`(() => { const l = document.getElementById('stat-webrtc');
			return { shown: !l.hidden, values: [...l.querySelectorAll('b')].map((e) => e.textContent) }; })()`, &line))
	}
	numeric := func() bool {
		for _, v := range line.Values {
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				return false
			}
		}
		return len(line.Values) == 4
	}
	for deadline := time.Now().Add(60 * time.Second); !(line.Shown && numeric()) && time.Now().Before(deadline); readLine() {
		time.Sleep(250 * time.Millisecond)
	}
	st = b.stats(t)
	t.Logf("page stats over WebRTC: %+v, %+v; the line reads %v", st, st.WebRTC, line.Values)
	if st.Transport != "webrtc" || !line.Shown || !numeric() {
		t.Fatalf("transport %q, WebRTC line shown %v with %v: want the line shown, a number in each field", st.Transport, line.Shown, line.Values)
	}
	faces := testmedia.Faces(t, frame)
	if len(faces) != 1 {
		t.Fatalf("%d faces in the still", len(faces))
	}
	lip := testmedia.LipPoint(faces[0])
	var rgb []int
	b.run(t, chromedp.Evaluate(fmt.Sprintf(`(() => {
		const v = document.getElementById('output-video');
		const c = document.createElement('canvas');
		c.width = v.videoWidth; c.height = v.videoHeight;
		const g = c.getContext('2d');
		g.drawImage(v, 0, 0);
		const k = v.videoWidth / 640;
		const d = g.getImageData(Math.round(%d * k), Math.round(%d * k), 1, 1).data;
		return [d[0], d[1], d[2]];
	})()`, lip.X, lip.Y), &rgb))
	t.Logf("lip pixel (RGB) in the page's processed video: %v", rgb)
	if len(rgb) != 3 || rgb[2]-(rgb[0]+rgb[1])/2 < 30 {
		t.Errorf("the page's processed video has no blue lips at %v: %v", lip, rgb)
	}
	if errs := b.pageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}

	// Where no route for the media exists (here the page may use only a
	// TURN relay, and has none), the page says so and goes on over the
	// WebSocket.
	blocked := b
	blocked.run(t, chromedp.Navigate(base+"/?transport=webrtc&relay=1"))
	st = blocked.waitAnswered(t, 5, 40*time.Second)
	var message string
	blocked.run(t, chromedp.Evaluate(`document.getElementById('message').textContent`, &message))
	t.Logf("with no route for the media: stats %+v, message %q", st, message)
	if st.Transport != "ws" || !st.Fallback || !strings.Contains(message, "switched to WebSocket") {
		t.Errorf("with no route for the media: transport %q, fallback %v, message %q; want the WebSocket, said so", st.Transport, st.Fallback, message)
	}
}
