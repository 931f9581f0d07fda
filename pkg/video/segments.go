package video

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/pkg/pipeline"
)

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
