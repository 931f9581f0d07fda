package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/livetryon/server/internal/frameid"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/internal/testvideo"
)

// videoJob is a job as GET /api/v1/videos/{id} gives it.
type videoJob struct {
	ID            string  `json:"id"`
	State         string  `json:"state"`
	Node          string  `json:"node"`
	QueuePosition int     `json:"queue_position"`
	FramesDone    int     `json:"frames_done"`
	FramesTotal   int     `json:"frames_total"`
	FPS           float64 `json:"fps"`
	TimeLeft      float64 `json:"time_left_s"`
	Error         *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Links struct {
		Events, Watch, Result string
	} `json:"links"`
}

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// clipFile makes a test clip in a temporary directory.
func clipFile(t *testing.T, c testvideo.VideoClip) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clip.mp4")
	testvideo.MakeVideoClip(t, path, c)
	return path
}

// uploadVideo sends path as a multipart form, as the page does, streamed;
// fields come before the file.
func uploadVideo(t *testing.T, base, path string, fields map[string]string) (*http.Response, []byte) {
	t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		for k, v := range fields {
			mw.WriteField(k, v)
		}
		part, _ := mw.CreateFormFile("file", filepath.Base(path))
		f, err := os.Open(path)
		if err == nil {
			io.Copy(part, f)
			f.Close()
		}
		pw.CloseWithError(mw.Close())
	}()
	resp, err := http.Post(base+"/api/v1/videos", mw.FormDataContentType(), pr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// uploadJob uploads path and expects a job.
func uploadJob(t *testing.T, base, path string, fields map[string]string) videoJob {
	t.Helper()
	resp, body := uploadVideo(t, base, path, fields)
	var job videoJob
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &job) != nil || job.ID == "" ||
		resp.Header.Get("Location") != "/api/v1/videos/"+job.ID {
		t.Fatalf("upload: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	return job
}

func getJob(t *testing.T, base, id string) (int, videoJob) {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/videos/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var job videoJob
	json.NewDecoder(resp.Body).Decode(&job)
	return resp.StatusCode, job
}

func waitJob(t *testing.T, base, id string, timeout time.Duration, what string, ok func(videoJob) bool) videoJob {
	t.Helper()
	var job videoJob
	deadline := time.Now().Add(timeout)
	for {
		_, job = getJob(t, base, id)
		if ok(job) {
			return job
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s: the job is %+v (error %+v)", timeout, what, job, job.Error)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	name string
	job  videoJob
}

// readEvents reads a job's events until the stream ends.
func readEvents(t *testing.T, url string) []sseEvent {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var events []sseEvent
	var name string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			var job videoJob
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &job); err != nil {
				t.Fatalf("event %s: %v", line, err)
			}
			events = append(events, sseEvent{name, job})
		}
	}
	return events
}

// An uploaded clip with a moving face and a sine-wave track: its progress
// comes as events until done; the result is every frame in order with the
// lips recoloured, H.264 4:2:0 with the moov first, the clip's rate, frame
// count and sound; it is served with ranges; DELETE removes it and its
// files.
func TestVideoJob(t *testing.T) {
	dataDir := t.TempDir()
	base := startServerWith(t, "--data-dir", dataDir)
	c := testvideo.VideoClip{Width: 640, Height: 360, Frames: 90, FPS: 30, Audio: true}
	job := uploadJob(t, base, clipFile(t, c), map[string]string{"effects": "lipstick:#0000ff"})
	if job.FramesTotal != c.Frames || (job.State != "queued" && job.State != "processing") {
		t.Errorf("new job: %+v", job)
	}
	events := readEvents(t, base+job.Links.Events)
	if len(events) == 0 || events[len(events)-1].name != "done" {
		t.Fatalf("events: %+v; want the last one done", events)
	}
	last := -1
	for _, e := range events {
		if e.name != e.job.State || e.job.FramesDone < last {
			t.Errorf("event %q of a job %s at frame %d, after frame %d", e.name, e.job.State, e.job.FramesDone, last)
		}
		last = e.job.FramesDone
	}
	done := events[len(events)-1].job
	t.Logf("%d events; done: %d frames at %.0f frames/s", len(events), done.FramesDone, done.FPS)
	if done.FramesDone != c.Frames || done.FramesTotal != c.Frames || done.FPS <= 0 {
		t.Errorf("done: %+v", done)
	}

	resp, err := http.Get(base + job.Links.Result + "?download")
	if err != nil {
		t.Fatal(err)
	}
	result, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "video/mp4" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("result: %d %v", resp.StatusCode, resp.Header)
	}
	out := filepath.Join(t.TempDir(), "result.mp4")
	if err := os.WriteFile(out, result, 0o644); err != nil {
		t.Fatal(err)
	}
	testvideo.CheckTryOnClip(t, c, out)

	req, _ := http.NewRequest("GET", base+job.Links.Result, nil)
	req.Header.Set("Range", "bytes=100-199")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(part, result[100:200]) ||
		resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 100-199/%d", len(result)) {
		t.Errorf("range: %d %v, %d bytes", resp.StatusCode, resp.Header, len(part))
	}

	req, _ = http.NewRequest("DELETE", base+"/api/v1/videos/"+job.ID, nil)
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %v %v", resp, err)
	}
	for _, p := range []string{"", "/result.mp4", "/events"} {
		if code, _, body := get(t, base+"/api/v1/videos/"+job.ID+p); code != 404 || !strings.Contains(body, `"unknown_job"`) {
			t.Errorf("GET %s after DELETE: %d %s", p, code, body)
		}
	}
	if left := dirEntries(t, filepath.Join(dataDir, "videos")); len(left) != 0 {
		t.Errorf("files left after DELETE: %v", left)
	}
}

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && path != dir {
			names = append(names, strings.TrimPrefix(path, dir))
		}
		return nil
	})
	return names
}

