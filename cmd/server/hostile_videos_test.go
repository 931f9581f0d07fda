package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/livetryon/server/internal/testvideo"
)

// Hostile uploads (issue 21): files that turn ffmpeg against the server,
// and floods that would cost before a cap is checked. Each file is made
// here with ffmpeg and a few lines of Go.

// makeMedia runs ffmpeg to make a test file.
func makeMedia(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("ffmpeg", append([]string{"-v", "error", "-y"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
}

// postRaw uploads b as the raw body with a Content-Type.
func postRaw(t *testing.T, base, ctype string, b []byte) (int, apiError, []byte) {
	t.Helper()
	resp, err := http.Post(base+"/api/v1/videos", ctype, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var e apiError
	json.Unmarshal(body, &e)
	return resp.StatusCode, e, body
}

// child is an ffmpeg, ffprobe (or the prlimit and nice that become one)
// that the test process, which runs the server, started.
type child struct {
	pid        int
	comm       string
	peakKB     int // VmHWM: the most resident memory it has had
	residentKB int
	// asLimit is its RLIMIT_AS in bytes, -1 for none ("unlimited").
	asLimit int64
}

// ffmpegChildren lists the test process's children that are, or are
// about to become, ffmpeg or ffprobe.
func ffmpegChildren() []child {
	self := os.Getpid()
	entries, _ := os.ReadDir("/proc")
	var out []child
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		open, close := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
		if open < 0 || close < open {
			continue
		}
		fields := strings.Fields(string(stat[close+1:]))
		if len(fields) < 2 || fields[1] != strconv.Itoa(self) || fields[0] == "Z" { // a zombie has exited
			continue
		}
		comm := string(stat[open+1 : close])
		switch comm {
		case "ffmpeg", "ffprobe", "prlimit", "nice":
		default:
			continue
		}
		c := child{pid: pid, comm: comm}
		if status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
			sc := bufio.NewScanner(bytes.NewReader(status))
			for sc.Scan() {
				k, v, _ := strings.Cut(sc.Text(), ":")
				n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
				switch k {
				case "VmHWM":
					c.peakKB = n
				case "VmRSS":
					c.residentKB = n
				}
			}
		}
		c.asLimit = -1
		if limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid)); err == nil {
			for _, line := range strings.Split(string(limits), "\n") {
				if f := strings.Fields(strings.TrimPrefix(line, "Max address space")); len(f) > 0 && strings.HasPrefix(line, "Max address space") {
					if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
						c.asLimit = n
					}
				}
			}
		}
		out = append(out, c)
	}
	return out
}

// childWatch samples the ffmpeg children every few milliseconds until
// stopped: the most seen at once, of ffprobe, and the highest peak memory.
type childWatch struct {
	stop                chan struct{}
	done                chan struct{}
	maxAll, maxProbes   atomic.Int64
	peakKB, maxResident atomic.Int64
	// unlimited counts the ffmpeg and ffprobe children seen without a
	// memory limit; maxLimit is the highest limit seen.
	unlimited, maxLimit atomic.Int64
}

