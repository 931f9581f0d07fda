// Package loadgen drives a try-on server with many clients sending real JPEG
// frames over Socket.IO, a raw WebSocket or HTTP per frame, and reports how
// fast and how fresh the answers are, and what each frame costs on the wire.
//
// Every answer is matched to the frame it answers: by its id (protocol
// "ack": the Socket.IO acknowledgement, the WebSocket `answer` message, the
// HTTP X-Frame-Id header), or, for a server that speaks only the tutorial's
// seed protocol, by a frame number stamped into the image's pixels (package
// frameid). That lets the same tool measure an unmodified tutorial server
// and this one alike.
package loadgen

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/livetryon/server/internal/cvimage"
	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/frameid"
	"github.com/livetryon/server/pkg/frame"
)

// Config is one load run.
type Config struct {
	URL       string
	Transport string // "socketio" (the default), "ws" or "http"
	// HTTPNewConnEachFrame turns keep-alive off for transport http: a new
	// TCP connection per frame, as a client that cannot reuse one pays.
	HTTPNewConnEachFrame bool
	Clients              int
	FPS                  float64 // frames a second per client; 0 is a closed loop (next frame when the answer arrives)
	Duration             time.Duration
	Protocol             string // "seed": answers matched by their pixels; "ack": by their id (see the package doc)
	Source               string // a JPEG: the portrait
	// Size is the frames' size: Source framed as a camera with that aspect
	// would frame it (the largest centred region of that aspect), scaled,
	// so the face keeps its share of the frame's width. Zero: 640x480.
	Size     image.Point
	Quality  int // JPEG quality of the frames sent, 1..100
	Variants int // distinct stamped frames to cycle through (at most frameid.Modulo)
	// AnswerTimeout ends a closed loop's wait for an answer that never comes.
	AnswerTimeout time.Duration
	// ServerPID, if set, is the server's process: its peak resident memory
	// is sampled, and its CPU time over the run is divided by the frames
	// answered.
	ServerPID int
	// Settings, if set, is a config message (JSON, as the config event)
	// each client sends before its first frame, e.g. {"look":"bold"}:
	// over Socket.IO as the config event, waiting for its reply; over HTTP
	// as the X-Config header of every request. Not supported over ws.
	Settings string
}

// Report is what a run measured. Ages are from a frame's send to its answer.
type Report struct {
	Transport       string  `json:"transport"`
	Protocol        string  `json:"protocol"`
	Clients         int     `json:"clients"`
	OfferedFPS      float64 `json:"offered_fps_per_client"` // 0: closed loop
	DurationSeconds float64 `json:"duration_s"`
	FrameBytes      int     `json:"frame_bytes"`

	Sent          int    `json:"sent"`
	Answered      int    `json:"answered"`
	Unanswered    int    `json:"unanswered"`     // sent, and neither answered nor reported dropped
	ServerDropped int    `json:"server_dropped"` // reported by acknowledgements
	Errors        int    `json:"errors"`         // error events or error acks other than dropped
	Malformed     int    `json:"malformed"`      // answers that are not a JPEG data URL, or match no frame
	ErrorSample   string `json:"error_sample,omitempty"`

	AnsweredFPS float64 `json:"answered_fps"`
	AgeP50      float64 `json:"age_p50_ms"`
	AgeP95      float64 `json:"age_p95_ms"`
	AgeP99      float64 `json:"age_p99_ms"`
	AgeMax      float64 `json:"age_max_ms"`
	// Median age of frames sent in the first and the last quarter of the
	// run, and last/first: above 1 means latency builds up.
	FirstQuarterP50 float64 `json:"first_quarter_p50_ms"`
	LastQuarterP50  float64 `json:"last_quarter_p50_ms"`
	Drift           float64 `json:"drift"`

	// Bytes on the wire (TCP payload, both ways, handshakes included) per
	// frame sent and per frame answered.
	WireBytesUp       int64   `json:"wire_bytes_up"`
	WireBytesDown     int64   `json:"wire_bytes_down"`
	UpBytesPerFrame   float64 `json:"up_bytes_per_frame_sent"`
	DownBytesPerFrame float64 `json:"down_bytes_per_frame_answered"`

	PeakRSSMB float64 `json:"server_peak_rss_mb,omitempty"`
	// The server's CPU time (user and system, all its threads) from the
	// first frame sent to the last answer's grace, and that divided by the
	// frames answered: what a frame costs the server whatever the load
	// client's own speed. Zero without ServerPID.
	ServerCPUSeconds     float64 `json:"server_cpu_s,omitempty"`
	ServerCPUPerAnswered float64 `json:"server_cpu_ms_per_answered_frame,omitempty"`
	// Median server time per stage in ms, as acknowledgements report it.
	ServerStagesP50 map[string]float64 `json:"server_stages_p50_ms,omitempty"`
	// Answers by the faces the server found in them ("1": 950, "0": 3);
	// empty when the protocol does not say (seed).
	FacesPerAnswer map[string]int `json:"faces_per_answer,omitempty"`
	FrameWidth     int            `json:"frame_width"`
	FrameHeight    int            `json:"frame_height"`
}

