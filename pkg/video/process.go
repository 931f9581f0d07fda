package video

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/pkg/pipeline"
)

// Processing a file, in three stages that run at once:
//
//	ffmpeg (decode) ──I420──▶ segments ──▶ engine's batch workers ──▶ writer ──I420──▶ ffmpeg (x264, audio copied)
//
// The decoder's pictures, turned upright so the face detector sees faces
// the right way up, are cut into contiguous segments. Each segment is its
// own batch session: it detects on its first frame and tracks within, as a
// camera client does, so landmark quality is live mode's. Sessions of
// several segments run on the engine's workers at once, at the batch
// lane's priority (after every live frame). The writer takes the answers
// back segment by segment, each in order, and pipes them to the encoder.
//
// Memory is bounded by the reorder budget, not by the video's length: the
// decoder takes a token per picture and the writer gives it back once the
// picture is written, so at most BufferBytes of pictures, and at most
// MaxInFlight, are between them. The count matters for tiny pictures: a
// 2x2 clip's 64 MiB would be millions of frames, each with its own Mat,
// answer and place in a session's queue.
//
// Each frame keeps its timestamp: the decoder's showinfo filter logs it,
// and the encoder reads the pictures as Matroska (mkv.go) with them, so a
// phone's variable-frame-rate video keeps its timing and its sound stays
// in sync.

// Options set up Process.
type Options struct {
	ID      string // for the engine's logs
	Effects []pipeline.Effect
	// BufferBytes bounds the pictures decoded and not yet written: the
	// reorder buffer. Default 64 MiB; at least 4 pictures.
	BufferBytes int64
	// SegmentFrames is how many consecutive frames one session processes.
	// Default: the buffer shared by one segment per worker and one more, so
	// every worker has a segment while the writer waits on the oldest; at
	// least the engine's re-detection period (5), at most 120.
	SegmentFrames int
	Preset        string // x264's; default "veryfast"
	CRF           int    // x264's quality; default 20
	// Limits bound the ffmpegs: the pixels a decoder may allocate and the
	// address space each may map (MaxPixels, MaxMemory; Probe checked the
	// rest).
	Limits Limits
	// Progress is called by the writer after each frame; it must not block.
	Progress func(Progress)
	// Frame is called by the writer with each finished picture, upright and
	// in order: width x height I420 (planar Y, U, V; JPEG makes a JPEG of
	// it), valid only during the call.
	Frame func(index int, yuv []byte, width, height int)
}

// Progress is how far a Process has come.
type Progress struct {
	Done    int           // frames written
	Total   int           // frames expected (the probe's count, exact once finished)
	Elapsed time.Duration // since Process started
}

// FPS is the frames written per second so far.
func (p Progress) FPS() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Done) / p.Elapsed.Seconds()
}

// Left estimates the time to the end at the rate so far.
func (p Progress) Left() time.Duration {
	fps := p.FPS()
	if fps <= 0 || p.Done >= p.Total {
		return 0
	}
	return time.Duration(float64(p.Total-p.Done) / fps * float64(time.Second))
}

// DefaultBufferBytes is the default reorder budget.
const DefaultBufferBytes = 64 << 20

// MaxInFlight bounds the pictures between decoder and writer, whatever
// their size: 256 is eight seconds of 30 fps video, two segments of 120
// for each of a few workers.
const MaxInFlight = 256

// mp4AudioCodecs are the audio codecs copied as they are into the MP4;
// others are re-encoded as AAC.
var mp4AudioCodecs = map[string]bool{"aac": true, "mp3": true, "alac": true, "ac3": true, "eac3": true}

