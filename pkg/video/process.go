package video

import (
	"context"
	"errors"
	"fmt"
	"time"

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

// JPEG encodes a width x height I420 picture, as Options.Frame gets them,
// as a JPEG, for previews: straight from its planes (JPEG is YCbCr 4:2:0
// too), with no BGR picture made and converted back.
func JPEG(yuv []byte, width, height, quality int) ([]byte, error) {
	if width <= 0 || height <= 0 || len(yuv) != width*height*3/2 {
		return nil, fmt.Errorf("video: %d bytes are not a %dx%d I420 picture", len(yuv), width, height)
	}
	return cvjpeg.EncodeI420(yuv, width, height, cvjpeg.Options{Quality: quality})
}
