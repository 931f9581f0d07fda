package main

import (
	"net/http"
	"net/netip"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/publish"
)

// admit asks the session gate whether r may open a session, and counts a
// refusal.
func (s *Server) admit(r *http.Request) (leave func(), refused *client.Refusal) {
	leave, refused = s.gate.Admit(r)
	if refused != nil {
		s.metrics.HandshakeRefused(refused.Code)
		s.log.Debug().Str("remote", r.RemoteAddr).Str("path", r.URL.Path).Str("code", refused.Code).Msg(refused.Message)
	}
	return leave, refused
}

// clientAddr is the request's client address for the session gate: the
// one a trusted proxy forwards for, else the peer's.
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	addr, _ := s.access.ClientAddr(r)
	return addr
}

// clientAddrString is clientAddr for the connect line; empty when r's
// address cannot be read.
func (s *Server) clientAddrString(r *http.Request) string {
	if a := s.clientAddr(r); a.IsValid() {
		return a.String()
	}
	return ""
}

// isLocal reports whether the access guard found r to come from this
// machine (loopback, not forwarded, on the local listener).
func isLocal(r *http.Request) bool { return r.Header.Get(publish.TrustedHeader) == "1" }

// registerMetrics exposes the pipeline's, the watch hub's and the gate's
// own counters at /metrics, read when scraped.
func (s *Server) registerMetrics() {
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "tryon", Name: name, Help: help}, f)
	}
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "tryon", Name: name, Help: help}, f)
	}
	s.metrics.Register(
		counter("pipeline_frames_processed_total", "Frames and photos the workers answered.", func() float64 { return float64(s.engine.Stats().FramesProcessed) }),
		counter("pipeline_frames_refused_total", "Frames and photos the workers refused as bad input.", func() float64 { return float64(s.engine.Stats().FramesRefused) }),
		counter("pipeline_frames_dropped_total", "Frames a newer one replaced before a worker took them.", func() float64 { return float64(s.engine.Stats().FramesDropped) }),
		counter("pipeline_detections_total", "Face detections on live frames' answer path: no face tracked, or a scene change.", func() float64 { return float64(s.engine.Stats().Detections) }),
		counter("pipeline_background_detections_total", "Periodic whole-frame face detections beside the answer path, while faces are tracked.", func() float64 { return float64(s.engine.Stats().BackgroundDetections) }),
		counter("pipeline_face_rechecks_total", "Periodic face detections around the tracked faces only (the rest of the picture unchanged since the last whole-frame one).", func() float64 { return float64(s.engine.Stats().Rechecks) }),
		counter("pipeline_face_rechecks_skipped_total", "Rechecks due but not run: the tracked faces' surroundings were the picture the last detection saw.", func() float64 { return float64(s.engine.Stats().RechecksSkipped) }),
		counter("pipeline_region_searches_total", "Periodic face detections around the tracked faces and in the part of the frame that changed since the last search, instead of a whole-frame one.", func() float64 { return float64(s.engine.Stats().RegionSearches) }),
		counter("photos_total", "Photos answered by the photo API.", func() float64 { return float64(s.engine.Stats().Photos) }),
		counter("photos_busy_total", "Photo requests refused because the photo queue was full.", func() float64 { return float64(s.engine.Stats().PhotosBusy) }),
		gauge("workers", "Pipeline workers.", func() float64 { return float64(s.engine.Stats().Workers) }),
		gauge("admitted_sessions", "Sessions of every transport the session gate has admitted and not yet seen end.", func() float64 { return float64(s.gate.Stats().Open) }),
		gauge("watch_viewers", "MJPEG viewers now.", func() float64 { return float64(s.watch.Stats().Viewers) }),
		gauge("video_jobs_queued", "Uploaded videos waiting their turn.", func() float64 { return float64(s.jobs.Stats().Queued) }),
		gauge("video_jobs_processing", "Uploaded videos being processed.", func() float64 { return float64(s.jobs.Stats().Processing) }),
		counter("video_jobs_done_total", "Uploaded videos processed to the end.", func() float64 { return float64(s.jobs.Stats().Done) }),
		counter("video_jobs_failed_total", "Uploaded videos whose processing failed, restarts included.", func() float64 { return float64(s.jobs.Stats().Failed) }),
		counter("video_jobs_cancelled_total", "Uploaded videos cancelled by their owner.", func() float64 { return float64(s.jobs.Stats().Cancelled) }),
		counter("video_frames_total", "Frames written into uploaded videos' results.", func() float64 { return float64(s.jobs.Stats().Frames) }),
		counter("video_uploads_refused_total", "Video uploads answered with an error: too large, not a video, damaged, queue full, no disk.", func() float64 { return float64(s.videos.Refused()) }),
	)
}