// Bad uploads get a clear 4xx with a JSON error and leave nothing on disk:
// a JPEG named .mp4, an MP4 cut short, zero bytes, another form type, and
// bad effects.
func TestVideoUploadRefusals(t *testing.T) {
	dataDir := t.TempDir()
	base := startServerWith(t, "--data-dir", dataDir)
	dir := t.TempDir()
	jpegAsMP4 := filepath.Join(dir, "photo.mp4")
	os.WriteFile(jpegAsMP4, testmedia.WebcamJPEG(t), 0o644)
	whole, err := os.ReadFile(clipFile(t, testvideo.VideoClip{Width: 320, Height: 240, Frames: 30, FPS: 30}))
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "cut.mp4")
	os.WriteFile(truncated, whole[:len(whole)/2], 0o644)
	empty := filepath.Join(dir, "empty.mp4")
	os.WriteFile(empty, nil, 0o644)
	for _, tc := range []struct {
		path   string
		fields map[string]string
		status int
		code   string
	}{
		{jpegAsMP4, nil, 415, "not_video"},
		{truncated, nil, 422, "corrupt"},
		{empty, nil, 400, "empty"},
		{truncated, map[string]string{"effects": "lipstick:notacolour"}, 400, "bad_effects"},
	} {
		resp, body := uploadVideo(t, base, tc.path, tc.fields)
		var e apiError
		json.Unmarshal(body, &e)
		if resp.StatusCode != tc.status || e.Error.Code != tc.code || e.Error.Message == "" || strings.Contains(e.Error.Message, dataDir) {
			t.Errorf("%s: %d %s; want %d %s, without the server's paths", filepath.Base(tc.path), resp.StatusCode, body, tc.status, tc.code)
		}
	}
	resp, err := http.Post(base+"/api/v1/videos", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 415 {
		t.Errorf("text/plain upload: %d, want 415", resp.StatusCode)
	}
	if left := dirEntries(t, filepath.Join(dataDir, "videos")); len(left) != 0 {
		t.Errorf("refused uploads left files: %v", left)
	}
}

