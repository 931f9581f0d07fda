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
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/livetryon/server/pkg/apierr"
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

// Limits bound what Probe accepts, and what the ffmpegs that read an
// upload may use.
type Limits struct {
	MaxSide     int           // either side, as displayed
	MaxPixels   int           // width x height; no decoder allocates a bigger picture
	MaxDuration time.Duration // play time
	// MaxFPS bounds the frame rate, declared or counted: a tiny picture at
	// a thousand frames a second costs per frame, not per pixel. Default
	// 120.
	MaxFPS float64
	// MaxFrames bounds the frames, counted packet by packet. Default
	// 36,000 (ten minutes at 60 fps).
	MaxFrames int
	// MaxMemory is the address space each ffmpeg or ffprobe child may map
	// (RLIMIT_AS): a decoder that a hostile header talks into a huge
	// allocation fails instead of taking the machine's memory. Default
	// 2 GiB; probes get at most ProbeMemory.
	MaxMemory int64
}

// DefaultLimits are 1920x1080-class pictures (either way round), ten
// minutes, 120 frames a second and 36,000 frames.
var DefaultLimits = Limits{MaxSide: 1920, MaxPixels: 1920 * 1080, MaxDuration: 10 * time.Minute,
	MaxFPS: 120, MaxFrames: 36000, MaxMemory: 2 << 30}

// ProbeMemory is the most address space a probe's ffprobe and ffmpeg may
// map: they read the container and decode a few frames within MaxPixels.
// ffmpeg 5.1 maps about 300 MiB (its libraries, a stack and a malloc arena
// per thread) before it reads a byte; decoding 1080p H.264 fits in 512 MiB
// with two arenas.
const ProbeMemory = 1 << 30

// WithDefaults fills the zero fields with DefaultLimits'.
func (l Limits) WithDefaults() Limits {
	if l.MaxSide <= 0 {
		l.MaxSide = DefaultLimits.MaxSide
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultLimits.MaxPixels
	}
	if l.MaxDuration <= 0 {
		l.MaxDuration = DefaultLimits.MaxDuration
	}
	if l.MaxFPS <= 0 {
		l.MaxFPS = DefaultLimits.MaxFPS
	}
	if l.MaxFrames <= 0 {
		l.MaxFrames = DefaultLimits.MaxFrames
	}
	if l.MaxMemory <= 0 {
		l.MaxMemory = DefaultLimits.MaxMemory
	}
	return l
}

