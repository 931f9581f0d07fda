package main

import (
	"fmt"
	"image"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/examples"
	"github.com/livetryon/server/internal/frameid"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/internal/testvideo"
)

// getPage fetches u and returns its status, content type and body.
func getPage(t *testing.T, u string) (int, string, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

// The icon browsers ask for by themselves is served, so no page logs a 404.
func TestFavicon(t *testing.T) {
	_, base, _ := runServer(t, nil)
	code, ctype, body := getPage(t, base+"/favicon.ico")
	// An ICO file: reserved 0, type 1 (icon), at least one image.
	if code != http.StatusOK || len(body) < 22 || string(body[:4]) != "\x00\x00\x01\x00" {
		t.Fatalf("/favicon.ico: %d %q, %d bytes", code, ctype, len(body))
	}
	_, _, page := getPage(t, base+"/")
	if !strings.Contains(string(page), `rel="icon"`) {
		t.Error("the page names no icon")
	}
}

// /examples/ is a page with a line and a working link for every example
// folder, not a bare directory listing, and the try-on page links to it.
func TestExamplesIndex(t *testing.T) {
	_, base, _ := runServer(t, nil)
	code, ctype, body := getPage(t, base+"/examples/")
	if code != http.StatusOK || !strings.HasPrefix(ctype, "text/html") {
		t.Fatalf("/examples/: %d %q", code, ctype)
	}
	index := string(body)
	if !strings.Contains(index, "<title>") {
		t.Fatalf("/examples/ is not the index page:\n%s", index)
	}
	dirs, err := fs.ReadDir(examples.Files, ".")
	if err != nil {
		t.Fatal(err)
	}
	links := map[string]bool{}
	for _, m := range regexp.MustCompile(`href="([a-z-]+)/"`).FindAllStringSubmatch(index, -1) {
		links[m[1]] = true
	}
	n := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		n++
		if !links[d.Name()] {
			t.Errorf("the index has no link to %s/", d.Name())
			continue
		}
		if code, _, _ := getPage(t, base+"/examples/"+d.Name()+"/"); code != http.StatusOK {
			t.Errorf("/examples/%s/: %d", d.Name(), code)
		}
	}
	if n < 7 || len(links) != n {
		t.Errorf("%d example folders, %d links in the index", n, len(links))
	}
	_, _, page := getPage(t, base+"/")
	if !strings.Contains(string(page), `href="/examples/"`) {
		t.Error("the try-on page does not link to /examples/")
	}
}

// cornerDifference is the mean absolute difference between sent and
// answer in the top-left corner, where the FPS stamp goes.
func cornerDifference(t *testing.T, sent, answer []byte) float64 {
	t.Helper()
	in, out := decodeJPEG(t, sent), decodeJPEG(t, answer)
	defer in.Close()
	defer out.Close()
	corner := image.Rect(0, 0, 80, 24)
	a, b := in.Region(corner), out.Region(corner)
	defer a.Close()
	defer b.Close()
	diff := gocv.NewMat()
	defer diff.Close()
	gocv.AbsDiff(a, b, &diff)
	m := diff.Mean()
	return (m.Val1 + m.Val2 + m.Val3) / 3
}

