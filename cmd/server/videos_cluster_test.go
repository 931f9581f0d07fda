package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/frameid"
	"github.com/livetryon/server/internal/testvideo"
)

// redisServer is Debian's redis-server on a loopback port, with nothing
// saved: a stop loses every key, as a crash of an unpersisted Redis does.
type redisServer struct {
	t      *testing.T
	port   int
	cmd    *exec.Cmd
	exited chan struct{}
}

// startRedis runs redis-server on a free loopback port.
func startRedis(t *testing.T) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed (scripts/install-deps.sh installs it)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &redisServer{t: t, port: ln.Addr().(*net.TCPAddr).Port}
	ln.Close()
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *redisServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

func (r *redisServer) start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", r.t.TempDir())
	r.exited = make(chan struct{})
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	go func(cmd *exec.Cmd, exited chan struct{}) { cmd.Wait(); close(exited) }(r.cmd, r.exited)
	eventually(r.t, 10*time.Second, "redis-server did not start", func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", r.port))
		if err != nil {
			return false
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Second))
		io.WriteString(c, "PING\r\n")
		line, _ := bufio.NewReader(c).ReadString('\n')
		return strings.HasPrefix(line, "+PONG")
	})
}

func (r *redisServer) stop() {
	if r.cmd == nil {
		return
	}
	r.cmd.Process.Kill()
	<-r.exited
	r.cmd = nil
}

// startNode runs a node of a cluster: Redis, the shared data directory,
// its name, a short video lease.
func startNode(t *testing.T, r *redisServer, dataDir, id string, flags ...string) *process {
	t.Helper()
	p := startProcess(t, append([]string{"--redis", r.url(), "--data-dir", dataDir, "--node-id", id, "--video-lease", "2s"}, flags...)...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("node %s's log:\n%s", id, lastLines(p.logs.String(), 40))
		}
	})
	return p
}

// countFrames is the frames ffprobe decodes in path's video stream.
func countFrames(t *testing.T, path string) int {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("ffprobe %s: %q", path, out)
	}
	return n
}

// fetchResult downloads a job's result from base into a file.
func fetchResult(t *testing.T, base, id string) string {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/videos/" + id + "/result.mp4")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "video/mp4" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("result from %s: %d %s", base, resp.StatusCode, b)
	}
	path := filepath.Join(t.TempDir(), "result.mp4")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkEveryFrame checks that the result has each of the clip's frames,
// once and in order, by the number stamped in its pixels.
func checkEveryFrame(t *testing.T, c testvideo.VideoClip, path string) {
	t.Helper()
	if n := countFrames(t, path); n != c.Frames {
		t.Errorf("ffprobe counts %d frames in the result, want the clip's %d", n, c.Frames)
	}
	bad := 0
	n := testvideo.VideoFrames(t, path, c.Width, c.Height, func(i int, img gocv.Mat) {
		if id, ok := frameid.ReadImage(img); (!ok || id != i%frameid.Modulo) && bad < 5 {
			bad++
			t.Errorf("frame %d of the result carries number %d (read: %v)", i, id, ok)
		}
	})
	if n != c.Frames {
		t.Errorf("%d frames decoded, want %d", n, c.Frames)
	}
}