// Formats are the demuxers ffprobe and ffmpeg may use on an upload
// (-format_whitelist): the containers cameras, phones and editors write.
// Playlists and manifests (hls, dash), concat lists, image sequences, SDP
// and the rest are not among them: they name other files or URLs, which
// ffmpeg would read on the client's behalf.
var Formats = []string{"mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "avi", "mpegts", "gif", "flv", "ogg", "asf"}

// inputArgs come before every -i of an upload: the demuxers of Formats
// only, the file protocol only (so no URL in a file is followed), and no
// decoded picture over maxPixels (checked by libavcodec before it
// allocates one, whatever the container said).
func inputArgs(maxPixels int) []string {
	return []string{"-format_whitelist", strings.Join(Formats, ","), "-protocol_whitelist", "file",
		"-max_pixels", strconv.Itoa(maxPixels)}
}

// Error is why a file is refused, with a code in the protocol's set.
type Error struct {
	Code    string
	Message string // for the client
	Detail  string // ffmpeg's own words, for the server's log only
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Unwrap is the refusal as the client sees it, without Detail.
func (e *Error) Unwrap() error { return &apierr.Error{Code: e.Code, Message: e.Message} }

// Codes of Error, from the one table (package apierr).
const (
	CodeEmpty         = apierr.CodeEmpty
	CodeNotVideo      = apierr.CodeNotVideo
	CodeCorrupt       = apierr.CodeCorrupt
	CodeTooManyPixels = apierr.CodeTooManyPixels
	CodeTooLong       = apierr.CodeTooLong
	CodeTooManyFrames = apierr.CodeTooManyFrames
)

// stillFormats are ffprobe's demuxers for single images, which it reports
// as a video stream of one frame.
var stillFormats = []string{"image2", "_pipe"}

// Probe checks that path is a video within lim and whole, and describes
// it. It reads the container (ffprobe) and, at the same time, every packet
// of the video stream without decoding them (ffmpeg -c copy), which finds
// a file cut short or damaged in a fraction of the time a decode takes,
// and counts the frames. Neither may read anything but path, through the
// demuxers of Formats, nor decode a picture over lim.MaxPixels.
//
// A refusal's message never carries ffmpeg's own words: they could tell a
// client what the server's disk holds.
func Probe(ctx context.Context, path string, lim Limits) (Info, error) {
	lim = lim.WithDefaults()
	st, err := os.Stat(path)
	if err != nil {
		return Info{}, err
	}
	if st.Size() == 0 {
		return Info{}, &Error{Code: CodeEmpty, Message: "the file is empty"}
	}
	if text, err := isText(path); err != nil {
		return Info{}, err
	} else if text {
		// HLS and DASH playlists, ffconcat lists, SDP: text naming other
		// files. The whitelist refuses them too; this says so clearly.
		return Info{}, &Error{Code: CodeNotVideo, Message: "a text file (a playlist, a manifest or a list?), not a video"}
	}
	mem := min(lim.MaxMemory, ProbeMemory)
	in := inputArgs(lim.MaxPixels)
	// Every packet of the video read, none decoded: a file cut short or
	// with damaged packets fails here, and the packets are counted. It runs
	// beside ffprobe (and is stopped if ffprobe refuses the file): together
	// they take the time of the longer, not of both.
	checkCtx, stopCheck := context.WithCancel(ctx)
	type result struct {
		stdout, stderr []byte
		err            error
	}
	checked := make(chan result, 1)
	checkDone := make(chan struct{})
	// Whatever the answer, the check's ffmpeg has exited when Probe
	// returns: the caller's count of probes running stays true.
	defer func() { stopCheck(); <-checkDone }()
	go func() {
		defer close(checkDone)
		args := append(append([]string{"-v", "error", "-nostdin", "-nostats", "-xerror"}, in...),
			"-i", path, "-map", "0:v:0", "-c", "copy", "-f", "null", "-progress", "pipe:1", "-")
		stdout, stderr, err := run(checkCtx, mem, "ffmpeg", args...)
		checked <- result{stdout, stderr, err}
	}()
	out, stderr, err := run(ctx, mem, "ffprobe", append(append([]string{"-v", "error"}, in...),
		"-print_format", "json", "-show_streams", "-show_format", path)...)
	if err != nil {
		if ctx.Err() != nil {
			return Info{}, ctx.Err()
		}
		if errors.Is(err, errTooMuchOutput) {
			return Info{}, &Error{Code: CodeCorrupt, Message: "the file's description (its tags) is too large"}
		}
		return Info{}, refusal(stderr, path)
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
		return Info{}, &Error{Code: CodeCorrupt, Message: "ffprobe's description does not parse"}
	}
	for _, f := range stillFormats {
		if strings.Contains(p.Format.FormatName, f) {
			return Info{}, &Error{Code: CodeNotVideo, Message: fmt.Sprintf("a still image (%s), not a video: use the photo API", p.Format.FormatName)}
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
	if found && (info.Width <= 0 || info.Height <= 0) && overMaxPixels(stderr) {
		// The container gave no size and the decoder refused the first
		// picture's: a header that claims more than the limit.
		return Info{}, &Error{Code: CodeTooManyPixels, Message: fmt.Sprintf("a picture in the video is over the limit of %d pixels", lim.MaxPixels)}
	}
	if !found || info.Width <= 0 || info.Height <= 0 {
		return Info{}, &Error{Code: CodeNotVideo, Message: "the file has no video stream"}
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
		return Info{}, &Error{Code: CodeTooManyPixels, Message: fmt.Sprintf("the video is %dx%d; the limit is %d pixels and %d a side", info.Width, info.Height, lim.MaxPixels, lim.MaxSide)}
	}
	if info.Duration > lim.MaxDuration {
		return Info{}, &Error{Code: CodeTooLong, Message: fmt.Sprintf("the video plays %v; the limit is %v", info.Duration.Round(time.Second), lim.MaxDuration)}
	}
	if err := lim.checkFrames(info.Frames, info.FPS); err != nil {
		return Info{}, err
	}
	if info.FPS <= 0 || info.Frames <= 0 {
		return Info{}, &Error{Code: CodeCorrupt, Message: "the video declares no frame rate or no frames"}
	}
	r := <-checked
	if r.err != nil {
		if ctx.Err() != nil {
			return Info{}, ctx.Err()
		}
		if overMaxPixels(r.stderr) {
			return Info{}, &Error{Code: CodeTooManyPixels, Message: fmt.Sprintf("a picture in the video is over the limit of %d pixels", lim.MaxPixels)}
		}
		return Info{}, &Error{Code: CodeCorrupt, Message: "the video is cut short or damaged", Detail: firstLine(r.stderr, path)}
	}
	// The packets counted, not the header's word: a header may say 30 fps
	// over a stream of thousands of frames a second.
	if n := countedFrames(r.stdout); n > 0 {
		fps := info.FPS
		if d := info.Duration.Seconds(); d > 0 {
			fps = max(fps, float64(n)/d)
		}
		if err := lim.checkFrames(n, fps); err != nil {
			return Info{}, err
		}
		info.Frames = n
	}
	return info, nil
}

// checkFrames refuses more frames, or more a second, than the limits.
func (l Limits) checkFrames(frames int, fps float64) error {
	switch {
	case fps > l.MaxFPS*1.01: // 120 fps clips declare 120.0x
		return &Error{Code: CodeTooManyFrames, Message: fmt.Sprintf("the video has %.0f frames a second; the limit is %g", fps, l.MaxFPS)}
	case frames > l.MaxFrames:
		return &Error{Code: CodeTooManyFrames, Message: fmt.Sprintf("the video has %d frames; the limit is %d", frames, l.MaxFrames)}
	}
	return nil
}

// countedFrames is the last frame= of ffmpeg's -progress output.
func countedFrames(progress []byte) int {
	n := 0
	for _, line := range strings.Split(string(progress), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "frame="); ok {
			if f, err := strconv.Atoi(v); err == nil {
				n = f
			}
		}
	}
	return n
}

// overMaxPixels says whether libavcodec refused a picture for -max_pixels.
func overMaxPixels(stderr []byte) bool {
	return bytes.Contains(stderr, []byte("exceeds specified max pixel count"))
}

// refusal is the error for a file ffprobe could not read: not_video when
// its format is not one of Formats or it refers to another file or URL,
// corrupt otherwise.
func refusal(stderr []byte, path string) *Error {
	switch {
	case bytes.Contains(stderr, []byte("not on whitelist")):
		return &Error{Code: CodeNotVideo, Message: "not a video container the server takes (MP4/MOV, Matroska/WebM, AVI, MPEG-TS, GIF, FLV, Ogg, ASF)",
			Detail: firstLine(stderr, path)}
	case overMaxPixels(stderr):
		return &Error{Code: CodeTooManyPixels, Message: "a picture in the video is over the pixel limit"}
	}
	return &Error{Code: CodeCorrupt, Message: "not a video file ffmpeg can read", Detail: firstLine(stderr, path)}
}

// isText says whether the file starts with text only: a playlist, a
// manifest or a list, never a video container, all of which have binary
// sizes or codes in their first bytes.
func isText(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	b := make([]byte, 512)
	n, err := io.ReadFull(f, b)
	if err != nil && err != io.ErrUnexpectedEOF {
		return false, err
	}
	b = bytes.TrimPrefix(b[:n], []byte("\xef\xbb\xbf")) // a byte-order mark
	for _, c := range b {
		if c < 0x09 || (c > 0x0d && c < 0x20) || c == 0x7f {
			return false, nil
		}
	}
	return true, nil
}

// Bounds on what run keeps of a program's output. ffprobe prints every
// tag of a file, JSON-escaped (a control character takes six bytes): a
// file of large tags would otherwise become gigabytes in the server,
// outside the children's memory limit. A real file's description is a few
// kilobytes.
const (
	maxProbeOutput = 4 << 20
	maxProbeErrors = 64 << 10
)

// errTooMuchOutput is a program that wrote more than run keeps.
var errTooMuchOutput = errors.New("video: the file's description is too large")

// bounded is a buffer that refuses to grow past max: the program's next
// write then fails (a broken pipe), and it stops.
type bounded struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (b *bounded) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) > b.max {
		b.over = true
		return 0, errTooMuchOutput
	}
	return b.buf.Write(p)
}

// run runs a program, within mem bytes of address space, and returns its
// output and its error output, or errTooMuchOutput past maxProbeOutput.
func run(ctx context.Context, mem int64, name string, args ...string) (stdout, stderr []byte, err error) {
	out, errOut := &bounded{max: maxProbeOutput}, &bounded{max: maxProbeErrors}
	cmd := command(ctx, mem, name, args...)
	cmd.Stdout, cmd.Stderr = out, errOut
	err = cmd.Run()
	if out.over {
		return nil, nil, errTooMuchOutput
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) && ctx.Err() == nil && !errOut.over {
		return nil, nil, fmt.Errorf("video: %s: %w (install Debian's ffmpeg: scripts/install-deps.sh)", name, err)
	}
	return out.buf.Bytes(), errOut.buf.Bytes(), err
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