// Process applies opts.Effects to every frame of src, described by info
// (Probe's), and writes an H.264 MP4 to dst: yuv420p, moov first, each
// frame at its source timestamp, the source's rotation, with its first
// audio track. On error
// or cancellation dst may be left partly written; the caller removes it.
func Process(ctx context.Context, engine *pipeline.Engine, src string, info Info, dst string, opts Options) (Progress, error) {
	start := time.Now()
	if info.Width < 2 || info.Height < 2 || info.FrameRate == "" {
		return Progress{}, errors.New("video: Process needs Probe's description of the file")
	}
	// 4:2:0 needs even sides: an odd last column or row is cropped.
	width, height := info.Width&^1, info.Height&^1
	// Pictures travel the pipes as I420, half the bytes of BGR, and are
	// converted by OpenCV on our side: neither ffmpeg converts colours.
	frameBytes := width * height * 3 / 2
	// The budget counts a BGR picture and its I420 copy.
	budget := inFlight(opts.bufferBytes(), frameBytes)
	lim := opts.Limits.WithDefaults()
	segLen := opts.SegmentFrames
	if segLen <= 0 {
		// At least the engine's re-detection period: a segment's first
		// frame is a detection, which then costs no more than live mode's.
		segLen = min(120, max(engine.Config().RedetectEvery, budget/(engine.Config().Workers+1), 1))
	}

	parent := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	showinfo := showinfoName()
	dec := command(ctx, lim.MaxMemory, "ffmpeg", decodeArgs(src, info, width, height, lim, showinfo)...)
	decOut, err := dec.StdoutPipe()
	if err != nil {
		return Progress{}, err
	}
	decLog, err := dec.StderrPipe()
	if err != nil {
		return Progress{}, err
	}
	if err := dec.Start(); err != nil {
		return Progress{}, fmt.Errorf("video: ffmpeg: %w (install Debian's ffmpeg: scripts/install-deps.sh)", err)
	}
	decErr := &capped{max: 8 << 10}
	stamps := make(chan stamp, 64)
	stampsTaken := make(chan struct{}) // closed once the frames' reader stops taking stamps
	logRead := make(chan struct{})
	go func() {
		readDecoderLog(ctx, decLog, showinfo, stamps, stampsTaken, decErr)
		close(logRead)
	}()
	// The encoder starts with the first frame's timestamp: its time base
	// becomes the MP4's timescale, so a constant rate stays exact.
	var first stamp
	var haveFirst bool
	select {
	case first, haveFirst = <-stamps:
	case <-ctx.Done():
	}
	if !haveFirst {
		cancel(nil)
		<-logRead
		decWait := dec.Wait()
		if parent.Err() != nil {
			return Progress{}, parent.Err()
		}
		return Progress{}, &Error{Code: CodeCorrupt, Message: "the video has no frame that decodes", Detail: fmt.Sprint(decWait, ": ", firstLine(decErr.Bytes(), src))}
	}
	enc := command(ctx, lim.MaxMemory, "ffmpeg", encodeArgs(src, dst, info, width, height, opts, lim, first)...)
	encErr := &capped{max: 8 << 10}
	enc.Stderr = encErr
	encIn, err := enc.StdinPipe()
	if err == nil {
		err = enc.Start()
	}
	if err != nil {
		cancel(nil)
		<-logRead
		dec.Wait()
		return Progress{}, fmt.Errorf("video: ffmpeg: %w", err)
	}

	p := &processor{
		engine: engine, opts: opts, info: info, start: start,
		width: width, height: height, frameBytes: frameBytes, segLen: segLen,
		tokens:   make(chan struct{}, budget),
		free:     make(chan []byte, budget),
		segs:     make(chan *segment, budget+1),
		times:    make(chan time.Duration, budget+1),
		sessions: map[*pipeline.Session]bool{},
		stamps:   stamps, first: first,
	}
	written := make(chan error, 1)
	go func() {
		err := p.write(ctx, newMKVWriter(encIn, width, height))
		encIn.Close() // the encoder finishes the file on end of input
		if err != nil {
			cancel(err)
		}
		written <- err
	}()
	readErr := p.read(ctx, decOut)
	// Stamps with no frame left to take them (a decoder that logged more
	// lines than it wrote pictures) must not hold the log's reader, and so
	// this job's slot, until the deadline.
	close(stampsTaken)
	if readErr != nil {
		cancel(readErr)
	}
	close(p.segs)
	writeErr := <-written
	p.closeSessions()
	if readErr != nil || writeErr != nil {
		cancel(nil) // the decoder may be blocked on a pipe no one reads
	}
	<-logRead
	decWait, encWait := dec.Wait(), enc.Wait()

	prog := Progress{Done: p.done, Total: max(p.done, info.Frames), Elapsed: time.Since(start)}
	switch {
	case parent.Err() != nil: // the caller's cancellation or deadline, whatever it broke
		return prog, parent.Err()
	case readErr != nil:
		return prog, readErr
	case writeErr != nil:
		return prog, writeErr
	case decWait != nil:
		return prog, &Error{Code: CodeCorrupt, Message: "the video could not be decoded", Detail: firstLine(decErr.Bytes(), src)}
	case encWait != nil:
		return prog, fmt.Errorf("video: the encoder failed: %s", firstLine(encErr.Bytes(), src))
	case p.done == 0:
		return prog, &Error{Code: CodeCorrupt, Message: "the video has no frame that decodes"}
	}
	prog.Total = p.done
	if info.Rotation != 0 {
		if err := SetRotation(dst, info.Rotation); err != nil {
			return prog, err
		}
	}
	if opts.Progress != nil {
		opts.Progress(prog)
	}
	return prog, nil
}