// A video job whose node is killed (SIGKILL) part-way is taken over by
// another node once its lease expires, and finishes there with every
// frame, once and in order; every surviving node serves its result. It
// fails on the old code, where a job lived in its node's memory: no other
// node knows it (404), and a restarted one reports it interrupted.
func TestClusterVideoJobSurvivesKilledNode(t *testing.T) {
	if testing.Short() {
		t.Skip("runs redis-server and three server processes")
	}
	r := startRedis(t)
	shared := t.TempDir()
	nodes := map[string]*process{}
	for _, id := range []string{"n1", "n2", "n3"} {
		nodes[id] = startNode(t, r, shared, id, "--debug-delay", "15ms")
	}
	c := testvideo.VideoClip{Width: 320, Height: 240, Frames: 300, FPS: 30}
	job := uploadJob(t, nodes["n1"].base, clipFile(t, c), nil)
	running := waitJob(t, nodes["n2"].base, job.ID, 60*time.Second, "the job did not get a quarter of the way",
		func(j videoJob) bool { return j.State == "processing" && j.FramesDone >= c.Frames/4 })
	victim := running.Node
	if nodes[victim] == nil {
		t.Fatalf("the job's node is %q, not one of the cluster's", victim)
	}
	nodes[victim].cmd.Process.Kill()
	<-nodes[victim].exited
	killed := time.Now()
	delete(nodes, victim)
	t.Logf("killed %s at frame %d of %d", victim, running.FramesDone, c.Frames)

	var survivor *process
	for _, p := range nodes {
		survivor = p
		break
	}
	resumed := waitJob(t, survivor.base, job.ID, 60*time.Second, "no other node took the job over",
		func(j videoJob) bool { return j.State == "processing" && j.Node != victim && j.Node != "" })
	t.Logf("resumed on %s %v after the kill", resumed.Node, time.Since(killed).Round(100*time.Millisecond))
	done := waitJob(t, survivor.base, job.ID, 120*time.Second, "the job did not finish on another node",
		func(j videoJob) bool { return j.State == "done" || j.State == "failed" })
	if done.State != "done" || done.FramesDone != c.Frames || done.FramesTotal != c.Frames || done.Node == victim {
		t.Fatalf("the job after its node was killed: %+v", done)
	}
	for id, p := range nodes {
		path := fetchResult(t, p.base, job.ID)
		t.Logf("result from %s: %s", id, path)
		checkEveryFrame(t, c, path)
	}
	// Only the result and the job's state are left: no partial output.
	entries, _ := os.ReadDir(filepath.Join(shared, "videos", job.ID))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "result.mp4" {
		t.Errorf("the job's directory holds %v; want only result.mp4", names)
	}
}

// Status, events, watch, result and DELETE answer from a node other than
// the one that took the upload; the queue's cap is the cluster's. It fails
// on the old code, where only the uploading node knows the job.
func TestClusterVideoJobFromAnyNode(t *testing.T) {
	if testing.Short() {
		t.Skip("runs redis-server and two server processes")
	}
	r := startRedis(t)
	shared := t.TempDir()
	a := startNode(t, r, shared, "a", "--debug-delay", "30ms", "--video-queue", "1")
	b := startNode(t, r, shared, "b", "--debug-delay", "30ms", "--video-queue", "1")
	c := testvideo.VideoClip{Width: 320, Height: 240, Frames: 90, FPS: 30}
	clip := clipFile(t, c)

	job := uploadJob(t, a.base, clip, map[string]string{"effects": "lipstick:#0000ff"})
	if code, j := getJob(t, b.base, job.ID); code != 200 || j.ID != job.ID {
		t.Fatalf("status from the other node: %d %+v", code, j)
	}
	// The preview of a job processed on either node, watched on b.
	waitJob(t, b.base, job.ID, 60*time.Second, "the job did not start", func(j videoJob) bool { return j.State == "processing" })
	resp, err := http.Get(b.base + job.Links.Watch)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "multipart/x-mixed-replace") {
		t.Errorf("watch from the other node: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	} else {
		_, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		part, err := multipart.NewReader(resp.Body, params["boundary"]).NextPart()
		if err != nil {
			t.Errorf("watch from the other node: no frame: %v", err)
		} else if jpg, _ := io.ReadAll(part); len(jpg) < 100 || jpg[0] != 0xff || jpg[1] != 0xd8 {
			t.Errorf("watch from the other node: a frame of %d bytes, not a JPEG", len(jpg))
		}
	}
	resp.Body.Close()

	events := readEvents(t, b.base+job.Links.Events)
	if len(events) == 0 || events[len(events)-1].name != "done" || events[len(events)-1].job.FramesDone != c.Frames {
		t.Fatalf("events from the other node: %+v; want the last one done with every frame", events)
	}
	path := fetchResult(t, b.base, job.ID)
	checkEveryFrame(t, c, path)

	// The queue's cap is the cluster's: with one job on each node's worker
	// and one waiting, a fourth is refused by either node.
	long := clipFile(t, testvideo.VideoClip{Width: 320, Height: 240, Frames: 600, FPS: 30})
	var ids []string
	for i := 0; i < 3; i++ {
		ids = append(ids, uploadJob(t, []*process{a, b}[i%2].base, long, nil).ID)
		if i < 2 {
			waitJob(t, a.base, ids[i], 60*time.Second, "the job did not start", func(j videoJob) bool { return j.State == "processing" })
		}
	}
	for _, p := range []*process{a, b} {
		resp, body := uploadVideo(t, p.base, long, nil)
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), `"busy"`) || resp.Header.Get("Retry-After") == "" {
			t.Errorf("an upload past the cluster's queue: %d %v %s", resp.StatusCode, resp.Header, body)
		}
	}

	// DELETE on b of jobs uploaded to a and b, running or queued, wherever
	// they run: gone on both nodes, and their files with them.
	for _, id := range ids {
		req, _ := http.NewRequest("DELETE", b.base+"/api/v1/videos/"+id, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("DELETE from the other node: %v %v", resp, err)
		}
		resp.Body.Close()
		for _, p := range []*process{a, b} {
			if code, _, body := get(t, p.base+"/api/v1/videos/"+id); code != 404 || !strings.Contains(body, `"unknown_job"`) {
				t.Errorf("GET after DELETE: %d %s", code, body)
			}
		}
	}
	eventually(t, 30*time.Second, "the deleted jobs' files were not removed", func() bool {
		for _, id := range ids {
			if _, err := os.Stat(filepath.Join(shared, "videos", id)); err == nil {
				return false
			}
		}
		return true
	})
	if code, j := getJob(t, a.base, job.ID); code != 200 || j.State != "done" {
		t.Errorf("the done job after the others' DELETE: %d %+v", code, j)
	}
}

