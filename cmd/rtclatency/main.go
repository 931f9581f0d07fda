// Command rtclatency measures capture-to-display latency of a WebRTC
// try-on server, in headless Chromium on this machine.
//
// It makes a Y4M clip of the portrait with each frame's number drawn in
// its bottom-left corner, plays it as Chromium's fake camera, sends the
// camera to the server over WebRTC and reads the numbers back from the
// processed video as it is displayed (requestVideoFrameCallback). Each
// number is drawn as 11 squares, a bit each: a square of fine checks for 1,
// flat for 0, so the number survives effects, video coding and even an
// edge-detection filter (aiortc's "edges" example). A frame's latency is
// the time the processed video displayed it minus the time the camera
// captured it (the local preview's captureTime, or its display time where
// Chromium gives none).
//
//	rtclatency --url http://127.0.0.1:9990                           # this server
//	rtclatency --url http://127.0.0.1:8080 --offer-path /offer --transform edges   # aiortc's example
//
// The signalling goes through this program, not the page, so a server
// without CORS (aiortc's) is measured the same way.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvimage"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:9990", "the server")
	offerPath := flag.String("offer-path", "/api/v1/webrtc/offer", "where offers are POSTed: /offer for aiortc's example")
	transform := flag.String("transform", "", `sent as "video_transform" with the offer (aiortc's example: none, edges, cartoon, rotate)`)
	duration := flag.Duration("duration", 20*time.Second, "how long to measure, after 3 s of warm-up")
	source := flag.String("source", "testdata/obama-480p.jpg", "the picture the clip is made of")
	config := flag.String("config", "", `sent as "config" with the offer: this server's settings, e.g. {"effects":[{"name":"glasses"},{"name":"lipstick"}]}`)
	asJSON := flag.Bool("json", false, "print the result as JSON")
	flag.Parse()
	res, err := run(*url, *offerPath, *transform, *config, *source, *duration)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rtclatency:", err)
		os.Exit(1)
	}
	if *asJSON {
		json.NewEncoder(os.Stdout).Encode(res)
		return
	}
	fmt.Printf("%s%s: %d frames displayed in %v (%.1f fps), %d matched to the camera's\n", *url, *offerPath, res.Displayed, *duration, res.FPS, res.Matched)
	fmt.Printf("capture to display (%s): p50 %.1f ms, p95 %.1f ms, max %.1f ms\n", res.Clock, res.P50, res.P95, res.Max)
	fmt.Printf("display to display: p50 %.1f ms, p95 %.1f ms\n", res.DisplayP50, res.DisplayP95)
	fmt.Printf("bitrate: %.0f kbit/s up, %.0f kbit/s down; jitter buffer %.1f ms a frame\n", res.KbpsUp, res.KbpsDown, res.JitterBuffer)
	b := res.Browser
	fmt.Printf("camera: %d frames encoded, %d sent (%.1f fps at %d px wide, limited by %q)\n", b.FramesEncoded, b.FramesSent, b.SendFPS, b.SendWidth, b.SendLimitation)
	fmt.Printf("processed video: %d frames presented (%.1f fps)\n", b.Presented, float64(b.Presented)/(*duration).Seconds())
	fmt.Printf("processed video: %d frames received, %d decoded, %d dropped; %.1f ms between decoded frames; %d NACKs, %d PLIs sent, %d packets lost\n",
		b.FramesReceived, b.FramesDecoded, b.FramesDropped, b.InterFrameMs, b.NACKsSent, b.PLIsSent, b.PacketsLost)
	if res.Server != nil {
		fmt.Printf("server (tryon_frames_total, webrtc): %v\n", res.Server)
	}
}

// BrowserStats are Chromium's getStats counters over the measurement: the
// camera's outbound-rtp and the processed video's inbound-rtp.
type BrowserStats struct {
	FramesEncoded  int     `json:"frames_encoded"` // the camera's frames Chromium encoded
	FramesSent     int     `json:"frames_sent"`
	SendLimitation string  `json:"send_limitation"` // qualityLimitationReason at the end: none, cpu, bandwidth
	SendFPS        float64 `json:"send_fps"`        // the camera's framesPerSecond at the end
	SendWidth      int     `json:"send_width"`
	FramesReceived int     `json:"frames_received"` // the processed video's frames
	FramesDecoded  int     `json:"frames_decoded"`
	FramesDropped  int     `json:"frames_dropped"`
	InterFrameMs   float64 `json:"inter_frame_ms"` // mean totalInterFrameDelay a decoded frame
	NACKsSent      int     `json:"nacks_sent"`
	PLIsSent       int     `json:"plis_sent"`
	NACKsReceived  int     `json:"nacks_received"`
	PacketsLost    int     `json:"packets_lost"`
	// The <video> elements: the camera's preview frames displayed, and
	// the processed video's getVideoPlaybackQuality, whose dropped frames
	// were decoded but never painted.
	LocalDisplayed int `json:"local_displayed"`
	// Presented is the processed video's frames given to the compositor
	// (requestVideoFrameCallback's presentedFrames, last minus first):
	// Displayed counts callbacks, which miss frames when the page's main
	// thread is late.
	Presented          int `json:"presented"`
	VideoFrames        int `json:"video_frames"`
	VideoFramesDropped int `json:"video_frames_dropped"`
}

