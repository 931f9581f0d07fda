// Package loadgen drives a try-on server with many Socket.IO clients sending
// real JPEG frames, and reports how fast and how fresh the answers are.
//
// Every answer is matched to the frame it answers: by the id in the
// acknowledgement (protocol "ack", this server's extension), or, for a
// server that speaks only the tutorial's seed protocol, by a frame number
// stamped into the image's pixels (package frameid). That lets the same tool
// measure an unmodified tutorial server and this one alike.
package loadgen

import (
	"context"
	"encoding/base64"
	"encoding/json"
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

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/frameid"
	"github.com/livetryon/server/internal/sioclient"
	"github.com/livetryon/server/pkg/frame"
)

// Config is one load run.
type Config struct {
	URL      string
	Clients  int
	FPS      float64 // frames a second per client; 0 is a closed loop (next frame when the answer arrives)
	Duration time.Duration
	Protocol string // "seed": image → response_back; "ack": {id, image} with an acknowledgement
	Source   string // a JPEG; cropped to 640x480 from the centre
	Quality  int    // JPEG quality of the frames sent, 1..100
	Variants int    // distinct stamped frames to cycle through (at most frameid.Modulo)
	// AnswerTimeout ends a closed loop's wait for an answer that never comes.
	AnswerTimeout time.Duration
	ServerPID     int // if set, the server's resident memory is sampled
}

// Report is what a run measured. Ages are from a frame's send to its answer.
type Report struct {
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

	PeakRSSMB float64 `json:"server_peak_rss_mb,omitempty"`
	// Median server time per stage in ms, as acknowledgements report it.
	ServerStagesP50 map[string]float64 `json:"server_stages_p50_ms,omitempty"`
}

type sample struct {
	sent time.Time
	age  time.Duration
}

type frames struct {
	dataURLs []string
}

// makeFrames encodes the source once per variant, each with its number
// stamped in, as data URLs ready to send.
func makeFrames(cfg Config) (*frames, int, error) {
	src := gocv.IMRead(cfg.Source, gocv.IMReadColor)
	if src.Empty() {
		return nil, 0, fmt.Errorf("cannot read %s", cfg.Source)
	}
	defer src.Close()
	w, h := min(640, src.Cols()), min(480, src.Rows())
	x, y := (src.Cols()-w)/2, (src.Rows()-h)/2
	crop := src.Region(image.Rect(x, y, x+w, y+h))
	defer crop.Close()
	f := &frames{}
	size := 0
	for i := 0; i < cfg.Variants; i++ {
		img := crop.Clone()
		frameid.Stamp(&img, i)
		buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, img, []int{gocv.IMWriteJpegQuality, cfg.Quality})
		img.Close()
		if err != nil {
			return nil, 0, err
		}
		jpg := buf.GetBytes()
		size = max(size, len(jpg))
		f.dataURLs = append(f.dataURLs, "data:image/jpeg;base64,"+base64.StdEncoding.EncodeToString(jpg))
		buf.Close()
	}
	return f, size, nil
}