// While Redis is down, uploads answer 503 unavailable with Retry-After,
// and a job's status says unavailable too, not unknown_job; when Redis
// returns, uploads work again without a restart of the node. It fails on
// the old code, which has no Redis.
func TestClusterVideoUploadsWhileRedisDown(t *testing.T) {
	if testing.Short() {
		t.Skip("runs redis-server and a server process")
	}
	r := startRedis(t)
	n := startNode(t, r, t.TempDir(), "n1")
	c := testvideo.VideoClip{Width: 160, Height: 120, Frames: 30, FPS: 30}
	clip := clipFile(t, c)
	job := uploadJob(t, n.base, clip, nil)
	waitJob(t, n.base, job.ID, 60*time.Second, "the job did not finish", func(j videoJob) bool { return j.State == "done" })

	r.stop()
	resp, body := uploadVideo(t, n.base, clip, nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), `"unavailable"`) || resp.Header.Get("Retry-After") == "" {
		t.Errorf("an upload while Redis is down: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	if code, _, body := get(t, n.base+"/api/v1/videos/"+job.ID); code != http.StatusServiceUnavailable || !strings.Contains(body, `"unavailable"`) {
		t.Errorf("a job's status while Redis is down: %d %s", code, body)
	}
	if code, _, _ := get(t, n.base+"/readyz"); code != 200 {
		t.Errorf("readyz while Redis is down: %d; live clients never touch Redis", code)
	}

	r.start()
	var again videoJob
	eventually(t, 30*time.Second, "uploads did not work again after Redis returned", func() bool {
		resp, body := uploadVideo(t, n.base, clip, nil)
		return resp.StatusCode == http.StatusCreated && json.Unmarshal(body, &again) == nil
	})
	done := waitJob(t, n.base, again.ID, 60*time.Second, "the job after Redis returned did not finish", func(j videoJob) bool { return j.State == "done" })
	if done.FramesDone != c.Frames {
		t.Errorf("the job after Redis returned: %+v", done)
	}
}

