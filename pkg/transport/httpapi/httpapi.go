// Package httpapi serves the try-on pipeline for single photos over HTTP:
//
//	POST /api/v1/landmarks   JPEG in, faces and landmarks out as JSON
//	POST /api/v1/tryon       JPEG in, JPEG with the effects out
//	GET  /api/v1/stats       the server's counters: sessions, frames answered, dropped, refused
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
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/frame"
	"github.com/livetryon/server/pkg/landmarks"
	"github.com/livetryon/server/pkg/pipeline"
)

// Server is the HTTP adapter.
type Server struct {
	engine  *pipeline.Engine
	limits  frame.Limits
	log     zerolog.Logger
	effects func() []effects.Effect // for a tryon request without ?effects
	count   atomic.Uint64
	timeout time.Duration
}

// New makes the adapter. defaults gives the effects of a tryon request that
// names none.
func New(engine *pipeline.Engine, defaults func() []effects.Effect, log zerolog.Logger) *Server {
	return &Server{engine: engine, limits: engine.Config().Limits, log: log, effects: defaults, timeout: 30 * time.Second}
}

// Handler serves the routes under /api/v1/.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/landmarks", s.landmarks)
	mux.HandleFunc("/api/v1/tryon", s.tryon)
	mux.HandleFunc("GET /api/v1/stats", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.engine.Stats())
	})
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint; see docs/protocol.md")
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
	res, ok := s.process(w, r, pipeline.Input{JPEG: jpg, Still: true, NoImage: true}, nil)
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
	if q := r.URL.Query().Get("effects"); q != "" {
		specs, err := ParseEffectsParam(q)
		if err == nil {
			fx, err = effects.Build("effects", specs)
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_effects", err.Error())
			return
		}
	}
	jpg, ok := s.readJPEG(w, r)
	if !ok {
		return
	}
	res, ok := s.process(w, r, pipeline.Input{JPEG: jpg, Still: true}, fx)
	if !ok {
		return
	}
	defer res.Release()
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("X-Faces", fmt.Sprint(len(res.Faces)))
	w.Write(res.JPEG)
}

// ParseEffectsParam reads ?effects=: either a JSON list of specs, as in the
// config event, or a comma-separated shorthand of name[:variant], where the
// variant is a glasses style or a lipstick colour: lipstick:#b0123a,glasses:aviator.
func ParseEffectsParam(q string) ([]effects.Spec, error) {
	if strings.HasPrefix(strings.TrimSpace(q), "[") {
		return effects.DecodeSpecs("effects", []byte(q))
	}
	var specs []effects.Spec
	for _, part := range strings.Split(q, ",") {
		name, variant, _ := strings.Cut(strings.TrimSpace(part), ":")
		spec := effects.Spec{Name: name}
		switch name {
		case "glasses":
			spec.Style = variant
		case "lipstick":
			spec.Color = variant
		default:
			if variant != "" {
				return nil, &effects.FieldError{Field: "effects", Message: fmt.Sprintf("%s takes no variant", name)}
			}
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

// readJPEG checks the method, the type and the size before reading the body.
func (s *Server) readJPEG(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use POST with a JPEG body")
		return nil, false
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "image/jpeg") {
		writeError(w, http.StatusUnsupportedMediaType, frame.CodeNotJPEG, fmt.Sprintf("Content-Type must be image/jpeg, got %q", ct))
		return nil, false
	}
	if r.ContentLength > int64(s.limits.MaxBytes) {
		writeError(w, http.StatusRequestEntityTooLarge, frame.CodeTooLarge, fmt.Sprintf("body is %d bytes; the limit is %d", r.ContentLength, s.limits.MaxBytes))
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(s.limits.MaxBytes)))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, frame.CodeTooLarge, fmt.Sprintf("body is over the %d-byte limit", s.limits.MaxBytes))
		return nil, false
	case err != nil:
		writeError(w, http.StatusBadRequest, "bad_body", "cannot read the body: "+err.Error())
		return nil, false
	}
	return body, true
}

// process runs one photo through the pipeline in a session of its own.
func (s *Server) process(w http.ResponseWriter, r *http.Request, in pipeline.Input, fx []effects.Effect) (pipeline.Result, bool) {
	done := make(chan pipeline.Result, 1)
	sess := s.engine.NewSession(fmt.Sprintf("http-%d", s.count.Add(1)), func(res pipeline.Result) { done <- res }, fx...)
	defer sess.Close()
	sess.Submit(in)
	ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
	defer cancel()
	select {
	case res := <-done:
		if res.Err != nil {
			writeError(w, statusOf(res.Err.Code), res.Err.Code, res.Err.Message)
			return res, false
		}
		return res, true
	case <-ctx.Done():
		writeError(w, http.StatusServiceUnavailable, "timeout", "the server is too busy to process the photo in time")
		// A worker may still be on it: free its answer when it comes.
		go func() {
			select {
			case res := <-done:
				res.Release()
			case <-time.After(time.Minute):
			}
		}()
		return pipeline.Result{}, false
	}
}

func statusOf(code string) int {
	switch code {
	case frame.CodeTooLarge, frame.CodeTooManyPixels:
		return http.StatusRequestEntityTooLarge
	case frame.CodeInternal:
		return http.StatusInternalServerError
	default:
		return http.StatusBadRequest
	}
}

type errorReply struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	var e errorReply
	e.Error.Code, e.Error.Message = code, message
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(e)
}