// answerInfo is what an answer says of its frame besides the picture.
type answerInfo struct {
	faces   int // -1: not said
	timings map[string]float64
}

type sample struct {
	sent time.Time
	age  time.Duration
}

// variant is one stamped frame, ready to send as bytes or as a data URL.
type variant struct {
	jpeg    []byte
	dataURL string
}

// makeFrames encodes the source once per variant, each with its number
// stamped in.
func makeFrames(cfg Config) ([]variant, int, error) {
	src, err := cvimage.ReadFile(cfg.Source)
	if err != nil {
		return nil, 0, fmt.Errorf("cannot read %s", cfg.Source)
	}
	defer src.Close()
	size := cfg.Size
	if size == (image.Point{}) {
		size = image.Pt(640, 480)
	}
	frame := cvimage.CameraFrame(src, size)
	defer frame.Close()
	var f []variant
	largest := 0
	for i := 0; i < cfg.Variants; i++ {
		img := frame.Clone()
		frameid.Stamp(&img, i)
		buf, err := cvjpeg.Encode(img, cvjpeg.Options{Quality: cfg.Quality})
		img.Close()
		if err != nil {
			return nil, 0, err
		}
		jpg := append([]byte(nil), buf.Bytes()...)
		buf.Close()
		largest = max(largest, len(jpg))
		f = append(f, variant{jpeg: jpg, dataURL: "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(jpg)})
	}
	return f, largest, nil
}

// Run performs the load and returns its report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Clients < 1 || cfg.Duration <= 0 {
		return nil, errors.New("loadgen: need at least one client and a duration")
	}
	if cfg.Protocol != "seed" && cfg.Protocol != "ack" {
		return nil, fmt.Errorf("loadgen: protocol %q: want seed or ack", cfg.Protocol)
	}
	if cfg.Transport == "" {
		cfg.Transport = "socketio"
	}
	if cfg.Transport == "http" && cfg.Protocol == "seed" {
		return nil, errors.New("loadgen: HTTP answers each request: use protocol ack")
	}
	if cfg.Variants <= 0 || cfg.Variants > frameid.Modulo {
		cfg.Variants = frameid.Modulo
	}
	if cfg.Quality <= 0 {
		cfg.Quality = 50
	}
	if cfg.AnswerTimeout <= 0 {
		cfg.AnswerTimeout = 5 * time.Second
	}
	fr, size, err := makeFrames(cfg)
	if err != nil {
		return nil, err
	}
	var w wire
	clients := make([]*client, cfg.Clients)
	for i := range clients {
		c := newClient(cfg, fr)
		l, err := dial(cfg, c, &w)
		if err != nil {
			for _, c := range clients[:i] {
				c.link.close()
			}
			return nil, err
		}
		c.link = l
		clients[i] = c
	}
	var rss rssSampler
	var cpuStart time.Duration
	if cfg.ServerPID > 0 {
		go rss.run(ctx, cfg.ServerPID)
		if cpuStart, err = processCPU(cfg.ServerPID); err != nil {
			for _, c := range clients {
				c.link.close()
			}
			return nil, err
		}
	}

	start := time.Now()
	end := start.Add(cfg.Duration)
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.run(ctx, end)
		}()
	}
	wg.Wait()
	// Give answers in flight a moment before counting what never came.
	grace := time.NewTimer(min(cfg.AnswerTimeout, 2*time.Second))
	select {
	case <-grace.C:
	case <-ctx.Done():
	}
	up, down := w.up.Load(), w.down.Load() // before closing, which costs bytes too
	var cpu time.Duration
	if cfg.ServerPID > 0 {
		// Before closing too: tearing sessions down is not a frame's cost.
		cpuEnd, err := processCPU(cfg.ServerPID)
		if err == nil {
			cpu = cpuEnd - cpuStart
		}
	}
	for _, c := range clients {
		c.link.close()
	}
	r := report(cfg, start, size, clients, rss.peak())
	r.WireBytesUp, r.WireBytesDown = up, down
	if r.Sent > 0 {
		r.UpBytesPerFrame = float64(up) / float64(r.Sent)
	}
	if r.Answered > 0 {
		r.DownBytesPerFrame = float64(down) / float64(r.Answered)
	}
	if cpu > 0 {
		r.ServerCPUSeconds = cpu.Seconds()
		if r.Answered > 0 {
			r.ServerCPUPerAnswered = ms(cpu) / float64(r.Answered)
		}
	}
	return r, nil
}