// Result is one measurement.
type Result struct {
	Displayed int     `json:"displayed"` // processed frames the page displayed
	Matched   int     `json:"matched"`   // of those, with a number the camera was seen to capture
	FPS       float64 `json:"fps"`
	P50       float64 `json:"p50_ms"`
	P95       float64 `json:"p95_ms"`
	Max       float64 `json:"max_ms"`
	Clock     string  `json:"clock"` // "capture" or "display": what the camera's time is
	// DisplayP50 and DisplayP95 are display to display: the processed
	// frame's display minus the local preview's display of the same frame.
	// The preview's own delay moves it from run to run.
	DisplayP50 float64 `json:"display_p50_ms"`
	DisplayP95 float64 `json:"display_p95_ms"`
	// The camera's bitrate up and the processed video's down, and the
	// mean time a processed frame spent in Chromium's jitter buffer.
	KbpsUp       float64      `json:"kbps_up"`
	KbpsDown     float64      `json:"kbps_down"`
	JitterBuffer float64      `json:"jitter_buffer_ms"`
	Browser      BrowserStats `json:"browser"`
	// Server is the change of this server's tryon_frames_total for
	// webrtc over the measurement, by outcome (nil for another server).
	Server map[string]float64 `json:"server,omitempty"`
}

func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

const (
	clipW, clipH = 640, 480
	clipFrames   = 300 // 10 s at 30 fps; Chromium loops it
	square       = 32  // side of a bit's square
	check        = 8   // side of a check in a 1 square: coarse enough for a low bitrate
	bits         = 11  // 10 of number, 1 of parity
)