// countingReader counts what the server has taken of an endless body.
type countingReader struct{ n atomic.Int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	time.Sleep(time.Millisecond) // a client on a network, not a memcpy
	for i := range p {
		p[i] = 'x'
	}
	c.n.Add(int64(len(p)))
	return len(p), nil
}

// An upload over --max-upload-bytes is refused with 413: at once when its
// declared length says so, and as soon as its bytes pass the limit when it
// declares none; the server never reads the rest.
func TestVideoUploadLimit(t *testing.T) {
	const limit = 1 << 20
	dataDir := t.TempDir()
	base := startServerWith(t, "--data-dir", dataDir, "--max-upload-bytes", fmt.Sprint(limit))

	body := &countingReader{}
	req, _ := http.NewRequest("POST", base+"/api/v1/videos", io.LimitReader(body, 64<<20))
	req.ContentLength = 64 << 20
	req.Header.Set("Content-Type", "video/mp4")
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	if err != nil || resp.StatusCode != 413 {
		t.Errorf("declared 64 MiB: %v %v, want 413", resp, err)
	}
	t.Logf("declared 64 MiB: answered after %d bytes sent", body.n.Load())

	body = &countingReader{}
	req, _ = http.NewRequest("POST", base+"/api/v1/videos", io.LimitReader(body, 64<<20))
	req.ContentLength = -1 // chunked: the length is unknown until the end
	req.Header.Set("Content-Type", "video/mp4")
	resp, err = http.DefaultClient.Do(req)
	var e apiError
	if err == nil {
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
	}
	sent := body.n.Load()
	t.Logf("chunked: answered %v after %d bytes sent", e.Error, sent)
	if err != nil || resp.StatusCode != 413 || e.Error.Code != "too_large" {
		t.Fatalf("64 MiB chunked: %v %v %+v, want 413 too_large", resp, err, e)
	}
	if sent >= 32<<20 {
		t.Errorf("the client sent %d bytes before the 413: the server read far past the %d-byte limit", sent, limit)
	}
	eventually(t, 5*time.Second, "the refused upload's file was not removed", func() bool {
		return len(dirEntries(t, filepath.Join(dataDir, "videos"))) == 0
	})
}

