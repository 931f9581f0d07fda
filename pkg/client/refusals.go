package client

import (
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// refusalLog sums a client's refused frames into at most one log line a
// second, like the pipeline's drops: a client sending bad frames at full
// speed must not write megabytes of log. The first refusal of a quiet
// spell is logged at once, with its message; the rest are counted by code
// and logged together when a second has passed, or at disconnect.
type refusalLog struct {
	log zerolog.Logger

	mu       sync.Mutex
	lastLog  time.Time
	unlogged map[string]int // code → refusals not yet logged
	total    int
}

func (r *refusalLog) add(code, message string, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total++
	if now.Sub(r.lastLog) >= time.Second && len(r.unlogged) == 0 {
		r.lastLog = now
		r.log.Warn().Str("code", code).Msg(message)
		return
	}
	if r.unlogged == nil {
		r.unlogged = map[string]int{}
	}
	r.unlogged[code]++
	r.flushLocked(now, false)
}

func (r *refusalLog) flush(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushLocked(now, true)
}

func (r *refusalLog) flushLocked(now time.Time, final bool) {
	if len(r.unlogged) == 0 || (!final && now.Sub(r.lastLog) < time.Second) {
		return
	}
	n := 0
	codes := zerolog.Dict()
	for code, k := range r.unlogged {
		codes.Int(code, k)
		n += k
	}
	r.log.Warn().Int("refused", n).Int("refused_total", r.total).Dict("codes", codes).
		Msg("client sends frames the server refuses; summed since the last line")
	r.unlogged = nil
	r.lastLog = now
}