// Run performs the load and returns its report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Clients < 1 || cfg.Duration <= 0 {
		return nil, errors.New("loadgen: need at least one client and a duration")
	}
	if cfg.Protocol != "seed" && cfg.Protocol != "ack" {
		return nil, fmt.Errorf("loadgen: protocol %q: want seed or ack", cfg.Protocol)
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
	clients := make([]*client, cfg.Clients)
	for i := range clients {
		c, err := sioclient.Dial(cfg.URL, 10*time.Second)
		if err != nil {
			for _, c := range clients[:i] {
				c.conn.Close()
			}
			return nil, err
		}
		clients[i] = newClient(c, cfg, fr)
	}
	var rss rssSampler
	if cfg.ServerPID > 0 {
		go rss.run(ctx, cfg.ServerPID)
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
	for _, c := range clients {
		c.conn.Close()
	}
	return report(cfg, start, size, clients, rss.peak()), nil
}

func report(cfg Config, start time.Time, size int, clients []*client, peakRSS float64) *Report {
	r := &Report{Protocol: cfg.Protocol, Clients: cfg.Clients, OfferedFPS: cfg.FPS,
		DurationSeconds: cfg.Duration.Seconds(), FrameBytes: size, PeakRSSMB: peakRSS}
	var all []sample
	stages := map[string][]float64{}
	for _, c := range clients {
		c.mu.Lock()
		for k, v := range c.stages {
			stages[k] = append(stages[k], v...)
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

// client is one simulated page.
type client struct {
	conn   *sioclient.Client
	cfg    Config
	frames *frames
	answer chan struct{} // closed loop: an answer (or error) arrived

	mu          sync.Mutex
	seq         int
	inFlight    map[int]time.Time    // frame number → send time
	stages      map[string][]float64 // the server's per-stage ms, from acks
	samples     []sample
	sent        int
	dropped     int
	errors      int
	malformed   int
	errorSample string
}

func newClient(conn *sioclient.Client, cfg Config, fr *frames) *client {
	c := &client{conn: conn, cfg: cfg, frames: fr, answer: make(chan struct{}, 1), inFlight: map[int]time.Time{}, stages: map[string][]float64{}}
	conn.On("response_back", c.onResponse)
	conn.On("error", func(args []json.RawMessage) {
		c.mu.Lock()
		c.errors++
		if c.errorSample == "" && len(args) > 0 {
			c.errorSample = string(args[0])
		}
		c.mu.Unlock()
		c.signal()
	})
	return c
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
			c.mu.Lock()
			c.errors++
			c.errorSample = err.Error()
			c.mu.Unlock()
			return
		}
		if tick != nil {
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			case <-c.conn.Done():
				return
			}
			continue
		}
		select {
		case <-c.answer:
		case <-time.After(c.cfg.AnswerTimeout):
		case <-ctx.Done():
			return
		case <-c.conn.Done():
			return
		}
	}
}

func (c *client) send() error {
	c.mu.Lock()
	n := c.seq
	c.seq++
	id := n % len(c.frames.dataURLs)
	c.inFlight[id] = time.Now()
	c.sent++
	c.mu.Unlock()
	url := c.frames.dataURLs[id]
	if c.cfg.Protocol == "seed" {
		return c.conn.Emit("image", url)
	}
	return c.conn.EmitWithAck("image", func(args []json.RawMessage) { c.onAck(id, args) },
		map[string]any{"id": id, "image": url})
}

// onResponse matches a seed-protocol answer by the number in its pixels.
func (c *client) onResponse(args []json.RawMessage) {
	defer c.signal()
	now := time.Now()
	jpg, ok := decodeAnswer(args)
	var id int
	if ok {
		id, ok = frameid.Read(jpg)
	}
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

type ackBody struct {
	ID      *int               `json:"id"`
	Image   string             `json:"image"`
	Timings map[string]float64 `json:"timings"`
	Error   *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (c *client) onAck(id int, args []json.RawMessage) {
	defer c.signal()
	now := time.Now()
	var body ackBody
	ok := len(args) > 0 && json.Unmarshal(args[0], &body) == nil && body.ID != nil && *body.ID == id
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !ok:
		c.malformed++
		delete(c.inFlight, id)
	case body.Error != nil && body.Error.Code == "dropped":
		c.dropped++
		delete(c.inFlight, id)
	case body.Error != nil:
		c.errors++
		if c.errorSample == "" {
			c.errorSample = body.Error.Code + ": " + body.Error.Message
		}
		delete(c.inFlight, id)
	default:
		if !isJPEGDataURL(body.Image) {
			c.malformed++
			delete(c.inFlight, id)
			return
		}
		c.matchLocked(id, now)
		for stage, v := range body.Timings {
			c.stages[stage] = append(c.stages[stage], v)
		}
	}
}

func decodeAnswer(args []json.RawMessage) ([]byte, bool) {
	if len(args) == 0 {
		return nil, false
	}
	var s string
	if json.Unmarshal(args[0], &s) != nil {
		return nil, false
	}
	b64, ok := strings.CutPrefix(s, "data:image/jpeg;base64,")
	if !ok {
		return nil, false
	}
	jpg, err := base64.StdEncoding.DecodeString(b64)
	return jpg, err == nil
}

// isJPEGDataURL checks an answer without decoding its pixels: the prefix,
// the base64 and a JPEG header with a frame size.
func isJPEGDataURL(s string) bool {
	jpg, ok := decodeAnswer([]json.RawMessage{json.RawMessage(strconv.Quote(s))})
	if !ok {
		return false
	}
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
	fmt.Fprintf(&b, "%d clients, %s, %s protocol, %.0f s, frames of %d bytes\n", r.Clients, mode, r.Protocol, r.DurationSeconds, r.FrameBytes)
	fmt.Fprintf(&b, "answered      %.1f frames/s (%d of %d sent; %d dropped by the server, %d unanswered, %d errors, %d malformed)\n",
		r.AnsweredFPS, r.Answered, r.Sent, r.ServerDropped, r.Unanswered, r.Errors, r.Malformed)
	fmt.Fprintf(&b, "age           p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms\n", r.AgeP50, r.AgeP95, r.AgeP99, r.AgeMax)
	fmt.Fprintf(&b, "drift         first quarter p50 %.1f ms, last quarter p50 %.1f ms (x%.2f)\n", r.FirstQuarterP50, r.LastQuarterP50, r.Drift)
	if len(r.ServerStagesP50) > 0 {
		st := r.ServerStagesP50
		fmt.Fprintf(&b, "server p50     queue %.2f, decode %.2f, detect %.2f, landmarks %.2f, effects %.2f, encode %.2f, total %.2f ms\n",
			st["queue"], st["decode"], st["detect"], st["landmarks"], st["effects"], st["encode"], st["total"])
	}
	if r.PeakRSSMB > 0 {
		fmt.Fprintf(&b, "server memory peak RSS %.0f MB\n", r.PeakRSSMB)
	}
	if r.ErrorSample != "" {
		fmt.Fprintf(&b, "first error   %s\n", r.ErrorSample)
	}
	return b.String()
}
