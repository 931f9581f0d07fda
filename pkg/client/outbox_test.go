package client

import (
	"sync"
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
// "dropped"), other messages wait in order up to maxControl, and when the
// connection drains the newest answer goes out last.
func TestOutboxKeepsNewestAnswerAndBoundsTheRest(t *testing.T) {
	s := &slowSender{release: make(chan struct{}), got: make(chan struct{}, 1000)}
	o := newOutbox(s, zerolog.Nop())
	defer o.close()
	o.push(Message{Error: &ErrorBody{Code: "first"}})
	<-s.got // the connection holds the first message and stalls
	for i := 1; i <= 100; i++ {
		o.push(Message{Frame: &Frame{Seq: uint64(i)}, Reply: &FrameReply{Faces: 1}})
	}
	o.push(Message{Frame: &Frame{ID: "promised", Seq: 101}, Reply: &FrameReply{ID: "promised", Faces: 1}})
	o.push(Message{Frame: &Frame{Seq: 102}, Reply: &FrameReply{Faces: 1}})
	for i := 0; i < 2*maxControl; i++ {
		o.push(Message{Error: &ErrorBody{Code: "flood"}})
	}
	o.mu.Lock()
	waiting := len(o.control)
	o.mu.Unlock()
	if waiting > maxControl {
		t.Fatalf("%d control messages wait, limit %d", waiting, maxControl)
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
	if o.skippedCount() != 101 {
		t.Errorf("skipped %d answers, want 101", o.skippedCount())
	}
}
