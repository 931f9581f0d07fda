// Package video reads and writes video files for the uploaded-video jobs,
// through Debian's ffprobe and ffmpeg programs run as subprocesses with a
// deadline: a hostile file can crash or hang a decoder, and a subprocess
// takes the server down with it in neither case.
package video

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/livetryon/server/pkg/pipeline"
)

// Info is what Probe learns of a video.
type Info struct {
	Width, Height int // as displayed: the rotation applied
	FPS           float64
	// FrameRate is FPS as the container gives it, a ratio such as
	// "30000/1001": the result is written at exactly this rate.
	FrameRate  string
	Frames     int // counted by the container, or estimated from the duration
	Duration   time.Duration
	Rotation   int // degrees the picture is turned for display: 0, 90, 180, 270
	Codec      string
	HasAudio   bool
	AudioCodec string // of the first audio stream
}

// Limits bound what Probe accepts.
type Limits struct {
	MaxSide     int           // either side, as displayed
	MaxPixels   int           // width x height
	MaxDuration time.Duration // play time
}

// DefaultLimits are 1920x1080-class pictures (either way round) and ten
// minutes.
var DefaultLimits = Limits{MaxSide: 1920, MaxPixels: 1920 * 1080, MaxDuration: 10 * time.Minute}

// Error is why a file is refused, with a code in the protocol's set.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Codes of Error.
const (
	CodeEmpty         = "empty"           // no bytes at all
	CodeNotVideo      = "not_video"       // no video stream, or a still image
	CodeCorrupt       = "corrupt"         // does not parse, truncated, damaged packets
	CodeTooManyPixels = "too_many_pixels" // over Limits' sides or pixels
	CodeTooLong       = "too_long"        // over Limits' duration
)

// stillFormats are ffprobe's demuxers for single images, which it reports
// as a video stream of one frame.
var stillFormats = []string{"image2", "_pipe"}