// lastLines is the end of a log, for a failed test's message.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// SIGTERM on the node processing a job hands the job back as its drain
// starts: with a lease far longer than the test waits, only the hand-back
// can move it, and another node finishes it with every frame. A finished job expires
// cluster-wide: after --video-retention every node answers 404 and its
// files are gone. It fails on the old code, where a stopping node marks
// its jobs interrupted.
func TestClusterVideoJobMovesOnSIGTERMAndExpires(t *testing.T) {
	if testing.Short() {
		t.Skip("runs redis-server and two server processes")
	}
	r := startRedis(t)
	shared := t.TempDir()
	nodes := map[string]*process{}
	for _, id := range []string{"a", "b"} {
		nodes[id] = startNode(t, r, shared, id, "--debug-delay", "15ms", "--video-lease", "60s", "--video-retention", "15s", "--drain", "20s")
	}
	c := testvideo.VideoClip{Width: 320, Height: 240, Frames: 200, FPS: 30}
	job := uploadJob(t, nodes["a"].base, clipFile(t, c), nil)
	running := waitJob(t, nodes["a"].base, job.ID, 60*time.Second, "the job did not start",
		func(j videoJob) bool { return j.State == "processing" && j.FramesDone > 10 })
	stopping := nodes[running.Node]
	if stopping == nil {
		t.Fatalf("the job's node is %q", running.Node)
	}
	stopping.cmd.Process.Signal(syscall.SIGTERM)
	delete(nodes, running.Node)
	var other *process
	for _, p := range nodes {
		other = p
	}
	// The job moves when the drain starts, not when the node exits.
	waitJob(t, other.base, job.ID, 15*time.Second, "the stopping node's job did not move to the other node",
		func(j videoJob) bool { return j.State == "processing" && j.Node != running.Node })
	if stopping.exitsWithin(0) {
		t.Error("the job moved only once its node had exited, not at the start of its drain")
	}
	done := waitJob(t, other.base, job.ID, 120*time.Second, "the job did not finish",
		func(j videoJob) bool { return j.State == "done" || j.State == "failed" })
	if done.State != "done" || done.FramesDone != c.Frames {
		t.Fatalf("the job after its node stopped: %+v", done)
	}
	checkEveryFrame(t, c, fetchResult(t, other.base, job.ID))
	if !stopping.exitsWithin(60 * time.Second) {
		t.Fatal("the node did not exit after SIGTERM")
	}

	eventually(t, 60*time.Second, "the finished job did not expire", func() bool {
		code, _, _ := get(t, other.base+"/api/v1/videos/"+job.ID)
		_, err := os.Stat(filepath.Join(shared, "videos", job.ID))
		return code == 404 && os.IsNotExist(err)
	})
}

// TestClusterVideoResumeTimes measures, TRYON_BENCH_RESUME times (it is
// skipped without it), the time from the SIGKILL of the node processing a
// video job to another node processing it (the status names the new
// node), and to that node's first finished frame, with --video-lease 2s.
// A timing, not an assertion: the figures go in docs/BENCHMARKS.md. A new
// node takes each dead one's place, so there are always three.
//
//	TRYON_BENCH_RESUME=5 flock /work/notes/bench.lock go test ./cmd/server -run TestClusterVideoResumeTimes -v
func TestClusterVideoResumeTimes(t *testing.T) {
	runs, _ := strconv.Atoi(os.Getenv("TRYON_BENCH_RESUME"))
	if runs <= 0 {
		t.Skip("a measurement: set TRYON_BENCH_RESUME to the number of runs")
	}
	r := startRedis(t)
	shared := t.TempDir()
	nodes := map[string]*process{}
	next := 0
	add := func() {
		next++
		id := fmt.Sprintf("n%d", next)
		nodes[id] = startNode(t, r, shared, id, "--debug-delay", "15ms")
	}
	for len(nodes) < 3 {
		add()
	}
	c := testvideo.VideoClip{Width: 320, Height: 240, Frames: 300, FPS: 30}
	clip := clipFile(t, c)
	var toNode, toFrame []time.Duration
	for i := 0; i < runs; i++ {
		var any *process
		for _, p := range nodes {
			any = p
			break
		}
		job := uploadJob(t, any.base, clip, nil)
		running := waitJob(t, any.base, job.ID, 60*time.Second, "the job did not start",
			func(j videoJob) bool { return j.State == "processing" && j.FramesDone >= 30 })
		victim := nodes[running.Node]
		victim.cmd.Process.Kill()
		<-victim.exited
		killed := time.Now()
		delete(nodes, running.Node)
		for _, p := range nodes {
			any = p
			break
		}
		var moved time.Duration
		for {
			_, j := getJob(t, any.base, job.ID)
			if j.State == "processing" && j.Node != running.Node && j.Node != "" && moved == 0 {
				moved = time.Since(killed)
			}
			if moved > 0 && j.FramesDone > 0 {
				break
			}
			if time.Since(killed) > time.Minute {
				t.Fatalf("the job was not resumed: %+v", j)
			}
			time.Sleep(20 * time.Millisecond)
		}
		toNode, toFrame = append(toNode, moved), append(toFrame, time.Since(killed))
		t.Logf("run %d: another node took the job %v after the kill, its first frame at %v", i+1,
			moved.Round(10*time.Millisecond), toFrame[i].Round(10*time.Millisecond))
		req, _ := http.NewRequest("DELETE", any.base+"/api/v1/videos/"+job.ID, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		add()
	}
	t.Logf("median of %d: to another node %v, to its first frame %v", runs,
		medianDuration(toNode).Round(10*time.Millisecond), medianDuration(toFrame).Round(10*time.Millisecond))
}

func medianDuration(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