func report(cfg Config, start time.Time, size int, clients []*client, peakRSS float64) *Report {
	r := &Report{Transport: cfg.Transport, Protocol: cfg.Protocol, Clients: cfg.Clients, OfferedFPS: cfg.FPS,
		DurationSeconds: cfg.Duration.Seconds(), FrameBytes: size, PeakRSSMB: peakRSS, FrameWidth: cfg.Size.X, FrameHeight: cfg.Size.Y}
	if cfg.Size == (image.Point{}) {
		r.FrameWidth, r.FrameHeight = 640, 480
	}
	var all []sample
	stages := map[string][]float64{}
	for _, c := range clients {
		c.mu.Lock()
		for k, v := range c.stages {
			stages[k] = append(stages[k], v...)
		}
		for k, n := range c.faces {
			if r.FacesPerAnswer == nil {
				r.FacesPerAnswer = map[string]int{}
			}
			r.FacesPerAnswer[k] += n
		}
		r.Sent += c.sent
		r.Answered += len(c.samples)
		r.ServerDropped += c.dropped
		r.Errors += c.errors
		r.Malformed += c.malformed
		r.Unanswered += len(c.inFlight)
		if r.ErrorSample == "" {
			r.ErrorSample = c.errorSample
		}
		all = append(all, c.samples...)
		c.mu.Unlock()
	}
	r.AnsweredFPS = float64(len(all)) / cfg.Duration.Seconds()
	if len(stages) > 0 {
		r.ServerStagesP50 = map[string]float64{}
		for k, v := range stages {
			sort.Float64s(v)
			r.ServerStagesP50[k] = quantile(v, 0.5)
		}
	}
	ages := make([]float64, len(all))
	for i, s := range all {
		ages[i] = ms(s.age)
	}
	sort.Float64s(ages)
	r.AgeP50, r.AgeP95, r.AgeP99 = quantile(ages, 0.5), quantile(ages, 0.95), quantile(ages, 0.99)
	if len(ages) > 0 {
		r.AgeMax = ages[len(ages)-1]
	}
	quarter := cfg.Duration / 4
	var first, last []float64
	for _, s := range all {
		switch at := s.sent.Sub(start); {
		case at < quarter:
			first = append(first, ms(s.age))
		case at >= 3*quarter:
			last = append(last, ms(s.age))
		}
	}
	sort.Float64s(first)
	sort.Float64s(last)
	r.FirstQuarterP50, r.LastQuarterP50 = quantile(first, 0.5), quantile(last, 0.5)
	if r.FirstQuarterP50 > 0 {
		r.Drift = r.LastQuarterP50 / r.FirstQuarterP50
	}
	return r
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// client is one simulated page: it sends frames over its link and keeps
// the books on what came back. The link reports each outcome through
// onAnswer, onDropped, onError, onPixels and onUnmatched.
type client struct {
	link   link
	cfg    Config
	frames []variant
	answer chan struct{} // closed loop: an answer (or error) arrived

	mu          sync.Mutex
	seq         int
	inFlight    map[int]time.Time    // frame number → send time
	stages      map[string][]float64 // the server's per-stage ms, from answers
	faces       map[string]int       // answers by faces found
	samples     []sample
	sent        int
	dropped     int
	errors      int
	malformed   int
	errorSample string
}

func newClient(cfg Config, fr []variant) *client {
	return &client{cfg: cfg, frames: fr, answer: make(chan struct{}, 1), inFlight: map[int]time.Time{}, stages: map[string][]float64{}, faces: map[string]int{}}
}

func (c *client) signal() {
	select {
	case c.answer <- struct{}{}:
	default:
	}
}

func (c *client) run(ctx context.Context, end time.Time) {
	var tick *time.Ticker
	if c.cfg.FPS > 0 {
		tick = time.NewTicker(time.Duration(float64(time.Second) / c.cfg.FPS))
		defer tick.Stop()
	}
	for time.Now().Before(end) {
		if err := c.send(); err != nil {
			c.fail(err.Error())
			return
		}
		if tick != nil {
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			case <-c.link.done():
				return
			}
			continue
		}
		select {
		case <-c.answer:
		case <-time.After(c.cfg.AnswerTimeout):
		case <-ctx.Done():
			return
		case <-c.link.done():
			return
		}
	}
}

