package pipeline

import "time"

// RateMeter is a moving average of how often something happens: the number
// of events in the last second or the last 30 events, whichever is fewer,
// over the time they span. It reacts within a second when the rate changes
// and does not flicker from one frame's jitter.
type RateMeter struct {
	times [30]time.Time
	n     int // valid entries
	next  int // where the next one goes
}

const rateWindow = time.Second

// Tick records an event at now and returns the current rate per second.
func (m *RateMeter) Tick(now time.Time) float64 {
	m.times[m.next] = now
	m.next = (m.next + 1) % len(m.times)
	if m.n < len(m.times) {
		m.n++
	}
	// Walk back from the newest to the oldest event still inside the window.
	count := 1
	oldest := now
	for i := 1; i < m.n; i++ {
		t := m.times[(m.next-1-i+2*len(m.times))%len(m.times)]
		if now.Sub(t) > rateWindow {
			break
		}
		oldest = t
		count++
	}
	if count < 2 && m.n >= 2 {
		// Slower than one event a second: the last interval is the rate.
		count, oldest = 2, m.times[(m.next-2+len(m.times))%len(m.times)]
	}
	span := now.Sub(oldest)
	if count < 2 || span <= 0 {
		return 0
	}
	return float64(count-1) / span.Seconds()
}