// The FPS stamp is on by default, as the classic tutorial's clients expect
// it, and `overlay: false` takes it off the next answers.
func TestOverlayCanBeTurnedOff(t *testing.T) {
	base := startServerWith(t)
	c, _, err := dialWS(t, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.expect("session")
	jpg := testmedia.WebcamJPEG(t)
	answer := func() []byte {
		c.sendBinary(jpg)
		return c.expect("").Binary
	}
	stamped := cornerDifference(t, jpg, answer())
	c.sendText("config", map[string]any{"overlay": false})
	if reply := c.expect("config"); reply.Data["ok"] != true || reply.Data["config"].(map[string]any)["overlay"] != false {
		t.Fatalf("config reply %v", reply.Data)
	}
	plain := cornerDifference(t, jpg, answer())
	t.Logf("corner difference: %.1f with the stamp, %.1f without", stamped, plain)
	// The stamp is a black box with white text: tens of levels off the
	// picture; without it the corner differs by JPEG's re-encoding only.
	if stamped < 20 || plain > 5 {
		t.Errorf("corner difference %.1f with the stamp, %.1f without", stamped, plain)
	}
	c.sendText("config", map[string]any{"overlay": "no"})
	if reply := c.expect("config"); reply.Data["ok"] != false || reply.Data["error"].(map[string]any)["field"] != "overlay" {
		t.Errorf("a bad overlay: %v", reply.Data)
	}
}

// A page's watch link survives its transport switching: the next
// connection presents the first one's watch_key and carries on under the
// same link, to the same viewer connection. The grace time is long, so a
// busy machine cannot let it run out before the resume;
// TestWatchLinkEndsAfterGrace covers the page leaving for good.
func TestWatchLinkSurvivesReconnect(t *testing.T) {
	base := startServerWith(t, "--watch-grace", "20s")
	frames := stampedFrames(t, 8)
	first, _, err := dialWS(t, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	hello := first.expect("session").Data
	link, key := hello["watch"].(string), hello["watch_key"].(string)
	if !strings.HasPrefix(link, "/watch/") || len(key) != 32 || strings.Contains(link, key) {
		t.Fatalf("session message %v: want a watch link and a separate key", hello)
	}
	first.sendBinary(frames[1])
	first.expect("")
	viewer := openWatch(t, base+link, 0)
	if jpg, err := viewer.next(); err != nil {
		t.Fatal(err)
	} else if n, _ := frameid.Read(jpg); n != 1 {
		t.Fatalf("viewer's first frame is %d, want 1", n)
	}
	first.ws.Close() // the page switches transport

	// A stranger's key, or a malformed one, resumes nothing.
	other, _, err := dialWS(t, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	other.expect("session")
	for _, bad := range []any{"0123456789abcdef0123456789abcdef", 42} {
		other.sendText("config", map[string]any{"watch_key": bad})
		if reply := other.expect("config"); reply.Data["ok"] != false || reply.Data["error"].(map[string]any)["field"] != "watch_key" {
			t.Errorf("watch_key %v: %v", bad, reply.Data)
		}
	}

	// The page's next connection takes its link back.
	second, _, err := dialWS(t, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fresh := second.expect("session").Data["watch"]; fresh == link {
		t.Fatalf("a new connection was given the old link before resuming")
	}
	second.sendText("config", map[string]any{"watch_key": key})
	if reply := second.expect("config"); reply.Data["ok"] != true || reply.Data["watch"] != link {
		t.Fatalf("resume: %v, want ok with %s", reply.Data, link)
	}
	second.sendBinary(frames[2])
	second.expect("")
	// The same viewer connection, never closed, now shows the new sender.
	if jpg, err := viewer.next(); err != nil {
		t.Fatalf("viewer after the switch: %v", err)
	} else if n, _ := frameid.Read(jpg); n != 2 {
		t.Fatalf("viewer's frame after the switch is %d, want 2", n)
	}
	// Nobody else can take it while the page is connected.
	third, _, err := dialWS(t, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	third.expect("session")
	third.sendText("config", map[string]any{"watch_key": key})
	if reply := third.expect("config"); reply.Data["ok"] != false {
		t.Errorf("a second connection took a connected page's link: %v", reply.Data)
	}
}

// When a page leaves for good, its viewer gets an "ended" frame after the
// grace time, then its stream closes and the link is gone.
func TestWatchLinkEndsAfterGrace(t *testing.T) {
	base := startServerWith(t, "--watch-grace", "500ms")
	frames := stampedFrames(t, 2)
	page, _, err := dialWS(t, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	link := page.expect("session").Data["watch"].(string)
	page.sendBinary(frames[1])
	page.expect("")
	viewer := openWatch(t, base+link, 0)
	if jpg, err := viewer.next(); err != nil {
		t.Fatal(err)
	} else if n, _ := frameid.Read(jpg); n != 1 {
		t.Fatalf("viewer's first frame is %d, want 1", n)
	}

	// The page leaves for good: an ended frame, darker than the last one,
	// then the stream's clean end.
	page.ws.Close()
	last, err := viewer.next()
	if err != nil {
		t.Fatalf("viewer after the page left: %v, want the ended frame", err)
	}
	img := decodeJPEG(t, last)
	defer img.Close()
	if m := img.Mean(); (m.Val1+m.Val2+m.Val3)/3 > 60 {
		t.Errorf("the last frame has mean %.0f: not the darkened ended frame", (m.Val1+m.Val2+m.Val3)/3)
	}
	// The stream closes with an empty last part and the closing boundary.
	for i := 0; ; i++ {
		jpg, err := viewer.next()
		if err == io.EOF {
			break
		}
		if err != nil || len(jpg) > 0 || i > 1 {
			t.Fatalf("after the ended frame: %d bytes, %v; want the stream's end", len(jpg), err)
		}
	}
	if code, _, _ := getPage(t, base+link+"/snapshot.jpg"); code != http.StatusNotFound {
		t.Errorf("snapshot of an ended link: %d", code)
	}
}

// The page keeps one watch link across transport switches: a viewer
// connected before the switches, never reconnected, keeps getting
// frames after each, and the page shows the same link throughout.
func TestBrowserWatchLinkSurvivesTransportSwitch(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	base := startServer(t)
	b := startBrowser(t, fakeCameraClip(t))
	b.run(t, chromedp.Navigate(base+"/?transport=ws"))
	first := b.waitAnswered(t, 3, 30*time.Second)
	u, err := url.Parse(first.Watch)
	if err != nil || !strings.HasPrefix(u.Path, "/watch/") {
		t.Fatalf("the page shows no watch link: %q", first.Watch)
	}
	viewer := openWatch(t, base+u.Path, 0)
	if _, err := viewer.next(); err != nil {
		t.Fatal(err)
	}
	for _, transport := range []string{"http", "socketio", "ws"} {
		b.run(t, chromedp.Evaluate(`(() => {
			const s = document.getElementById('transport');
			s.value = '`+transport+`';
			s.dispatchEvent(new Event('change'));
		})()`, nil))
		deadline := time.Now().Add(30 * time.Second)
		var s pageStats
		for {
			s = b.stats(t)
			if s.Transport == transport && s.Watch == first.Watch {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after switching to %s the page shows %q over %s; want %q", transport, s.Watch, s.Transport, first.Watch)
			}
			time.Sleep(200 * time.Millisecond)
		}
		// The viewer's connection, opened before any switch, shows this
		// transport's frames: a few in a row arrive after the switch.
		for i := 0; i < 3; i++ {
			if _, err := viewer.next(); err != nil {
				t.Fatalf("the viewer's stream after switching to %s: %v", transport, err)
			}
		}
		t.Logf("%s: same watch link %s, viewer still served", transport, u.Path)
	}
	if errs := b.pageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}

// uploadState is the page's upload panel as a person sees it.
type uploadState struct {
	State          string  `json:"state"`
	Error          *string `json:"error"`
	Status         string  `json:"status"`
	ResultShown    bool    `json:"resultShown"`
	ResultSrc      string  `json:"resultSrc"`
	DownloadShown  bool    `json:"downloadShown"`
	AnsweredTotal  int     `json:"answeredTotal"`
	CameraSendsNow int     `json:"sent"`
}

func (b *browser) upload(t *testing.T) uploadState {
	t.Helper()
	var u uploadState
	b.run(t, chromedp.Evaluate(`(() => { const v = document.getElementById('video-result'), s = window.tryon.stats();
		return { state: tryonVideo.state, error: tryonVideo.error, status: document.getElementById('video-status').textContent,
			resultShown: !v.hidden, resultSrc: v.getAttribute('src') || '', downloadShown: !document.getElementById('video-download').hidden,
			answeredTotal: s.answeredTotal, sent: s.sent }; })()`, &u))
	return u
}

// The page's own video job pauses its live camera, which resumes after;
// a failed upload clears the earlier result and says what to do.
func TestBrowserUploadPausesCameraAndClearsOnFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	base := startServer(t)
	// 10 s of video: long enough to look at the page while it processes.
	clip := clipFile(t, testvideo.VideoClip{Width: 320, Height: 240, Frames: 300, FPS: 30})
	b := startBrowser(t, fakeCameraClip(t))
	b.run(t, chromedp.Navigate(base+"/?transport=ws"))
	b.waitAnswered(t, 5, 30*time.Second)
	b.run(t, chromedp.SetUploadFiles("#video-file", []string{clip}, chromedp.ByQuery),
		chromedp.Click("#video-upload", chromedp.ByQuery))
	// While it processes: a second in which the camera sent nothing, and
	// a status that never says "0 s left".
	paused := false
	var u uploadState
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the job did not finish: %+v", u)
		}
		u = b.upload(t)
		var done, total int
		if _, err := fmt.Sscanf(u.Status, "frame %d of %d", &done, &total); err == nil && done < total/2 && strings.Contains(u.Status, "· 0 s left") {
			t.Errorf("status %q: no time is left at half way", u.Status)
		}
		if u.State == "processing" && u.CameraSendsNow == 0 {
			paused = true
		}
		if u.State == "done" || u.Error != nil {
			break
		}
	}
	if u.State != "done" || !u.ResultShown || !u.DownloadShown {
		msg := ""
		if u.Error != nil {
			msg = *u.Error
		}
		t.Fatalf("after the job: %+v %s", u, msg)
	}
	if !paused {
		t.Error("the camera kept sending while the page's own job processed")
	}
	before := u.AnsweredTotal
	for deadline := time.Now().Add(30 * time.Second); b.upload(t).AnsweredTotal < before+5; time.Sleep(250 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the camera did not resume after the job")
		}
	}

	// Now a file that is no video: the old result goes, the error stays.
	photo := filepath.Join(t.TempDir(), "photo.mp4")
	if err := os.WriteFile(photo, testmedia.WebcamJPEG(t), 0o644); err != nil {
		t.Fatal(err)
	}
	b.run(t, chromedp.SetUploadFiles("#video-file", []string{photo}, chromedp.ByQuery),
		chromedp.Click("#video-upload", chromedp.ByQuery))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if u = b.upload(t); u.Error != nil || time.Now().After(deadline) {
			break
		}
	}
	if u.Error != nil {
		t.Logf("after a refused upload: %+v, error %q", u, *u.Error)
	}
	if u.Error == nil || !strings.Contains(*u.Error, "not_video") || !strings.Contains(*u.Error, "Choose") {
		t.Fatalf("the error shown: %+v; want plain words and the code", u)
	}
	if u.ResultShown || u.ResultSrc != "" || u.DownloadShown || strings.Contains(u.Status, "uploading") {
		t.Errorf("the old result or an uploading status stays under the error: %+v", u)
	}
	if errs := b.pageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}
