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
	"io"
	"mime"
	"net/http"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetryon/server/pkg/apierr"
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

// New makes the adapter. defaults gives the effects of a tryon request that
// names none.
func New(engine *pipeline.Engine, defaults func() []effects.Effect, log zerolog.Logger) *Server {
	return &Server{engine: engine, limits: engine.Config().Limits, log: log, effects: defaults, timeout: 30 * time.Second}
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

// ReadJPEG reads a request's JPEG body: it checks the method, the type and
// the declared size before reading, and reads no more than limit bytes. On
// failure it has answered with the JSON error.
func ReadJPEG(w http.ResponseWriter, r *http.Request, limit int) ([]byte, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		client.WriteHTTPError(w, client.CodeMethod, "use POST with a JPEG body")
		return nil, false
	}
	// Parsed strictly: image/jpeg, with parameters if any; not image/jpegXYZ.
	if ct := r.Header.Get("Content-Type"); !isJPEGType(ct) {
		apierr.WriteHTTP(w, apierr.WithStatus(http.StatusUnsupportedMediaType, frame.CodeNotJPEG, fmt.Sprintf("Content-Type must be image/jpeg, got %q", clip(ct))))
		return nil, false
	}
	if r.ContentLength > int64(limit) {
		client.WriteHTTPError(w, frame.CodeTooLarge, fmt.Sprintf("body is %d bytes; the limit is %d", r.ContentLength, limit))
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(limit)))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		client.WriteHTTPError(w, frame.CodeTooLarge, fmt.Sprintf("body is over the %d-byte limit", limit))
		return nil, false
	case errors.Is(err, os.ErrDeadlineExceeded):
		client.WriteHTTPError(w, client.CodeBadBody, "the body did not arrive in time (the server's --body-timeout)")
		return nil, false
	case err != nil:
		client.WriteHTTPError(w, client.CodeBadBody, "cannot read the body: "+err.Error())
		return nil, false
	}
	return body, true
}

func (s *Server) readJPEG(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	return ReadJPEG(w, r, s.limits.MaxBytes)
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

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func isJPEGType(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "image/jpeg" || mt == "image/jpg")
}