// With --video-jobs 1, a second job waits in the queue with its position
// shown, its result is 409 with its state until done, and it runs when the
// first is done. Cancelling the first in the middle removes its files and
// starts the second. Meanwhile a live client keeps being answered; its
// round trips are logged.
func TestVideoQueueCancelAndLiveClient(t *testing.T) {
	dataDir := t.TempDir()
	// A slow server (10 ms more a frame) keeps the first job running
	// while the test looks at the second.
	base := startServerWith(t, "--data-dir", dataDir, "--video-jobs", "1", "--debug-delay", "10ms")
	long := clipFile(t, testvideo.VideoClip{Width: 640, Height: 360, Frames: 600, FPS: 30})
	short := clipFile(t, testvideo.VideoClip{Width: 320, Height: 240, Frames: 30, FPS: 30})
	first := uploadJob(t, base, long, nil)
	second := uploadJob(t, base, short, nil)
	if second.State != "queued" || second.QueuePosition != 1 {
		t.Errorf("second job: %s at %d; want queued at 1", second.State, second.QueuePosition)
	}
	code, _, body := get(t, base+second.Links.Result)
	var notReady struct {
		Error struct{ Code string }
		Job   videoJob
	}
	json.Unmarshal([]byte(body), &notReady)
	if code != 409 || notReady.Error.Code != "not_ready" || notReady.Job.State != "queued" {
		t.Errorf("result of a queued job: %d %s", code, body)
	}

	// The first job's frames can be watched in order while it runs.
	waitJob(t, base, first.ID, 30*time.Second, "the first job did not start", func(j videoJob) bool { return j.FramesDone > 0 })
	w := openWatch(t, base+first.Links.Watch, 0)
	var seen []int
	for len(seen) < 3 {
		jpg, err := w.next()
		if err != nil {
			t.Fatalf("watch: %v", err)
		}
		if id, ok := frameid.Read(jpg); ok {
			seen = append(seen, id)
		}
	}
	if !slices.IsSorted(seen) {
		t.Errorf("watched frames %v: not in order", seen)
	}

	// A live client, answered while the job runs.
	jpg := testmedia.WebcamJPEG(t)
	var rtts []time.Duration
	session := http.Header{}
	for i := 0; i < 20; i++ {
		start := time.Now()
		resp, _ := postFrame(t, t.Context(), http.DefaultClient, base+"/api/v1/frames", jpg, session)
		if resp.StatusCode != 200 {
			t.Fatalf("live frame during a job: %d", resp.StatusCode)
		}
		rtts = append(rtts, time.Since(start))
		session.Set("X-Session-Id", resp.Header.Get("X-Session-Id")) // one session: tracked, as a camera's
	}
	sort.Slice(rtts, func(i, j int) bool { return rtts[i] < rtts[j] })
	_, running := getJob(t, base, first.ID)
	t.Logf("live round trip during a job (with --debug-delay 10ms): median %v, max %v; job at frame %d, %.0f frames/s",
		rtts[len(rtts)/2], rtts[len(rtts)-1], running.FramesDone, running.FPS)
	if running.State != "processing" {
		t.Fatalf("first job %s before the cancel; make the clip longer", running.State)
	}

	req, _ := http.NewRequest("DELETE", base+"/api/v1/videos/"+first.ID, nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE a running job: %v %v", resp, err)
	}
	eventually(t, 10*time.Second, "the cancelled job's files were not removed", func() bool {
		_, err := os.Stat(filepath.Join(dataDir, "videos", first.ID))
		return os.IsNotExist(err)
	})
	if code, _ := getJob(t, base, first.ID); code != 404 {
		t.Errorf("cancelled job: %d, want 404", code)
	}
	done := waitJob(t, base, second.ID, 60*time.Second, "the queued job did not finish", func(j videoJob) bool { return j.State == "done" || j.State == "failed" })
	if done.State != "done" || done.FramesDone != 30 {
		t.Errorf("second job: %+v", done)
	}
}

// A job the server was processing when it died is reported failed
// (interrupted) after a restart, never lost; a finished one is still served.
func TestVideoJobsSurviveRestart(t *testing.T) {
	dataDir := t.TempDir()
	short := clipFile(t, testvideo.VideoClip{Width: 320, Height: 240, Frames: 30, FPS: 30})
	long := clipFile(t, testvideo.VideoClip{Width: 320, Height: 240, Frames: 600, FPS: 30})
	p := startProcess(t, "--data-dir", dataDir, "--debug-delay", "10ms")
	finished := uploadJob(t, p.base, short, nil)
	waitJob(t, p.base, finished.ID, 60*time.Second, "the short job did not finish", func(j videoJob) bool { return j.State == "done" })
	running := uploadJob(t, p.base, long, nil)
	waitJob(t, p.base, running.ID, 30*time.Second, "the long job did not start", func(j videoJob) bool { return j.FramesDone > 0 })
	p.cmd.Process.Kill() // no shutdown: a crash, or the machine going down
	<-p.exited

	p = startProcess(t, "--data-dir", dataDir)
	if code, j := getJob(t, p.base, running.ID); code != 200 || j.State != "failed" || j.Error == nil || j.Error.Code != "interrupted" {
		t.Errorf("interrupted job after a restart: %d %+v", code, j)
	}
	if code, _, _ := get(t, p.base+finished.Links.Result); code != 200 {
		t.Errorf("finished job's result after a restart: %d", code)
	}
}