// inFlight is how many pictures may be between decoder and writer: the
// reorder budget's worth, each counted as a BGR picture and its I420 copy,
// at least 4 and at most MaxInFlight.
func inFlight(bufferBytes int64, frameBytes int) int {
	return int(min(MaxInFlight, max(4, bufferBytes/int64(frameBytes*3))))
}

func (o Options) bufferBytes() int64 {
	if o.BufferBytes > 0 {
		return o.BufferBytes
	}
	return DefaultBufferBytes
}

// command makes a subprocess that runs at the batch workers' priority, the
// lowest, so a video's decoding and encoding yield the CPU to live
// clients, within mem bytes of address space (prlimit sets RLIMIT_AS on
// the child before it runs ffmpeg), with two malloc arenas instead of one
// per thread, which is what keeps ffmpeg's address space near its use.
func command(ctx context.Context, mem int64, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "prlimit", append([]string{"--as=" + strconv.FormatInt(mem, 10), "--",
		"nice", "-n", strconv.Itoa(pipeline.BatchNice), name}, args...)...)
	cmd.Env = append(os.Environ(), "MALLOC_ARENA_MAX=2")
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// decodeArgs decode src's first video stream to raw I420, turned upright
// (ffmpeg applies the rotation), every frame as stored, at the displayed
// size (a stream that changes size midway is scaled back to it) cropped to
// width x height; showinfo logs each frame's timestamp (readDecoderLog).
// Each picture must reach the pipe before the next one's timestamp is
// logged, or a buffer of tiny pictures held back while their timestamps
// filled the log's queue would leave decoder and reader waiting on each
// other: ffmpeg 5.1 flushes each packet by default, -flush_packets 1 says
// so whatever the default becomes.
func decodeArgs(src string, info Info, width, height int, lim Limits, showinfo string) []string {
	args := append([]string{"-hide_banner", "-nostats", "-nostdin", "-loglevel", "level+info"}, inputArgs(lim.MaxPixels)...)
	return append(args, "-i", src, "-map", "0:v:0", "-fps_mode", "passthrough",
		"-vf", fmt.Sprintf("scale=%d:%d,crop=%d:%d:0:0,%s=checksum=0", info.Width, info.Height, width, height, showinfo),
		"-f", "rawvideo", "-pix_fmt", "yuv420p", "-flush_packets", "1", "pipe:1")
}

// encodeArgs encode the Matroska of I420 pictures on stdin, width x
// height, as H.264 into dst, each frame at its timestamp in the source's
// time base, turned back to the source's stored orientation (SetRotation
// then writes the rotation), with src's first audio track, moov first.
// The pictures' timestamps are the decoder's, which start where the
// source's video does; -itsoffset keeps ffmpeg from moving them to 0, so
// they stay where the audio, read from src, expects them.
func encodeArgs(src, dst string, info Info, width, height int, opts Options, lim Limits, first stamp) []string {
	preset, crf := opts.Preset, opts.CRF
	if preset == "" {
		preset = "veryfast"
	}
	if crf <= 0 {
		crf = 20
	}
	filter := "null"
	switch info.Rotation {
	case 90:
		filter = "transpose=cclock"
	case 180:
		filter = "hflip,vflip"
	case 270:
		filter = "transpose=clock"
	}
	args := []string{"-v", "error", "-nostdin", "-y"}
	if t := first.time(); t > 0 {
		args = append(args, "-itsoffset", strconv.FormatFloat(t.Seconds(), 'f', 6, 64))
	}
	args = append(args, "-format_whitelist", "matroska", "-protocol_whitelist", "pipe", "-f", "matroska", "-i", "pipe:0")
	if info.HasAudio {
		args = append(append(args, inputArgs(lim.MaxPixels)...), "-i", src, "-map", "0:v:0", "-map", "1:a:0")
	} else {
		args = append(args, "-map", "0:v:0")
	}
	scale := first.timescale()
	args = append(args, "-vf", filter, "-fps_mode", "passthrough", "-enc_time_base:v", "1:"+strconv.FormatInt(scale, 10),
		"-c:v", "libx264", "-preset", preset, "-crf", strconv.Itoa(crf), "-pix_fmt", "yuv420p")
	if info.HasAudio {
		if mp4AudioCodecs[info.AudioCodec] {
			args = append(args, "-c:a", "copy")
		} else {
			args = append(args, "-c:a", "aac", "-b:a", "160k")
		}
	}
	return append(args, "-video_track_timescale", strconv.FormatInt(scale, 10), "-movflags", "+faststart", "-f", "mp4", dst)
}