func (c *client) send() error {
	c.mu.Lock()
	n := c.seq
	c.seq++
	id := n % len(c.frames)
	c.inFlight[id] = time.Now()
	c.sent++
	c.mu.Unlock()
	return c.link.send(id, &c.frames[id])
}

// onAnswer records the answer to frame id; valid says it is a JPEG.
func (c *client) onAnswer(id int, valid bool, info answerInfo) {
	defer c.signal()
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !valid {
		c.malformed++
		delete(c.inFlight, id)
		return
	}
	c.matchLocked(id, now)
	for stage, v := range info.timings {
		c.stages[stage] = append(c.stages[stage], v)
	}
	if info.faces >= 0 {
		c.faces[strconv.Itoa(info.faces)]++
	}
}

// onPixels matches a seed-protocol answer by the number in its pixels.
func (c *client) onPixels(jpg []byte) {
	defer c.signal()
	now := time.Now()
	id, ok := frameid.Read(jpg)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !ok {
		c.malformed++
		return
	}
	c.matchLocked(id, now)
}

func (c *client) matchLocked(id int, now time.Time) {
	sent, ok := c.inFlight[id]
	if !ok {
		c.malformed++
		return
	}
	delete(c.inFlight, id)
	c.samples = append(c.samples, sample{sent: sent, age: now.Sub(sent)})
}

// onDropped records that the server replaced frame id with a newer one.
func (c *client) onDropped(id int) {
	defer c.signal()
	c.mu.Lock()
	c.dropped++
	delete(c.inFlight, id)
	c.mu.Unlock()
}

// onError records an error answer to frame id (-1: to no frame in
// particular).
func (c *client) onError(id int, why string) {
	defer c.signal()
	c.mu.Lock()
	delete(c.inFlight, id)
	c.mu.Unlock()
	c.fail(why)
}

// onUnmatched records an answer that names no frame in flight.
func (c *client) onUnmatched() {
	defer c.signal()
	c.mu.Lock()
	c.malformed++
	c.mu.Unlock()
}

func (c *client) fail(why string) {
	c.mu.Lock()
	c.errors++
	if c.errorSample == "" {
		c.errorSample = why
	}
	c.mu.Unlock()
}