// makeClip writes the Y4M clip: the portrait, numbered 0 to clipFrames-1.
func makeClip(source, path string) error {
	src, err := cvimage.ReadFile(source)
	if err != nil {
		return err
	}
	defer src.Close()
	base := cvimage.CameraFrame(src, image.Pt(clipW, clipH))
	defer base.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(f, "YUV4MPEG2 W%d H%d F30:1 Ip A1:1 C420jpeg\n", clipW, clipH)
	pic, yuv := gocv.NewMat(), gocv.NewMat()
	defer pic.Close()
	defer yuv.Close()
	for n := range clipFrames {
		base.CopyTo(&pic)
		stamp(&pic, n)
		gocv.CvtColor(pic, &yuv, gocv.ColorBGRToYUVI420)
		b, _ := yuv.DataPtrUint8()
		io.WriteString(f, "FRAME\n")
		if _, err := f.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// stamp draws n's bits, and their parity, along the bottom-left edge.
func stamp(img *gocv.Mat, n int) {
	parity := 0
	y := img.Rows() - square
	for i := range bits {
		bit := parity
		if i < bits-1 {
			bit = (n >> i) & 1
			parity ^= bit
		}
		r := image.Rect(i*square, y, (i+1)*square, y+square)
		gocv.Rectangle(img, r, color.RGBA{128, 128, 128, 0}, -1)
		if bit == 0 {
			continue
		}
		for cy := r.Min.Y; cy < r.Max.Y; cy += check {
			for cx := r.Min.X; cx < r.Max.X; cx += check {
				if ((cx-r.Min.X)/check+(cy-r.Min.Y)/check)%2 == 0 {
					gocv.Rectangle(img, image.Rect(cx, cy, cx+check, cy+check), color.RGBA{255, 255, 255, 0}, -1)
				} else {
					gocv.Rectangle(img, image.Rect(cx, cy, cx+check, cy+check), color.RGBA{0, 0, 0, 0}, -1)
				}
			}
		}
	}
}

func run(url, offerPath, transform, config, source string, duration time.Duration) (Result, error) {
	dir, err := os.MkdirTemp("", "rtclatency-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	clip := filepath.Join(dir, "camera.y4m")
	if err := makeClip(source, clip); err != nil {
		return Result{}, err
	}
	// The page is served from here: Chromium gives the camera only to a
	// secure context, and http://127.0.0.1 is one.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Result{}, err
	}
	defer ln.Close()
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, page)
	}))
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		return Result{}, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true), chromedp.Flag("use-file-for-fake-video-capture", clip),
		chromedp.UserDataDir(filepath.Join(dir, "profile")), chromedp.WindowSize(1280, 800))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, duration+60*time.Second)
	defer cancelTimeout()

	var offer string
	if err := chromedp.Run(ctx, chromedp.Navigate("http://"+ln.Addr().String()+"/"),
		chromedp.Evaluate(`makeOffer()`, &offer, awaitPromise)); err != nil {
		return Result{}, fmt.Errorf("the page's offer: %w", err)
	}
	body := map[string]any{"sdp": offer, "type": "offer"}
	if transform != "" {
		body["video_transform"] = transform
	}
	if config != "" {
		if !json.Valid([]byte(config)) {
			return Result{}, fmt.Errorf("--config is not JSON: %s", config)
		}
		body["config"] = json.RawMessage(config)
	}
	raw, _ := json.Marshal(body)
	resp, err := http.Post(url+offerPath, "application/json", bytes.NewReader(raw))
	if err != nil {
		return Result{}, err
	}
	answerBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var answer struct{ SDP, Type string }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(answerBody, &answer) != nil {
		return Result{}, fmt.Errorf("offer answered %d: %.300s", resp.StatusCode, answerBody)
	}
	if err := chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(`applyAnswer(%q)`, answer.SDP), nil,
		awaitPromise)); err != nil {
		return Result{}, fmt.Errorf("applying the answer: %w", err)
	}
	time.Sleep(3 * time.Second) // connect, first key frame, jitter buffer settles
	if err := chromedp.Run(ctx, chromedp.Evaluate(`startMeasuring()`, nil, awaitPromise)); err != nil {
		return Result{}, err
	}
	before := serverFrames(url)
	time.Sleep(duration)
	after := serverFrames(url)
	var m struct {
		Latencies []float64    `json:"latencies"`
		Display   []float64    `json:"displayLatencies"`
		Displayed int          `json:"displayed"`
		Clock     string       `json:"clock"`
		Seconds   float64      `json:"seconds"`
		KbpsUp    float64      `json:"kbpsUp"`
		KbpsDown  float64      `json:"kbpsDown"`
		Jitter    float64      `json:"jitterBufferMs"`
		Browser   BrowserStats `json:"browser"`
	}
	if err := chromedp.Run(ctx, chromedp.Evaluate(`stopMeasuring()`, &m, awaitPromise)); err != nil {
		return Result{}, err
	}
	res := Result{Displayed: m.Displayed, Matched: len(m.Latencies), Clock: m.Clock, KbpsUp: m.KbpsUp, KbpsDown: m.KbpsDown, JitterBuffer: m.Jitter}
	res.Browser = m.Browser
	if before != nil && after != nil {
		res.Server = map[string]float64{}
		for k, v := range after {
			res.Server[k] = v - before[k]
		}
	}
	if len(m.Display) > 0 {
		sort.Float64s(m.Display)
		res.DisplayP50, res.DisplayP95 = quantile(m.Display, 0.5), quantile(m.Display, 0.95)
	}
	if m.Seconds > 0 {
		res.FPS = float64(m.Displayed) / m.Seconds
	}
	if len(m.Latencies) == 0 {
		return res, fmt.Errorf("no displayed frame could be matched to the camera's (%d displayed)", m.Displayed)
	}
	sort.Float64s(m.Latencies)
	res.P50, res.P95, res.Max = quantile(m.Latencies, 0.5), quantile(m.Latencies, 0.95), m.Latencies[len(m.Latencies)-1]
	return res, nil
}

// serverFrames reads this server's tryon_frames_total for webrtc by
// outcome from /metrics; nil if it has none (aiortc).
func serverFrames(base string) map[string]float64 {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "tryon_frames_total{") || !strings.Contains(line, `transport="webrtc"`) {
			continue
		}
		i := strings.Index(line, `outcome="`)
		j := strings.LastIndexByte(line, ' ')
		if i < 0 || j < 0 {
			continue
		}
		outcome := line[i+len(`outcome="`):]
		outcome = outcome[:strings.IndexByte(outcome, '"')]
		if v, err := strconv.ParseFloat(line[j+1:], 64); err == nil {
			out[outcome] += v
		}
	}
	return out
}

func quantile(sorted []float64, p float64) float64 {
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}