// processor is one Process's shared state.
type processor struct {
	engine     *pipeline.Engine
	opts       Options
	info       Info
	start      time.Time
	width      int
	height     int
	frameBytes int
	segLen     int
	tokens     chan struct{}      // one per picture between decoder and writer
	free       chan []byte        // written pictures' buffers, for the encoder hook
	segs       chan *segment      // in order, from the reader to the writer
	times      chan time.Duration // each frame's timestamp, in order, from the reader to the writer
	stamps     <-chan stamp       // the decoder's timestamps; first is the first
	first      stamp
	done       int // frames written; the writer's, read after it ends

	mu       sync.Mutex
	sessions map[*pipeline.Session]bool // open: the writer closes each when its segment is written

	scenes pipeline.SceneMemory // scenes found empty, shared by the segments' sessions
}

// segment is a run of consecutive frames and the session processing them.
type segment struct {
	first   int
	session *pipeline.Session
	answers chan pipeline.Result // room for every frame: workers never block
	count   chan int             // the segment's length, once it is cut
}

// read decodes pictures and submits them, segment by segment.
func (p *processor) read(ctx context.Context, r io.Reader) error {
	var seg *segment
	frames := 0
	yuv := gocv.NewMatWithSize(p.height*3/2, p.width, gocv.MatTypeCV8UC1)
	defer yuv.Close()
	raw, err := yuv.DataPtrUint8()
	if err != nil {
		return err
	}
	period := time.Duration(float64(time.Second) / p.info.FPS)
	epoch := time.Now()
	var last time.Duration
	tick := p.first.tick()
	cut := func() {
		if seg != nil {
			seg.count <- frames - seg.first
		}
	}
	defer cut()
	for i := 0; ; i++ {
		select {
		case p.tokens <- struct{}{}:
		case <-ctx.Done():
			return nil // the writer's or the caller's reason is the error
		}
		_, err := io.ReadFull(r, raw)
		switch {
		case err == io.EOF:
			return nil
		case err != nil:
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return &Error{Code: CodeCorrupt, Message: fmt.Sprintf("the video ends in the middle of frame %d", i)}
			}
			return fmt.Errorf("video: reading the decoder: %w", err)
		}
		// The frame's timestamp, logged before its picture was written: a
		// frame without one (none logged, or not after the last) is put one
		// period, or one tick, after the last.
		var ts time.Duration
		if i == 0 {
			ts = p.first.time()
		} else {
			select {
			case st, ok := <-p.stamps:
				if ts = st.time(); !ok || st.noPTS {
					ts = last + period
				}
			case <-ctx.Done():
				return nil
			}
			ts = max(ts, last+tick)
		}
		last = ts
		p.times <- ts // room for every frame that holds a token
		img := gocv.NewMat()
		gocv.CvtColor(yuv, &img, gocv.ColorYUVToBGRIYUV)
		if seg == nil || i-seg.first == p.segLen {
			cut()
			seg = p.newSegment(i)
			select {
			case p.segs <- seg:
			case <-ctx.Done():
				img.Close()
				return nil
			}
		}
		frames = i + 1
		in := pipeline.Input{Image: &img, Tag: i, Captured: epoch.Add(ts)}
		if err := seg.session.Submit(ctx, in); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("video: the pipeline refused frame %d: %w", i, err)
		}
	}
}

func (p *processor) newSegment(first int) *segment {
	seg := &segment{first: first, answers: make(chan pipeline.Result, p.segLen), count: make(chan int, 1)}
	seg.session = p.engine.NewSession(pipeline.SessionOptions{
		ID: fmt.Sprintf("%s/%d", p.opts.ID, first), Effects: p.opts.Effects,
		Queue: pipeline.Ordered, QueueDepth: p.segLen, Batch: true,
		Encoder: rawEncoder{p}, Scenes: &p.scenes,
	}, pipeline.ReceiverFunc(func(r pipeline.Result) { seg.answers <- r }))
	p.mu.Lock()
	p.sessions[seg.session] = true
	p.mu.Unlock()
	return seg
}

