package client

import (
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// OutboxLimits bound what one client may owe: every message to it, of
// every transport, waits in its outbox until the connection takes it.
type OutboxLimits struct {
	// MaxBytes bounds the bytes a client's outbox holds, the message in the
	// transport's hands included. A message that would pass it is
	// discarded, counted, instead. Default 4 MiB: eight 1080p answers.
	MaxBytes int
	// Grace is how long a client may keep its outbox full (a message was
	// discarded and it has not drained to half the limit since) before it
	// is disconnected as too slow. Default 10 s.
	Grace time.Duration
}

// DefaultOutboxLimits are the limits of a zero OutboxLimits.
var DefaultOutboxLimits = OutboxLimits{MaxBytes: 4 << 20, Grace: 10 * time.Second}

func (l OutboxLimits) withDefaults() OutboxLimits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultOutboxLimits.MaxBytes
	}
	if l.Grace <= 0 {
		l.Grace = DefaultOutboxLimits.Grace
	}
	return l
}

// outbox holds what is owed to one client and hands it to the transport
// one message at a time, each once the previous one has drained. Of the
// answers it keeps only the newest: while the connection is busy a newer
// answer replaces an older one, so a slow reader costs one answer of memory
// and always sees the freshest frame. Other messages wait in order. All of
// it, with the message being sent, stays under the byte limit; a client
// that keeps it full for the grace time is disconnected (slow is called
// once).
type outbox struct {
	send   Sender
	log    zerolog.Logger
	limits OutboxLimits
	hooks  outboxHooks
	wake   chan struct{} // 1-buffered: something was pushed
	quit   chan struct{}

	mu        sync.Mutex
	answer    *Message
	control   []Message
	held      int // bytes of answer, control and the message being sent
	peak      int
	fullSince time.Time // when a message was first discarded for lack of room; zero once drained to half
	fullTimer *time.Timer
	closed    bool
	skipped   uint64 // answers replaced while waiting
	overflow  uint64 // messages discarded because the outbox was full
}

// outboxHooks tell the client what its outbox does; each may be nil.
type outboxHooks struct {
	held    func(delta int) // every change of the bytes held
	skipped func()          // an answer was replaced by a newer one
	slow    func(held int)  // the outbox stayed full for the grace time
	stopped func()          // the writer goroutine has returned
}

func newOutbox(send Sender, limits OutboxLimits, log zerolog.Logger, hooks outboxHooks) *outbox {
	if hooks.held == nil {
		hooks.held = func(int) {}
	}
	if hooks.skipped == nil {
		hooks.skipped = func() {}
	}
	if hooks.slow == nil {
		hooks.slow = func(int) {}
	}
	if hooks.stopped == nil {
		hooks.stopped = func() {}
	}
	o := &outbox{send: send, log: log, limits: limits.withDefaults(), hooks: hooks,
		wake: make(chan struct{}, 1), quit: make(chan struct{})}
	go o.run()
	return o
}

// size is what m costs the outbox: an upper bound of its bytes on any
// transport (the image as base64, the JSON around it).
func (m *Message) size() int {
	n := 256 + len(m.Image)*4/3
	if m.Error != nil {
		n += len(m.Error.Message)
	}
	if m.WantLandmarks && m.Landmarks != nil {
		n += 1500 * len(m.Landmarks.Faces) // 68 points of JSON
	}
	return n
}

func (o *outbox) push(m Message) {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	before := o.held
	replaced := false
	if m.IsAnswer() {
		if old := o.answer; old != nil {
			o.answer = nil
			o.held -= old.size()
			o.skipped++
			replaced = true
			if promised(old) {
				o.add(droppedReply(old, "a newer answer replaced this one while the connection was busy"))
			}
		}
	}
	if !o.add(m) && m.IsAnswer() && promised(&m) {
		o.add(droppedReply(&m, "the connection has too much unread to take this answer")) // smaller: it may still fit
	}
	delta := o.held - before
	o.mu.Unlock()
	o.hooks.held(delta)
	if replaced {
		o.hooks.skipped()
	}
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// promised reports whether the client is owed word of m's frame (an
// acknowledgement, or a frame it gave an id) even if m is not sent.
func promised(m *Message) bool { return m.Ack != nil || (m.Frame != nil && m.Frame.ID != nil) }

// droppedReply says m's answer was not sent, and why.
func droppedReply(m *Message, why string) Message {
	return Message{Frame: m.Frame, Ack: m.Ack, Reply: &FrameReply{ID: m.Reply.ID, Dropped: m.Reply.Dropped,
		Error: &ErrorBody{Code: CodeDropped, Message: why}}}
}

// add queues m if it fits, and reports whether it did; o.mu is held.
func (o *outbox) add(m Message) bool {
	size := m.size()
	if o.held+size > o.limits.MaxBytes {
		o.overflow++
		if o.fullSince.IsZero() {
			o.fullSince = time.Now()
			o.fullTimer = time.AfterFunc(o.limits.Grace, o.checkFull)
		}
		if o.overflow == 1 {
			o.log.Warn().Int("held_bytes", o.held).Int("limit", o.limits.MaxBytes).
				Msg("client does not read its messages; discarding the excess")
		}
		return false
	}
	o.held += size
	o.peak = max(o.peak, o.held)
	if m.IsAnswer() {
		o.answer = &m
	} else {
		o.control = append(o.control, m)
	}
	return true
}

// checkFull runs a grace time after the outbox became full: if it has not
// drained since, the client is too slow.
func (o *outbox) checkFull() {
	o.mu.Lock()
	full := !o.closed && !o.fullSince.IsZero() && time.Since(o.fullSince) >= o.limits.Grace
	held := o.held
	o.mu.Unlock()
	if full {
		o.hooks.slow(held)
	}
}

// next pops the next message, waiting control messages first, in order,
// then the newest answer. Its bytes stay held until sent is called.
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

// sent releases the bytes of a message the connection has taken.
func (o *outbox) sent(m *Message) {
	size := m.size()
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	o.held -= size
	if !o.fullSince.IsZero() && o.held <= o.limits.MaxBytes/2 {
		o.fullSince = time.Time{}
		o.fullTimer.Stop()
	}
	o.mu.Unlock()
	o.hooks.held(-size)
}

func (o *outbox) run() {
	defer o.hooks.stopped()
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
			err := o.send.Send(m)
			o.sent(&m)
			if err != nil {
				o.close()
				return
			}
		}
	}
}

// counts are the outbox's counters.
func (o *outbox) counts() (skipped, overflow uint64, peak int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.skipped, o.overflow, o.peak
}

// close discards what is held.
func (o *outbox) close() {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	o.closed = true
	held := o.held
	o.held = 0
	o.answer = nil
	o.control = nil
	if o.fullTimer != nil {
		o.fullTimer.Stop()
	}
	close(o.quit)
	o.mu.Unlock()
	o.hooks.held(-held)
}