func watchChildren(t *testing.T) *childWatch {
	w := &childWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			kids := ffmpegChildren()
			probes := 0
			for _, c := range kids {
				if c.comm == "ffprobe" {
					probes++
				}
				if c.comm == "ffmpeg" || c.comm == "ffprobe" {
					if c.asLimit < 0 {
						w.unlimited.Add(1)
					} else if c.asLimit > w.maxLimit.Load() {
						w.maxLimit.Store(c.asLimit)
					}
				}
				if int64(c.peakKB) > w.peakKB.Load() {
					w.peakKB.Store(int64(c.peakKB))
				}
				if int64(c.residentKB) > w.maxResident.Load() {
					w.maxResident.Store(int64(c.residentKB))
				}
			}
			if int64(len(kids)) > w.maxAll.Load() {
				w.maxAll.Store(int64(len(kids)))
			}
			if int64(probes) > w.maxProbes.Load() {
				w.maxProbes.Store(int64(probes))
			}
			select {
			case <-w.stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(w.Stop)
	return w
}

func (w *childWatch) Stop() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

// noJobs checks that the data directory holds no job.
func noJobs(t *testing.T, dataDir, what string) {
	t.Helper()
	eventually(t, 5*time.Second, what+": an upload's files were left", func() bool {
		return len(dirEntries(t, filepath.Join(dataDir, "videos"))) == 0
	})
}

// An HLS playlist, a DASH manifest and an ffconcat list naming a media
// file on the server's disk, uploaded as video/mp4: refused as not_video,
// no job made, the file never opened (a named pipe in its place would
// have been), and the same answer whether the named file exists or not.
func TestVideoPlaylistsRefused(t *testing.T) {
	dataDir := t.TempDir()
	base := startServerWith(t, "--data-dir", dataDir)
	planted := t.TempDir()
	media := filepath.Join(planted, "secret.mp4")
	testvideo.MakeVideoClip(t, media, testvideo.VideoClip{Width: 320, Height: 240, Frames: 30, FPS: 30})
	fifo := filepath.Join(planted, "fifo.mp4")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	// A reader that opens the pipe is seen: the writer's non-blocking open
	// succeeds only while someone has it open to read.
	var fifoOpened atomic.Bool
	stopFIFO := make(chan struct{})
	fifoDone := make(chan struct{})
	go func() {
		defer close(fifoDone)
		for {
			if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				fifoOpened.Store(true)
				f.Close()
			}
			select {
			case <-stopFIFO:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	hls := func(path string) []byte {
		return fmt.Appendf(nil, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n%s\n#EXT-X-ENDLIST\n", path)
	}
	dash := func(path string) []byte {
		return fmt.Appendf(nil, `<?xml version="1.0" encoding="utf-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT1S" minBufferTime="PT1S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">
 <Period><AdaptationSet mimeType="video/mp4"><Representation id="0" bandwidth="100000" width="320" height="240" codecs="avc1.64000d">
  <BaseURL>file://%s</BaseURL><SegmentBase indexRange="0-0"/></Representation></AdaptationSet></Period></MPD>
`, path)
	}
	concat := func(path string) []byte { return fmt.Appendf(nil, "ffconcat version 1.0\nfile '%s'\n", path) }
	missing := filepath.Join(planted, "missing.mp4")
	for _, tc := range []struct {
		name string
		make func(string) []byte
	}{{"HLS", hls}, {"DASH", dash}, {"ffconcat", concat}} {
		var answers []string
		for _, target := range []string{media, fifo, missing} {
			code, e, body := postRaw(t, base, "video/mp4", tc.make(target))
			if code != 415 || e.Error.Code != "not_video" {
				t.Errorf("%s naming %s: %d %s; want 415 not_video", tc.name, filepath.Base(target), code, body)
			}
			if strings.Contains(string(body), planted) || strings.Contains(string(body), dataDir) {
				t.Errorf("%s: the answer names a path: %s", tc.name, body)
			}
			answers = append(answers, string(body))
			noJobs(t, dataDir, tc.name)
		}
		if answers[0] != answers[2] {
			t.Errorf("%s: the answer tells whether the named file exists:\n%s\n%s", tc.name, answers[0], answers[2])
		}
	}
	close(stopFIFO)
	<-fifoDone
	if fifoOpened.Load() {
		t.Error("a file named in an uploaded playlist was opened")
	}
}

// pngBomb is a 3 KB Matroska of PNG frames whose headers claim 16000x16000
// at 16 bits a channel (2 GB a picture), though the track says 16x16.
func pngBomb(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	small := filepath.Join(dir, "small.mkv")
	makeMedia(t, "-f", "lavfi", "-i", "testsrc=size=16x16:rate=10", "-t", "1", "-pix_fmt", "rgb48be", "-c:v", "png", small)
	b, err := os.ReadFile(small)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := bytes.Index(b, []byte("IHDR")); i >= 0; {
		binary.BigEndian.PutUint32(b[i+4:], 16000)
		binary.BigEndian.PutUint32(b[i+8:], 16000)
		binary.BigEndian.PutUint32(b[i+17:], crc32.ChecksumIEEE(b[i:i+17])) // type and data
		n++
		next := bytes.Index(b[i+4:], []byte("IHDR"))
		if next < 0 {
			break
		}
		i += 4 + next
	}
	if n == 0 {
		t.Fatal("no PNG header in the clip")
	}
	bomb := filepath.Join(dir, "bomb.mkv")
	if err := os.WriteFile(bomb, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return bomb
}

// The PNG-header bomb is refused, and no ffmpeg child of the server comes
// near the gigabytes its headers ask for (sampled from /proc while it is
// checked).
func TestVideoPNGBombRefused(t *testing.T) {
	dataDir := t.TempDir()
	base := startServerWith(t, "--data-dir", dataDir)
	bomb := pngBomb(t)
	w := watchChildren(t)
	resp, body := uploadVideo(t, base, bomb, nil)
	w.Stop()
	var e apiError
	json.Unmarshal(body, &e)
	t.Logf("bomb: %d %s; children: at most %d at once, peak resident %d MB, memory limit %d MiB", resp.StatusCode, bytes.TrimSpace(body), w.maxAll.Load(), w.peakKB.Load()>>10, w.maxLimit.Load()>>20)
	if resp.StatusCode < 400 || resp.StatusCode >= 500 || e.Error.Code == "" {
		t.Errorf("bomb: %d %s; want a 4xx refusal", resp.StatusCode, body)
	}
	if peak := w.peakKB.Load(); peak > 600<<10 {
		t.Errorf("an ffmpeg child reached %d MB resident checking the bomb; want well under 600 MB", peak>>10)
	}
	if w.unlimited.Load() > 0 || w.maxLimit.Load() > 1<<30 {
		t.Errorf("probe children without a memory limit: %d samples; highest limit %d bytes; want RLIMIT_AS of 1 GiB at most", w.unlimited.Load(), w.maxLimit.Load())
	}
	if w.maxLimit.Load() == 0 {
		t.Log("no ffmpeg child was sampled after its exec: its memory limit went unchecked")
	}
	noJobs(t, dataDir, "bomb")
}

// A 2x2 clip at 1000 fps (10,000 frames in 10 s) is refused by its frame
// rate (a status code, not a time), and holds no video slot: a normal clip
// uploaded after it, with the only slot, is processed. The wait is a
// bound for a busy machine (batch work runs at the lowest priority), not
// a speed asserted.
func TestVideoThousandFPSRefused(t *testing.T) {
	dataDir := t.TempDir()
	base := startServerWith(t, "--data-dir", dataDir, "--video-jobs", "1")
	path := filepath.Join(t.TempDir(), "fast.mp4")
	makeMedia(t, "-f", "lavfi", "-i", "testsrc=size=2x2:rate=1000", "-t", "10", "-c:v", "libx264", "-pix_fmt", "yuv420p", path)
	resp, body := uploadVideo(t, base, path, nil)
	var e apiError
	json.Unmarshal(body, &e)
	if resp.StatusCode != 413 || e.Error.Code != "too_many_frames" {
		t.Errorf("1000 fps: %d %s; want 413 too_many_frames", resp.StatusCode, body)
	}
	var stats Stats
	_, _, s := get(t, base+"/api/v1/stats")
	json.Unmarshal([]byte(s), &stats)
	if stats.Videos.Processing != 0 || stats.Videos.Queued != 0 {
		t.Errorf("after the refusal: %+v; want no job held", stats.Videos)
	}
	job := uploadJob(t, base, clipFile(t, testvideo.VideoClip{Width: 160, Height: 120, Frames: 10, FPS: 30}), nil)
	done := waitJob(t, base, job.ID, 5*time.Minute, "the next job did not finish", func(j videoJob) bool { return j.State == "done" || j.State == "failed" })
	if done.State != "done" {
		t.Errorf("the next job: %+v", done)
	}
}

// Twenty uploads at once: never more than --video-max-probes ffprobes, nor
// more ffmpeg children than two a probe and two a running job; the others
// wait their turn or get 503 busy.
func TestVideoProbesBounded(t *testing.T) {
	const probes = 2
	dataDir := t.TempDir()
	base := startServerWith(t, "--data-dir", dataDir, "--video-max-probes", strconv.Itoa(probes), "--video-jobs", "1",
		"--video-max-uploads", "20", "--video-max-uploads-per-ip", "20", "--video-queue", "32")
	clip := clipFile(t, testvideo.VideoClip{Width: 320, Height: 240, Frames: 150, FPS: 30})
	w := watchChildren(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]int{}
	var ids []string
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, body := uploadVideo(t, base, clip, nil)
			var e apiError
			var job videoJob
			json.Unmarshal(body, &e)
			json.Unmarshal(body, &job)
			mu.Lock()
			defer mu.Unlock()
			codes[fmt.Sprintf("%d %s", resp.StatusCode, e.Error.Code)]++
			if resp.StatusCode == 201 {
				ids = append(ids, job.ID)
			}
		}()
	}
	wg.Wait()
	w.Stop()
	t.Logf("answers %v; at most %d ffprobes and %d ffmpeg children at once", codes, w.maxProbes.Load(), w.maxAll.Load())
	for c := range codes {
		if c != "201 " && c != "503 busy" {
			t.Errorf("answer %q; want 201 or 503 busy", c)
		}
	}
	if codes["201 "] == 0 {
		t.Error("no upload was accepted")
	}
	if n := w.maxProbes.Load(); n > probes {
		t.Errorf("%d ffprobes at once; want at most %d", n, probes)
	}
	if n := w.maxAll.Load(); n > 2*probes+2 {
		t.Errorf("%d ffmpeg children at once; want at most %d (two a probe, two for the running job)", n, 2*probes+2)
	}
	for _, id := range ids {
		req, _ := http.NewRequest("DELETE", base+"/api/v1/videos/"+id, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
}

// slowUpload starts an upload from the local address from that sends a
// few bytes and then waits until the test ends: an upload in progress.
func slowUpload(t *testing.T, base, from string) {
	t.Helper()
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.CloseWithError(errors.New("test over")) })
	hc := clientFrom(t, from)
	req, _ := http.NewRequest("POST", base+"/api/v1/videos", pr)
	req.Header.Set("Content-Type", "video/mp4")
	go func() {
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	pw.Write(make([]byte, 1024))
}

// clientFrom is an HTTP client whose connections come from the loopback
// address from (127.0.0.x): another client address for the server.
func clientFrom(t *testing.T, from string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// countedBody is an upload body that counts what the server took of it.
type countedBody struct {
	n    atomic.Int64
	left int
}

func (c *countedBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, io.EOF
	}
	n := min(len(p), c.left, 32<<10)
	c.left -= n
	c.n.Add(int64(n))
	time.Sleep(time.Millisecond)
	return n, nil
}

// The per-address and total caps on uploads in progress, and the cap on
// one job's event listeners, answer at once, before the body is read or a
// file or an ffmpeg is made.
func TestVideoUploadAndListenerCaps(t *testing.T) {
	dataDir := t.TempDir()
	base := startServerWith(t, "--data-dir", dataDir, "--video-max-uploads", "2", "--video-max-uploads-per-ip", "1",
		"--video-events-per-job", "2", "--debug-delay", "20ms")
	slowUpload(t, base, "127.0.0.1")
	uploads := func() int {
		entries, _ := os.ReadDir(filepath.Join(dataDir, "videos"))
		return len(entries)
	}
	eventually(t, 5*time.Second, "the slow upload did not start", func() bool { return uploads() == 1 })
	refused := func(from string, status int, code string) {
		t.Helper()
		body := &countedBody{left: 8 << 20}
		req, _ := http.NewRequest("POST", base+"/api/v1/videos", body)
		req.Header.Set("Content-Type", "video/mp4")
		req.ContentLength = 8 << 20
		before := uploads()
		w := watchChildren(t)
		resp, err := clientFrom(t, from).Do(req)
		w.Stop()
		if err != nil {
			t.Fatalf("upload from %s: %v", from, err)
		}
		var e apiError
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		t.Logf("from %s: %d %s after %d bytes sent", from, resp.StatusCode, e.Error.Code, body.n.Load())
		if resp.StatusCode != status || e.Error.Code != code {
			t.Errorf("upload from %s: %d %+v; want %d %s", from, resp.StatusCode, e, status, code)
		}
		if after := uploads(); after != before {
			t.Errorf("upload from %s: the refusal made a file (%d entries, then %d)", from, before, after)
		}
		if w.maxAll.Load() != 0 {
			t.Errorf("upload from %s: an ffmpeg ran for a refused upload", from)
		}
	}
	refused("127.0.0.1", 429, "too_many_requests") // the address has its one upload
	slowUpload(t, base, "127.0.0.2")
	eventually(t, 5*time.Second, "the second slow upload did not start", func() bool { return uploads() == 2 })
	refused("127.0.0.3", 503, "busy") // two in progress, in all

	// Event listeners: a job that runs for a while, two listeners, then a
	// third is refused.
	other := startServerWith(t, "--video-events-per-job", "2", "--debug-delay", "20ms")
	job := uploadJob(t, other, clipFile(t, testvideo.VideoClip{Width: 160, Height: 120, Frames: 300, FPS: 30}), nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range 2 {
		req, _ := http.NewRequestWithContext(ctx, "GET", other+job.Links.Events, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("listener %d: %v %v", i, resp, err)
		}
		defer resp.Body.Close()
	}
	code, _, body := get(t, other+job.Links.Events)
	if code != 503 || !strings.Contains(body, `"too_many_viewers"`) {
		t.Errorf("third listener: %d %s; want 503 too_many_viewers", code, body)
	}
	cancel()
	req, _ := http.NewRequest("DELETE", other+"/api/v1/videos/"+job.ID, nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
}

// timestamps are the presentation times of a file's video packets, or of
// its first audio stream's, in order.
func timestamps(t *testing.T, path, stream string) []float64 {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", stream, "-show_entries", "packet=pts_time",
		"-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	var ts []float64
	for _, line := range strings.Fields(string(out)) {
		if f, err := strconv.ParseFloat(strings.TrimSuffix(line, ","), 64); err == nil {
			ts = append(ts, f)
		}
	}
	sort.Float64s(ts)
	return ts
}

// A variable-frame-rate clip, as phones write them (30 fps, then 15, with
// jitter), with a sound track: every frame of the result is shown when the
// clip's is, within a frame, and the sound spans the same time.
func TestVideoVariableFrameRate(t *testing.T) {
	dataDir := t.TempDir()
	base := startServerWith(t, "--data-dir", dataDir)
	clip := filepath.Join(t.TempDir(), "vfr.mp4")
	makeMedia(t, "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30:duration=3", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=4.5",
		"-vf", "settb=1/90000,setpts='(if(lt(N,45),N/30,1.5+(N-45)/15)+0.008*sin(N))/TB'", "-fps_mode", "passthrough", "-enc_time_base", "-1",
		"-video_track_timescale", "90000", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", clip)
	in := timestamps(t, clip, "v:0")
	if len(in) != 90 || in[89]-in[0] < 4 {
		t.Fatalf("the clip has %d frames over %.2f s; want 90 over 4.4 s", len(in), in[len(in)-1]-in[0])
	}
	job := uploadJob(t, base, clip, nil)
	done := waitJob(t, base, job.ID, 120*time.Second, "the job did not finish", func(j videoJob) bool { return j.State == "done" || j.State == "failed" })
	if done.State != "done" {
		t.Fatalf("job: %+v", done)
	}
	resp, err := http.Get(base + job.Links.Result)
	if err != nil {
		t.Fatal(err)
	}
	result, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	outPath := filepath.Join(t.TempDir(), "result.mp4")
	os.WriteFile(outPath, result, 0o644)
	out := timestamps(t, outPath, "v:0")
	if len(out) != len(in) {
		t.Fatalf("the result has %d frames; the clip %d", len(out), len(in))
	}
	const frame = 1.0 / 30
	worst := 0.0
	for i := range in {
		worst = max(worst, math.Abs(out[i]-in[i]))
	}
	t.Logf("frame times: the clip's %.3f..%.3f s, the result's %.3f..%.3f s; worst difference %.4f s", in[0], in[89], out[0], out[89], worst)
	if worst > frame {
		t.Errorf("a frame of the result is %.3f s from the clip's; want within one frame (%.3f s)", worst, frame)
	}
	inAudio, outAudio := timestamps(t, clip, "a:0"), timestamps(t, outPath, "a:0")
	if len(outAudio) == 0 {
		t.Fatal("the result has no sound")
	}
	// Sound and picture in sync: the sound starts and ends where the
	// clip's does relative to the picture.
	startSkew := (outAudio[0] - out[0]) - (inAudio[0] - in[0])
	endSkew := (outAudio[len(outAudio)-1] - out[len(out)-1]) - (inAudio[len(inAudio)-1] - in[len(in)-1])
	t.Logf("sound against picture: %.4f s at the start, %.4f s at the end", startSkew, endSkew)
	if math.Abs(startSkew) > frame || math.Abs(endSkew) > frame {
		t.Errorf("the sound is %.3f s (start) and %.3f s (end) off the picture; want within one frame", startSkew, endSkew)
	}
}

// Near the process's file-descriptor limit (three quarters of it open),
// an upload is refused with 503 busy before its body is read; once
// descriptors are free again, uploads are taken.
func TestVideoUploadRefusedNearFDLimit(t *testing.T) {
	dataDir := t.TempDir()
	base := startServerWith(t, "--data-dir", dataDir)
	clip, err := os.ReadFile(clipFile(t, testvideo.VideoClip{Width: 160, Height: 120, Frames: 10, FPS: 30}))
	if err != nil {
		t.Fatal(err)
	}
	var orig syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &orig); err != nil {
		t.Fatal(err)
	}
	fds, _ := os.ReadDir("/proc/self/fd")
	lowered := orig
	lowered.Cur = uint64(len(fds) + 400)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lowered); err != nil {
		t.Skipf("cannot lower the descriptor limit: %v", err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &orig)
	// Well over the three-quarter mark, counted again just before the
	// request: connections of earlier tests closing meanwhile must not
	// bring the count back under it.
	target := int(lowered.Cur)*3/4 + 32
	var fillers []*os.File
	topUp := func() {
		for {
			open, err := os.ReadDir("/proc/self/fd")
			if err != nil {
				t.Fatal(err)
			}
			if len(open) >= target {
				return
			}
			for range target - len(open) {
				f, err := os.Open(os.DevNull)
				if err != nil {
					t.Fatal(err)
				}
				fillers = append(fillers, f)
			}
		}
	}
	topUp()
	code, e, body := postRaw(t, base, "video/mp4", clip)
	if code != 503 || e.Error.Code != "busy" {
		t.Errorf("upload near the descriptor limit: %d %s; want 503 busy", code, body)
	}
	noJobs(t, dataDir, "near the limit")
	for _, f := range fillers {
		f.Close()
	}
	if code, _, body := postRaw(t, base, "video/mp4", clip); code != 201 {
		t.Errorf("upload with descriptors free: %d %s; want 201", code, body)
	}
}
