// The report: what a run measured, its statistics from the clients'
// books, and its text for people.

package loadgen

import (
	"fmt"
	"image"
	"math"
	"sort"
	"strings"
	"time"
)

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
	// The load tool's own CPU time over the same span, and per frame sent:
	// on a machine it shares with the server, what it takes from it.
	LoadCPUSeconds float64 `json:"load_cpu_s,omitempty"`
	LoadCPUPerSent float64 `json:"load_cpu_ms_per_sent_frame,omitempty"`
	// Median server time per stage in ms, as acknowledgements report it.
	ServerStagesP50 map[string]float64 `json:"server_stages_p50_ms,omitempty"`
	// Answers by the faces the server found in them ("1": 950, "0": 3);
	// empty when the protocol does not say (seed).
	FacesPerAnswer map[string]int `json:"faces_per_answer,omitempty"`
	FrameWidth     int            `json:"frame_width"`
	FrameHeight    int            `json:"frame_height"`
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
	if r.LoadCPUSeconds > 0 {
		fmt.Fprintf(&b, "loadgen cpu   %.2f ms per frame sent (%.2f s over the run)\n", r.LoadCPUPerSent, r.LoadCPUSeconds)
	}
	if r.ErrorSample != "" {
		fmt.Fprintf(&b, "first error   %s\n", r.ErrorSample)
	}
	return b.String()
}
