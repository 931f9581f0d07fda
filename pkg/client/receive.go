package client

import (
	"strconv"

	"github.com/livetryon/server/pkg/landmarks"
	"github.com/livetryon/server/pkg/pipeline"
)

// receiver turns pipeline results into messages; it runs on a worker, or
// on the submitter for dropped frames, and never blocks.
type receiver struct{ c *Client }

func (rc receiver) Receive(r pipeline.Result) {
	c := rc.c
	t, _ := r.Tag.(*tag)
	if t == nil {
		r.Release()
		return
	}
	switch {
	case r.Dropped:
		c.observer.Frame(c.transport, OutcomeDropped, "", nil)
		// Answered only where an answer was promised: to an acknowledgement,
		// or a frame the client gave an id.
		if t.ack != nil || t.frame.ID != nil {
			c.out.push(Message{Frame: t.frame, Ack: t.ack, Reply: &FrameReply{ID: t.frame.ID, Dropped: c.Dropped(),
				Error: &ErrorBody{Code: CodeDropped, Message: "a newer frame replaced this one before it was processed"}}})
		}
		return
	case r.Err != nil:
		c.Refuse(t.frame, t.ack, r.Err)
		return
	}
	m := Message{Frame: t.frame, Ack: t.ack, Video: r.Encoded}
	if r.JPEG != nil {
		// One copy into Go memory, shared by the outbox and the watchers,
		// so OpenCV's buffer is freed at once.
		m.Image = append([]byte(nil), r.JPEG...)
	}
	r.Release()
	c.observer.Frame(c.transport, OutcomeAnswered, "", &r.Timings)
	m.Reply = &FrameReply{ID: t.frame.ID, Faces: len(r.Faces), FPS: r.FPS, Dropped: c.Dropped(), Tracked: r.Tracked, Timings: msOf(r.Timings)}
	c.mu.Lock()
	wantLandmarks := c.settings.Landmarks
	c.mu.Unlock()
	faces := r.Faces
	if faces == nil {
		faces = []landmarks.Face{} // "no faces" is an empty JSON list, not null
	}
	m.Landmarks = &Landmarks{Frame: t.frame.Label(), Width: r.Width, Height: r.Height, Faces: faces}
	m.WantLandmarks = wantLandmarks
	if st := c.watchStream(); st != nil && m.Image != nil {
		st.Publish(m.Image)
	}
	c.out.push(m)
}

func tooLarge(n, limit int, unit string) string {
	return "frame is " + strconv.Itoa(n) + " " + unit + "; the limit is " + strconv.Itoa(limit)
}
