package client

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// slowSender stands for a connection that takes one message and then
// stalls until released, as a client that stops reading does.
type slowSender struct {
	mu      sync.Mutex
	sent    []Message
	release chan struct{}
	got     chan struct{}
}

func (s *slowSender) Send(m Message) error {
	s.mu.Lock()
	s.sent = append(s.sent, m)
	s.mu.Unlock()
	s.got <- struct{}{}
	<-s.release
	return nil
}

// TestOutboxKeepsNewestAnswerAndBoundsTheRest: while the connection is
// stalled, answers replace each other (a promised one is answered
// "dropped"), other messages wait in order up to the byte limit, and when
// the connection drains the newest answer goes out last.
func TestOutboxKeepsNewestAnswerAndBoundsTheRest(t *testing.T) {
	s := &slowSender{release: make(chan struct{}), got: make(chan struct{}, 1000)}
	const limit = 20 << 10
	var held atomic.Int64
	o := newOutbox(s, OutboxLimits{MaxBytes: limit, Grace: time.Hour}, zerolog.Nop(),
		outboxHooks{held: func(d int) { held.Add(int64(d)) }})
	defer o.close()
	o.push(Message{Error: &ErrorBody{Code: "first"}})
	<-s.got // the connection holds the first message and stalls
	for i := 1; i <= 100; i++ {
		o.push(Message{Frame: &Frame{Seq: uint64(i)}, Reply: &FrameReply{Faces: 1}})
	}
	o.push(Message{Frame: &Frame{ID: "promised", Seq: 101}, Reply: &FrameReply{ID: "promised", Faces: 1}})
	o.push(Message{Frame: &Frame{Seq: 102}, Reply: &FrameReply{Faces: 1}})
	for i := 0; i < 1000; i++ {
		o.push(Message{Error: &ErrorBody{Code: "flood"}})
	}
	o.mu.Lock()
	waiting, bytes := len(o.control), o.held
	o.mu.Unlock()
	if bytes > limit || int(held.Load()) != bytes {
		t.Fatalf("%d bytes held (hooks told %d), limit %d", bytes, held.Load(), limit)
	}
	if waiting < 10 || waiting > limit/256 {
		t.Fatalf("%d control messages wait; want the limit to keep some, not all", waiting)
	}
	close(s.release)
	deadline := time.After(5 * time.Second)
	for {
		s.mu.Lock()
		n := len(s.sent)
		s.mu.Unlock()
		if n == 1+waiting+1 {
			break
		}
		select {
		case <-s.got:
		case <-deadline:
			t.Fatalf("%d messages sent, want %d", n, 1+waiting+1)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	last := s.sent[len(s.sent)-1]
	if last.Frame == nil || last.Frame.Seq != 102 {
		t.Errorf("last message %+v, want the newest answer (frame 102)", last)
	}
	if first := s.sent[1]; first.Reply == nil || first.Reply.Error == nil || first.Reply.ID != "promised" || first.Reply.Error.Code != CodeDropped {
		t.Errorf("the replaced promised answer was not answered dropped: %+v", first)
	}
	if skipped, overflow, _ := o.counts(); skipped != 101 || overflow == 0 {
		t.Errorf("skipped %d answers (want 101), discarded %d messages (want some)", skipped, overflow)
	}
	if held.Load() != 0 {
		t.Errorf("%d bytes still held after everything was sent", held.Load())
	}
}

// TestOutboxGivesUpOnAClientThatDoesNotRead: an outbox kept full for the
// grace time reports the client slow, once; one that drains to half the
// limit within it does not.
func TestOutboxGivesUpOnAClientThatDoesNotRead(t *testing.T) {
	for _, drains := range []bool{false, true} {
		s := &slowSender{release: make(chan struct{}), got: make(chan struct{}, 1000)}
		slow := make(chan int, 10)
		o := newOutbox(s, OutboxLimits{MaxBytes: 4 << 10, Grace: 200 * time.Millisecond}, zerolog.Nop(),
			outboxHooks{slow: func(held int) { slow <- held }})
		o.push(Message{Error: &ErrorBody{Code: "first"}})
		<-s.got
		for i := 0; i < 100; i++ {
			o.push(Message{Error: &ErrorBody{Code: "flood"}})
		}
		if drains {
			close(s.release)
		}
		select {
		case held := <-slow:
			if drains {
				t.Errorf("a client that drained was reported slow (%d bytes held)", held)
			} else if held > 4<<10 {
				t.Errorf("reported slow with %d bytes held, over the limit", held)
			}
		case <-time.After(time.Second):
			if !drains {
				t.Errorf("a client that never read was not reported slow")
			}
		}
		if !drains {
			close(s.release)
		}
		o.close()
	}
}