// The page's "Upload a video" panel: a clip picked in the file input is
// uploaded with the page's effects, its progress shown, and the result
// plays to its end in Chromium's own <video>, with a picture.
func TestBrowserVideoUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	base := startServer(t)
	clip := clipFile(t, testvideo.VideoClip{Width: 640, Height: 360, Frames: 60, FPS: 30, Audio: true})
	camera := filepath.Join(t.TempDir(), "still.mjpeg")
	if err := os.WriteFile(camera, bytes.Repeat(testmedia.WebcamJPEG(t), 30), 0o644); err != nil {
		t.Fatal(err)
	}
	b := startBrowser(t, camera)
	b.run(t, chromedp.Navigate(base+"/"),
		chromedp.SetUploadFiles("#video-file", []string{clip}, chromedp.ByQuery),
		chromedp.Click("#video-upload", chromedp.ByQuery))
	var got struct {
		State  string  `json:"state"`
		Error  *string `json:"error"`
		Status string  `json:"status"`
		Ended  bool    `json:"ended"`
		Width  int     `json:"width"`
		Time   float64 `json:"time"`
		Shown  bool    `json:"shown"`
	}
	poll := func(what string, done func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !done() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %+v", what, got)
			}
			time.Sleep(200 * time.Millisecond)
			b.run(t, chromedp.Evaluate(`(() => { const v = document.getElementById('video-result');
				return { state: tryonVideo.state, error: tryonVideo.error, status: document.getElementById('video-status').textContent,
					ended: v.ended, width: v.videoWidth, time: v.currentTime, shown: !v.hidden }; })()`, &got))
		}
	}
	poll("the job did not finish on the page", func() bool { return got.State == "done" || got.Error != nil })
	if got.State != "done" || !got.Shown || !strings.Contains(got.Status, "done") {
		t.Fatalf("page after the job: %+v", got)
	}
	// Played muted: a page may start muted media without a user's gesture.
	b.run(t, chromedp.Evaluate(`(() => { const v = document.getElementById('video-result'); v.muted = true; v.play(); })()`, nil))
	poll("the result did not play to its end", func() bool { return got.Ended })
	t.Logf("played: %+v", got)
	if got.Width != 640 || got.Time < 1.9 {
		t.Errorf("played to %.2f s with videoWidth %d; want 2 s of a 640 px picture", got.Time, got.Width)
	}
	if errs := b.pageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}

	// The example a frontend developer copies does the same in forty lines.
	b.run(t, chromedp.Navigate(base+"/examples/video-upload/?effects=lipstick:%230000ff"),
		chromedp.SetUploadFiles("#file", []string{clip}, chromedp.ByQuery),
		chromedp.Click("#go", chromedp.ByQuery))
	var example struct {
		State string `json:"state"`
		Error string `json:"error"`
		Shown bool   `json:"shown"`
	}
	deadline := time.Now().Add(60 * time.Second)
	for example.State != "done" && example.State != "failed" && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		b.run(t, chromedp.Evaluate(`({ state: example.state, error: example.error, shown: !document.getElementById('result').hidden })`, &example))
	}
	if example.State != "done" || !example.Shown {
		t.Fatalf("the example: %+v", example)
	}
	b.run(t, chromedp.Evaluate(`(() => { const v = document.getElementById('result'); v.muted = true; v.play(); })()`, nil))
	var played struct {
		Ended bool `json:"ended"`
		Width int  `json:"width"`
	}
	for deadline = time.Now().Add(30 * time.Second); !played.Ended && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		b.run(t, chromedp.Evaluate(`(() => { const v = document.getElementById('result'); return { ended: v.ended, width: v.videoWidth }; })()`, &played))
	}
	if !played.Ended || played.Width != 640 {
		t.Errorf("the example's result: %+v; want played to its end, 640 px wide", played)
	}
	if errs := b.pageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}
