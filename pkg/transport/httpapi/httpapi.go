// Package httpapi serves the try-on pipeline for single photos over HTTP:
//
//	POST /api/v1/landmarks   JPEG in, faces and landmarks out as JSON
//	POST /api/v1/tryon       JPEG in, JPEG with the effects out
//	GET  /api/v1/looks       the built-in looks and their effects
//
// Photos get full-quality detection: full resolution, small photos
// upsampled, no tracking. Bad input gets a 4xx with a JSON error. See
// docs/protocol.md.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/frame"
	"github.com/livetryon/server/pkg/landmarks"
	"github.com/livetryon/server/pkg/pipeline"
)

// Server is the HTTP adapter for photos.
type Server struct {
	engine  *pipeline.Engine
	limits  frame.Limits
	log     zerolog.Logger
	effects func() []effects.Effect // for a tryon request without ?effects
	timeout time.Duration
}

// Options set up the adapter. A zero field takes DefaultOptions' value.
type Options struct {
	// Effects gives the effects of a tryon request that names none.
	Effects func() []effects.Effect
	// Timeout bounds a photo's wait for a worker and its processing; past
	// it the request is answered 503 timeout.
	Timeout time.Duration
	Logger  zerolog.Logger
}

// DefaultOptions are the adapter's defaults.
func DefaultOptions() Options { return Options{Timeout: 30 * time.Second} }

// New makes the adapter.
func New(engine *pipeline.Engine, opts Options) *Server {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultOptions().Timeout
	}
	return &Server{engine: engine, limits: engine.Config().Limits, log: opts.Logger, effects: opts.Effects, timeout: opts.Timeout}
}

// Handler serves the photo routes, /api/v1/landmarks and /api/v1/tryon,
// and a JSON 404 for any other path under /api/v1/.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/landmarks", s.landmarks)
	mux.HandleFunc("/api/v1/tryon", s.tryon)
	mux.HandleFunc("GET /api/v1/looks", serveLooks)
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		client.WriteHTTPError(w, client.CodeNotFound, "no such endpoint; see docs/protocol.md")
	})
	return mux
}

type landmarksReply struct {
	Width  int              `json:"width"`
	Height int              `json:"height"`
	Faces  []landmarks.Face `json:"faces"`
}

func (s *Server) landmarks(w http.ResponseWriter, r *http.Request) {
	jpg, ok := s.readJPEG(w, r)
	if !ok {
		return
	}
	res, ok := s.process(w, r, jpg, pipeline.PhotoOptions{Output: pipeline.OutputLandmarks})
	if !ok {
		return
	}
	faces := res.Faces
	if faces == nil {
		faces = []landmarks.Face{}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(landmarksReply{Width: res.Width, Height: res.Height, Faces: faces})
}

func (s *Server) tryon(w http.ResponseWriter, r *http.Request) {
	fx := s.effects()
	if q, look := r.URL.Query().Get("effects"), r.URL.Query().Get("look"); q != "" || look != "" {
		var err error
		if fx, err = client.BuildEffectsParam(look, q); err != nil {
			client.WriteHTTPError(w, client.CodeBadEffects, err.Error())
			return
		}
	}
	jpg, ok := s.readJPEG(w, r)
	if !ok {
		return
	}
	res, ok := s.process(w, r, jpg, pipeline.PhotoOptions{Effects: fx})
	if !ok {
		return
	}
	defer res.Release()
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("X-Faces", fmt.Sprint(len(res.Faces)))
	w.Write(res.JPEG)
}

func (s *Server) readJPEG(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	return client.ReadJPEG(w, r, s.limits.MaxBytes)
}

// process runs one photo through the pipeline.
func (s *Server) process(w http.ResponseWriter, r *http.Request, jpg []byte, opts pipeline.PhotoOptions) (pipeline.Result, bool) {
	ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
	defer cancel()
	res, err := s.engine.Process(ctx, pipeline.Input{JPEG: jpg}, opts)
	switch {
	case errors.Is(err, pipeline.ErrClosed):
		client.WriteHTTPError(w, client.CodeShuttingDown, "the server is stopping")
		return res, false
	case errors.Is(err, pipeline.ErrBusy):
		// Photos yield to live clients; a full queue says so at once rather
		// than hold the request.
		client.WriteHTTPRetry(w, client.CodeBusy, fmt.Sprintf("%d photos are waiting, the server's limit (--photo-queue); try again shortly", s.engine.Config().PhotoQueue), 1)
		return res, false
	case err != nil:
		client.WriteHTTPError(w, client.CodeTimeout, "the server is too busy to process the photo in time")
		return res, false
	case res.Err != nil:
		client.WriteHTTPError(w, res.Err.Code, res.Err.Message)
		return res, false
	}
	return res, true
}