// closeSession closes a segment's session and forgets it: a long video's
// sessions are not all kept to the end.
func (p *processor) closeSession(s *pipeline.Session) {
	s.Close()
	p.mu.Lock()
	delete(p.sessions, s)
	p.mu.Unlock()
}

func (p *processor) closeSessions() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for s := range p.sessions {
		s.Close()
	}
	clear(p.sessions)
}

// write takes the answers back in order and pipes them to the encoder.
func (p *processor) write(ctx context.Context, w *mkvWriter) error {
	next := 0
	for seg := range p.segs {
		n, got := -1, 0
		count := seg.count
		for n < 0 || got < n {
			select {
			case n = <-count:
				count = nil
				continue
			case res := <-seg.answers:
				if err := p.writeFrame(w, res, next); err != nil {
					return err
				}
				got++
				next++
			case <-ctx.Done():
				return nil
			}
		}
		p.closeSession(seg.session)
	}
	return nil
}

func (p *processor) writeFrame(w *mkvWriter, res pipeline.Result, index int) error {
	defer func() { <-p.tokens }()
	ts := <-p.times // the reader sent it before it submitted the frame
	switch {
	case res.Err != nil:
		return &Error{Code: res.Err.Code, Message: fmt.Sprintf("frame %d: %s", index, res.Err.Message)}
	case res.Tag != index || len(res.Encoded.Data) != p.frameBytes:
		return fmt.Errorf("video: frame %d came back as %v with %d bytes", index, res.Tag, len(res.Encoded.Data))
	}
	if err := w.WriteFrame(ts, res.Encoded.Data); err != nil {
		return fmt.Errorf("video: the encoder stopped taking frames: %w", err)
	}
	if p.opts.Frame != nil {
		p.opts.Frame(index, res.Encoded.Data, p.width, p.height)
	}
	select {
	case p.free <- res.Encoded.Data:
	default:
	}
	p.done = index + 1
	if p.opts.Progress != nil {
		p.opts.Progress(Progress{Done: p.done, Total: max(p.done, p.info.Frames), Elapsed: time.Since(p.start)})
	}
	return nil
}

// rawEncoder is the sessions' Encoder: it converts the processed picture
// to I420 into a buffer the writer gives back once written.
type rawEncoder struct{ p *processor }

func (e rawEncoder) Encode(img gocv.Mat, _ time.Time) (pipeline.EncodedFrame, error) {
	if img.Cols() != e.p.width || img.Rows() != e.p.height {
		return pipeline.EncodedFrame{}, fmt.Errorf("a %dx%d picture, not %dx%d", img.Cols(), img.Rows(), e.p.width, e.p.height)
	}
	yuv := gocv.NewMat()
	defer yuv.Close()
	gocv.CvtColor(img, &yuv, gocv.ColorBGRToYUVI420)
	pix, err := yuv.DataPtrUint8()
	if err != nil {
		return pipeline.EncodedFrame{}, err
	}
	if len(pix) != e.p.frameBytes {
		return pipeline.EncodedFrame{}, fmt.Errorf("I420 of %d bytes, not %d", len(pix), e.p.frameBytes)
	}
	var buf []byte
	select {
	case buf = <-e.p.free:
	default:
		buf = make([]byte, e.p.frameBytes)
	}
	copy(buf, pix)
	return pipeline.EncodedFrame{Key: true, Data: buf}, nil
}

// capped keeps the first max bytes written to it: a subprocess's error
// output, which a hostile file could make endless.
type capped struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (c *capped) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.max - len(c.buf); room > 0 {
		c.buf = append(c.buf, b[:min(room, len(b))]...)
	}
	return len(b), nil
}

func (c *capped) Bytes() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.buf...)
}

// JPEG encodes a width x height I420 picture, as Options.Frame gets them,
// as a JPEG: for previews.
func JPEG(yuv []byte, width, height, quality int) ([]byte, error) {
	if width <= 0 || height <= 0 || len(yuv) != width*height*3/2 {
		return nil, fmt.Errorf("video: %d bytes are not a %dx%d I420 picture", len(yuv), width, height)
	}
	m := gocv.NewMatWithSize(height*3/2, width, gocv.MatTypeCV8UC1)
	defer m.Close()
	dst, err := m.DataPtrUint8()
	if err != nil {
		return nil, err
	}
	copy(dst, yuv)
	bgr := gocv.NewMat()
	defer bgr.Close()
	gocv.CvtColor(m, &bgr, gocv.ColorYUVToBGRIYUV)
	return cvjpeg.EncodeBytes(bgr, cvjpeg.Options{Quality: quality})
}