// isJPEG checks an answer without decoding its pixels: a JPEG header with a
// frame size.
func isJPEG(jpg []byte) bool {
	_, _, err := frame.JPEGSize(jpg)
	return err == nil
}

// rssSampler records a process's peak resident memory from /proc.
type rssSampler struct {
	mu  sync.Mutex
	max float64
}

func (r *rssSampler) run(ctx context.Context, pid int) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
					kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
					r.mu.Lock()
					r.max = math.Max(r.max, kb/1024)
					r.mu.Unlock()
				}
			}
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// userHZ is the unit of the CPU times in /proc/PID/stat: USER_HZ, which
// Linux fixes at 100 for user space whatever the kernel's own tick.
const userHZ = 100

// processCPU is a process's CPU time so far, user plus system, summed over
// its threads, from /proc/PID/stat.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("server cpu: %w", err)
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime (fields 14 and 15) from a
// /proc/PID/stat line. The command name (field 2) is in parentheses and may
// itself hold spaces and parentheses, so fields are counted from the last
// ')'.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("server cpu: no command name in /proc stat")
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0, errors.New("server cpu: short /proc stat")
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("server cpu: /proc stat field %q", s)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

func (r *rssSampler) peak() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.max
}

// Text formats the report for people.
func (r *Report) Text() string {
	mode := "closed loop"
	if r.OfferedFPS > 0 {
		mode = fmt.Sprintf("%.0f fps offered each", r.OfferedFPS)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d clients over %s, %s, %s protocol, %.0f s, %dx%d frames of %d bytes\n", r.Clients, r.Transport, mode, r.Protocol, r.DurationSeconds, r.FrameWidth, r.FrameHeight, r.FrameBytes)
	fmt.Fprintf(&b, "answered      %.1f frames/s (%d of %d sent; %d dropped by the server, %d unanswered, %d errors, %d malformed)\n",
		r.AnsweredFPS, r.Answered, r.Sent, r.ServerDropped, r.Unanswered, r.Errors, r.Malformed)
	if len(r.FacesPerAnswer) > 0 {
		keys := make([]string, 0, len(r.FacesPerAnswer))
		for k := range r.FacesPerAnswer {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s face(s) in %d", k, r.FacesPerAnswer[k]))
		}
		fmt.Fprintf(&b, "faces         %s answers\n", strings.Join(parts, ", "))
	} else {
		fmt.Fprintf(&b, "faces         not reported by this protocol\n")
	}
	fmt.Fprintf(&b, "age           p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms\n", r.AgeP50, r.AgeP95, r.AgeP99, r.AgeMax)
	fmt.Fprintf(&b, "drift         first quarter p50 %.1f ms, last quarter p50 %.1f ms (x%.2f)\n", r.FirstQuarterP50, r.LastQuarterP50, r.Drift)
	fmt.Fprintf(&b, "wire          %.0f bytes up per frame sent, %.0f bytes down per frame answered\n", r.UpBytesPerFrame, r.DownBytesPerFrame)
	if len(r.ServerStagesP50) > 0 {
		st := r.ServerStagesP50
		fmt.Fprintf(&b, "server p50     queue %.2f, decode %.2f, detect %.2f, landmarks %.2f, effects %.2f, encode %.2f, total %.2f ms\n",
			st["queue"], st["decode"], st["detect"], st["landmarks"], st["effects"], st["encode"], st["total"])
	}
	if r.PeakRSSMB > 0 {
		fmt.Fprintf(&b, "server memory peak RSS %.0f MB\n", r.PeakRSSMB)
	}
	if r.ServerCPUSeconds > 0 {
		fmt.Fprintf(&b, "server cpu    %.2f ms per answered frame (%.2f s over the run)\n", r.ServerCPUPerAnswered, r.ServerCPUSeconds)
	}
	if r.ErrorSample != "" {
		fmt.Fprintf(&b, "first error   %s\n", r.ErrorSample)
	}
	return b.String()
}
