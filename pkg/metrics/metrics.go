// Package metrics exposes the server's counters to Prometheus at /metrics:
// sessions and frames by transport, each frame's outcome, per-stage and
// queue-wait histograms, bytes held in outboxes, slow clients disconnected,
// and handshakes refused. It is the client layer's Observer, and reads the
// pipeline's, the session gate's and the watch hub's own counters when
// scraped.
package metrics

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/pipeline"
)

const namespace = "tryon"

// Metrics is one server's registry. Each server has its own, so tests can
// run servers side by side.
type Metrics struct {
	registry *prometheus.Registry
	reg      prometheus.Registerer // registry, with the node's label when it has one (node.go)

	sessions     *prometheus.GaugeVec
	frames       *prometheus.CounterVec
	stages       *prometheus.HistogramVec
	stageObs     [len(stageNames)]prometheus.Observer // resolved once: no label lookup per frame
	outboxBytes  prometheus.Gauge
	closedSlow   *prometheus.CounterVec
	refused      *prometheus.CounterVec
	outboxNow    atomic.Int64
	outboxPeak   atomic.Int64
	slowTotal    atomic.Uint64
	refusedTotal atomic.Uint64
}

// New makes the registry, with Go's and the process's own metrics.
func New() *Metrics { return newMetrics(nil) }

func newMetrics(labels prometheus.Labels) *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry()}
	m.reg = prometheus.WrapRegistererWith(labels, m.registry)
	m.sessions = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "sessions",
		Help: "Live sessions open now, by transport."}, []string{"transport"})
	m.frames = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "frames_total",
		Help: "Frames received, by transport and outcome (answered, dropped, skipped, refused); refused ones by error code."},
		[]string{"transport", "outcome", "code"})
	m.stages = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "stage_seconds",
		Help:    "Time of each stage of answered frames: queue (waiting for a worker), decode, detect, landmarks, effects, encode, total.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 13)}, // 0.5 ms to 2 s
		[]string{"stage"})
	m.outboxBytes = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "outbox_bytes",
		Help: "Bytes held in clients' outboxes, waiting for their connections."})
	m.closedSlow = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "connections_closed_slow_total",
		Help: "Clients disconnected because they did not read their messages."}, []string{"transport"})
	m.refused = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "handshakes_refused_total",
		Help: "New sessions and requests refused before anything was allocated, by code."}, []string{"code"})
	m.reg.MustRegister(m.sessions, m.frames, m.stages, m.outboxBytes, m.closedSlow, m.refused,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for i, name := range stageNames {
		m.stageObs[i] = m.stages.WithLabelValues(name)
	}
	for _, code := range []string{client.CodeTooManySessions, client.CodeTooManyRequests, client.CodeUnauthorized,
		client.CodeForbiddenOrigin, client.CodeUnknownHost} {
		m.refused.WithLabelValues(code) // listed at 0 from the start
	}
	return m
}

// Register adds collectors, such as GaugeFuncs over other packages'
// counters.
func (m *Metrics) Register(cs ...prometheus.Collector) { m.reg.MustRegister(cs...) }

// Handler serves the registry in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Opened implements client.Observer.
func (m *Metrics) Opened(transport string) { m.sessions.WithLabelValues(transport).Inc() }

// Closed implements client.Observer.
func (m *Metrics) Closed(transport string, slow bool) {
	m.sessions.WithLabelValues(transport).Dec()
	if slow {
		m.closedSlow.WithLabelValues(transport).Inc()
		m.slowTotal.Add(1)
	}
}

// Frame implements client.Observer.
func (m *Metrics) Frame(transport, outcome, code string, t *pipeline.Timings) {
	m.frames.WithLabelValues(transport, outcome, code).Inc()
	if t == nil {
		return
	}
	for i, d := range [len(stageNames)]time.Duration{t.Queue, t.Decode, t.Detect, t.Landmarks, t.Effects, t.Encode, t.Total()} {
		m.stageObs[i].Observe(d.Seconds())
	}
}

// stageNames label tryon_stage_seconds, in the order Frame observes them.
var stageNames = [...]string{"queue", "decode", "detect", "landmarks", "effects", "encode", "total"}

// OutboxBytes implements client.Observer.
func (m *Metrics) OutboxBytes(delta int) {
	m.outboxBytes.Add(float64(delta))
	now := m.outboxNow.Add(int64(delta))
	for {
		peak := m.outboxPeak.Load()
		if now <= peak || m.outboxPeak.CompareAndSwap(peak, now) {
			return
		}
	}
}

// HandshakeRefused counts a refused session or request by its code.
func (m *Metrics) HandshakeRefused(code string) {
	m.refused.WithLabelValues(code).Inc()
	m.refusedTotal.Add(1)
}

// Summary is what /api/v1/stats shows of these metrics.
type Summary struct {
	OutboxBytes       int64  `json:"outbox_bytes"`       // held in every outbox now
	OutboxPeakBytes   int64  `json:"outbox_peak_bytes"`  // the most ever held at once
	ClosedSlow        uint64 `json:"closed_slow"`        // clients disconnected for not reading
	HandshakesRefused uint64 `json:"handshakes_refused"` // sessions and requests refused by the gate and the guard
}

// Summary returns the summary.
func (m *Metrics) Summary() Summary {
	return Summary{OutboxBytes: m.outboxNow.Load(), OutboxPeakBytes: m.outboxPeak.Load(),
		ClosedSlow: m.slowTotal.Load(), HandshakesRefused: m.refusedTotal.Load()}
}

var _ client.Observer = (*Metrics)(nil)