// Probe checks that path is a video within lim and whole, and describes
// it. It reads the container (ffprobe) and, at the same time, every packet
// of the video stream without decoding them (ffmpeg -c copy), which finds
// a file cut short or damaged in a fraction of the time a decode takes.
func Probe(ctx context.Context, path string, lim Limits) (Info, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Info{}, err
	}
	if st.Size() == 0 {
		return Info{}, &Error{CodeEmpty, "the file is empty"}
	}
	// Every packet of the video read, none decoded: a file cut short or
	// with damaged packets fails here. It runs beside ffprobe (and is
	// stopped if ffprobe refuses the file): together they take the time
	// of the longer, not of both.
	checkCtx, stopCheck := context.WithCancel(ctx)
	defer stopCheck()
	type result struct {
		stderr []byte
		err    error
	}
	checked := make(chan result, 1)
	go func() {
		_, stderr, err := run(checkCtx, "ffmpeg", "-v", "error", "-xerror", "-i", path, "-map", "0:v:0", "-c", "copy", "-f", "null", "-")
		checked <- result{stderr, err}
	}()
	out, stderr, err := run(ctx, "ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", path)
	if err != nil {
		if ctx.Err() != nil {
			return Info{}, ctx.Err()
		}
		return Info{}, &Error{CodeCorrupt, "not a video file ffmpeg can read: " + firstLine(stderr, path)}
	}
	var p struct {
		Streams []struct {
			CodecType    string            `json:"codec_type"`
			CodecName    string            `json:"codec_name"`
			Width        int               `json:"width"`
			Height       int               `json:"height"`
			RFrameRate   string            `json:"r_frame_rate"`
			AvgFrameRate string            `json:"avg_frame_rate"`
			NbFrames     string            `json:"nb_frames"`
			Duration     string            `json:"duration"`
			Tags         map[string]string `json:"tags"`
			SideData     []struct {
				Type     string  `json:"side_data_type"`
				Rotation float64 `json:"rotation"`
			} `json:"side_data_list"`
			Disposition struct {
				AttachedPic int `json:"attached_pic"`
			} `json:"disposition"`
		} `json:"streams"`
		Format struct {
			FormatName string `json:"format_name"`
			Duration   string `json:"duration"`
		} `json:"format"`
	}
	if err := json.Unmarshal(out, &p); err != nil {
		return Info{}, &Error{CodeCorrupt, "ffprobe's description does not parse"}
	}
	for _, f := range stillFormats {
		if strings.Contains(p.Format.FormatName, f) {
			return Info{}, &Error{CodeNotVideo, fmt.Sprintf("a still image (%s), not a video: use the photo API", p.Format.FormatName)}
		}
	}
	var info Info
	found := false
	for _, s := range p.Streams {
		switch {
		case s.CodecType == "audio" && !info.HasAudio:
			info.HasAudio = true
			info.AudioCodec = s.CodecName
		case s.CodecType == "video" && s.Disposition.AttachedPic == 0 && !found:
			found = true
			info.Codec = s.CodecName
			info.Width, info.Height = s.Width, s.Height
			info.FPS, info.FrameRate = rate(s.AvgFrameRate), s.AvgFrameRate
			if info.FPS == 0 {
				info.FPS, info.FrameRate = rate(s.RFrameRate), s.RFrameRate
			}
			info.Frames, _ = strconv.Atoi(s.NbFrames)
			info.Duration = seconds(s.Duration)
			if r, err := strconv.Atoi(s.Tags["rotate"]); err == nil {
				info.Rotation = r
			}
			for _, sd := range s.SideData {
				if sd.Type == "Display Matrix" {
					info.Rotation = int(math.Round(-sd.Rotation)) // ffprobe gives it anticlockwise
				}
			}
		}
	}
	if !found || info.Width <= 0 || info.Height <= 0 {
		return Info{}, &Error{CodeNotVideo, "the file has no video stream"}
	}
	info.Rotation = ((info.Rotation % 360) + 360) % 360
	if info.Rotation == 90 || info.Rotation == 270 {
		info.Width, info.Height = info.Height, info.Width
	}
	if info.Duration == 0 {
		info.Duration = seconds(p.Format.Duration)
	}
	if info.Frames == 0 && info.FPS > 0 {
		info.Frames = int(math.Round(info.Duration.Seconds() * info.FPS))
	}
	if info.Width > lim.MaxSide || info.Height > lim.MaxSide || info.Width*info.Height > lim.MaxPixels {
		return Info{}, &Error{CodeTooManyPixels, fmt.Sprintf("the video is %dx%d; the limit is %d pixels and %d a side", info.Width, info.Height, lim.MaxPixels, lim.MaxSide)}
	}
	if info.Duration > lim.MaxDuration {
		return Info{}, &Error{CodeTooLong, fmt.Sprintf("the video plays %v; the limit is %v", info.Duration.Round(time.Second), lim.MaxDuration)}
	}
	if info.FPS <= 0 || info.Frames <= 0 {
		return Info{}, &Error{CodeCorrupt, "the video declares no frame rate or no frames"}
	}
	if r := <-checked; r.err != nil {
		if ctx.Err() != nil {
			return Info{}, ctx.Err()
		}
		return Info{}, &Error{CodeCorrupt, "the video is cut short or damaged: " + firstLine(r.stderr, path)}
	}
	return info, nil
}

// run runs a program and returns its output, and its error output.
func run(ctx context.Context, name string, args ...string) (stdout, stderr []byte, err error) {
	var out, errOut bytes.Buffer
	// At the batch workers' priority, as the processing's own ffmpegs:
	// probing an upload must not slow the live clients either.
	cmd := exec.CommandContext(ctx, "nice", append([]string{"-n", strconv.Itoa(pipeline.BatchNice), name}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) && ctx.Err() == nil {
		return nil, nil, fmt.Errorf("video: %s: %w (install Debian's ffmpeg: scripts/install-deps.sh)", name, err)
	}
	return out.Bytes(), errOut.Bytes(), err
}

// rate reads ffprobe's "30000/1001".
func rate(s string) float64 {
	num, den, ok := strings.Cut(s, "/")
	n, err1 := strconv.ParseFloat(num, 64)
	d, err2 := strconv.ParseFloat(den, 64)
	if !ok || err1 != nil || err2 != nil || d == 0 || n <= 0 {
		return 0
	}
	return n / d
}

func seconds(s string) time.Duration {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

// firstLine is the first line of a program's error output about path,
// clipped: it goes back to the client.
func firstLine(b []byte, path string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	line = strings.ReplaceAll(line, path+": ", "") // the server's own file name is not the client's business
	line = strings.ReplaceAll(line, path, "the file")
	// ffmpeg prefixes "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d0c...] ": keep what follows.
	if i := strings.Index(line, "] "); strings.HasPrefix(line, "[") && i > 0 {
		line = line[i+2:]
	}
	if len(line) > 200 {
		line = line[:200] + "…"
	}
	if line == "" {
		line = "no detail"
	}
	return line
}
