package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/effects"
)

// loadGlasses adds the frames of --glasses-dir to the built-in catalogue.
// A bad frame is logged, naming its file, and left out; the server starts
// without it.
func (s *Server) loadGlasses() {
	if s.cfg.GlassesDir == "" {
		go effects.LoadGlasses() // meanwhile: only glasses wait for it
		return
	}
	frames, errs := effects.AddGlassesDir(s.cfg.GlassesDir)
	for _, err := range errs {
		e := s.log.Warn().Err(err)
		var ge *effects.GlassesError
		if errors.As(err, &ge) {
			e = s.log.Warn().Str("file", ge.File).Str("reason", ge.Err.Error())
		}
		e.Msg("glasses frame refused")
	}
	names := make([]string, len(frames))
	for i, f := range frames {
		names[i] = f.Name
	}
	s.log.Info().Str("dir", s.cfg.GlassesDir).Strs("frames", names).Int("refused", len(errs)).Msg("glasses loaded")
}

// GlassesEntry is one frame of GET /api/v1/glasses.
type GlassesEntry struct {
	Name      string  `json:"name"` // the glasses effect's style
	Title     string  `json:"title"`
	WidthMM   float64 `json:"width_mm"`
	Thumbnail string  `json:"thumbnail"` // a PNG, 160 px wide
	Builtin   bool    `json:"builtin"`
}

// serveGlasses lists the catalogue: GET /api/v1/glasses.
func serveGlasses(w http.ResponseWriter, r *http.Request) {
	list := []GlassesEntry{}
	for _, f := range effects.GlassesFrames() {
		list = append(list, GlassesEntry{Name: f.Name, Title: f.Title, WidthMM: f.WidthMM, Builtin: f.Origin == "built-in",
			Thumbnail: "/api/v1/glasses/" + url.PathEscape(f.Name) + "/thumbnail.png"})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	json.NewEncoder(w).Encode(map[string]any{"glasses": list})
}

// serveGlassesThumbnail is GET /api/v1/glasses/{name}/thumbnail.png.
func serveGlassesThumbnail(w http.ResponseWriter, r *http.Request) {
	f, ok := effects.GlassesFrame(r.PathValue("name"))
	if !ok {
		client.WriteHTTPError(w, client.CodeNotFound, "no such glasses; GET /api/v1/glasses lists them")
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(f.Thumbnail())
}
