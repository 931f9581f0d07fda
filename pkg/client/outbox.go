package client

import (
	"sync"

	"github.com/rs/zerolog"
)

// maxControl bounds the messages other than answers that may wait for a
// busy connection: errors, dropped-frame replies, config replies. A client
// that sends faster than it reads loses the excess, counted, rather than
// growing the server's memory.
const maxControl = 32

// outbox holds what is owed to one client and hands it to the transport
// one message at a time, each once the previous one has drained. Of the
// answers it keeps only the newest: while the connection is busy a newer
// answer replaces an older one, so a slow reader costs one answer of memory
// and always sees the freshest frame. Other messages wait in order, up to
// maxControl.
type outbox struct {
	send Sender
	log  zerolog.Logger
	wake chan struct{} // 1-buffered: something was pushed
	quit chan struct{}

	mu       sync.Mutex
	answer   *Message
	control  []Message
	closed   bool
	skipped  uint64 // answers replaced while waiting
	overflow uint64 // control messages refused because maxControl were waiting
}

func newOutbox(send Sender, log zerolog.Logger) *outbox {
	o := &outbox{send: send, log: log, wake: make(chan struct{}, 1), quit: make(chan struct{})}
	go o.run()
	return o
}

func (o *outbox) push(m Message) {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	if m.IsAnswer() {
		if old := o.answer; old != nil {
			o.skipped++
			if old.Ack != nil || (old.Frame != nil && old.Frame.ID != nil) {
				// Its answer was promised: say it was skipped instead.
				o.control = append(o.control, Message{Frame: old.Frame, Ack: old.Ack, Reply: &FrameReply{ID: old.Reply.ID,
					Dropped: old.Reply.Dropped, Error: &ErrorBody{Code: CodeDropped, Message: "a newer answer replaced this one while the connection was busy"}}})
			}
		}
		o.answer = &m
	} else if len(o.control) < maxControl {
		o.control = append(o.control, m)
	} else {
		o.overflow++
		if o.overflow == 1 || o.overflow%1000 == 0 {
			o.log.Warn().Uint64("lost", o.overflow).Msg("client does not read its messages; discarding the excess")
		}
	}
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// next pops the next message: waiting control messages first, in order,
// then the newest answer.
func (o *outbox) next() (Message, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case o.closed:
	case len(o.control) > 0:
		m := o.control[0]
		o.control[0] = Message{}
		o.control = o.control[1:]
		return m, true
	case o.answer != nil:
		m := *o.answer
		o.answer = nil
		return m, true
	}
	return Message{}, false
}

func (o *outbox) run() {
	for {
		select {
		case <-o.wake:
		case <-o.quit:
			return
		}
		for {
			m, ok := o.next()
			if !ok {
				break
			}
			if err := o.send.Send(m); err != nil {
				o.close()
				return
			}
		}
	}
}

func (o *outbox) skippedCount() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.skipped
}

func (o *outbox) close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return
	}
	o.closed = true
	o.answer = nil
	o.control = nil
	close(o.quit)
}
