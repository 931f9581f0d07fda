// A simulated client: it sends frames over its link and matches the
// answers to them.

package loadgen

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/livetryon/server/internal/frameid"
	"github.com/livetryon/server/pkg/frame"
)

// client is one simulated page: it sends frames over its link and keeps
// the books on what came back. The link reports each outcome through
// onAnswer, onDropped, onError, onPixels and onUnmatched.
type client struct {
	link   link
	cfg    Config
	frames []variant
	answer chan struct{} // closed loop: an answer (or error) arrived

	mu          sync.Mutex
	seq         int
	inFlight    map[int]time.Time    // frame number → send time
	stages      map[string][]float64 // the server's per-stage ms, from answers
	faces       map[string]int       // answers by faces found
	samples     []sample
	sent        int
	dropped     int
	errors      int
	malformed   int
	errorSample string
}

func newClient(cfg Config, fr []variant) *client {
	return &client{cfg: cfg, frames: fr, answer: make(chan struct{}, 1), inFlight: map[int]time.Time{}, stages: map[string][]float64{}, faces: map[string]int{}}
}

func (c *client) signal() {
	select {
	case c.answer <- struct{}{}:
	default:
	}
}

func (c *client) run(ctx context.Context, end time.Time) {
	var tick *time.Ticker
	if c.cfg.FPS > 0 {
		tick = time.NewTicker(time.Duration(float64(time.Second) / c.cfg.FPS))
		defer tick.Stop()
	}
	for time.Now().Before(end) {
		if err := c.send(); err != nil {
			c.fail(err.Error())
			return
		}
		if tick != nil {
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			case <-c.link.done():
				return
			}
			continue
		}
		select {
		case <-c.answer:
		case <-time.After(c.cfg.AnswerTimeout):
		case <-ctx.Done():
			return
		case <-c.link.done():
			return
		}
	}
}

func (c *client) send() error {
	c.mu.Lock()
	n := c.seq
	c.seq++
	id := n % len(c.frames)
	c.inFlight[id] = time.Now()
	c.sent++
	c.mu.Unlock()
	return c.link.send(id, &c.frames[id])
}

// onAnswer records the answer to frame id; valid says it is a JPEG.
func (c *client) onAnswer(id int, valid bool, info answerInfo) {
	defer c.signal()
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !valid {
		c.malformed++
		delete(c.inFlight, id)
		return
	}
	c.matchLocked(id, now)
	for stage, v := range info.timings {
		c.stages[stage] = append(c.stages[stage], v)
	}
	if info.faces >= 0 {
		c.faces[strconv.Itoa(info.faces)]++
	}
}

// onPixels matches a seed-protocol answer by the number in its pixels.
func (c *client) onPixels(jpg []byte) {
	defer c.signal()
	now := time.Now()
	id, ok := frameid.Read(jpg)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !ok {
		c.malformed++
		return
	}
	c.matchLocked(id, now)
}

func (c *client) matchLocked(id int, now time.Time) {
	sent, ok := c.inFlight[id]
	if !ok {
		c.malformed++
		return
	}
	delete(c.inFlight, id)
	c.samples = append(c.samples, sample{sent: sent, age: now.Sub(sent)})
}

// onDropped records that the server replaced frame id with a newer one.
func (c *client) onDropped(id int) {
	defer c.signal()
	c.mu.Lock()
	c.dropped++
	delete(c.inFlight, id)
	c.mu.Unlock()
}

// onError records an error answer to frame id (-1: to no frame in
// particular).
func (c *client) onError(id int, why string) {
	defer c.signal()
	c.mu.Lock()
	delete(c.inFlight, id)
	c.mu.Unlock()
	c.fail(why)
}

// onUnmatched records an answer that names no frame in flight.
func (c *client) onUnmatched() {
	defer c.signal()
	c.mu.Lock()
	c.malformed++
	c.mu.Unlock()
}

func (c *client) fail(why string) {
	c.mu.Lock()
	c.errors++
	if c.errorSample == "" {
		c.errorSample = why
	}
	c.mu.Unlock()
}

// isJPEG checks an answer without decoding its pixels: a JPEG header with a
// frame size.
func isJPEG(jpg []byte) bool {
	_, _, err := frame.JPEGSize(jpg)
	return err == nil
}
