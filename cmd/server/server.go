package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetryon/server/assets"
	"github.com/livetryon/server/examples"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/transport/httpapi"
	"github.com/livetryon/server/pkg/transport/socketio"
)

// Server is the running service: the pipeline and the HTTP routes in front.
type Server struct {
	cfg      Config
	log      zerolog.Logger
	engine   *pipeline.Engine
	socketIO *socketio.Server
	api      *httpapi.Server
	handler  http.Handler
}

// defaultEffects are what a client gets until it says otherwise.
func defaultEffects() []effects.Effect { return []effects.Effect{effects.DefaultLipstick} }

// NewServer loads the model and starts the workers.
func NewServer(cfg Config) (*Server, error) {
	log := cfg.logger()
	cfg.Pipeline.Logger = log
	engine, err := pipeline.New(cfg.Pipeline)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, engine: engine}
	s.socketIO = socketio.New(engine, socketio.Options{
		CORSOrigin: cfg.CORSOrigin,
		Effects:    defaultEffects,
		Logger:     log,
	})
	s.api = httpapi.New(engine, defaultEffects, log)
	s.handler = s.routes()
	return s, nil
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	page, err := fs.ReadFile(assets.Templates(), "index.html")
	if err != nil {
		panic(err) // embedded at build time
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(page)
	})
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(assets.Static())))
	mux.Handle("GET /examples/", http.StripPrefix("/examples/", http.FileServerFS(examples.Files)))
	mux.Handle("/socket.io/", s.socketIO.Handler())
	mux.Handle("/api/v1/", s.api.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	return mux
}

// Handler is every route of the server.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve listens on cfg.Addr until ctx is done, then shuts down in order:
// stop accepting, disconnect clients, finish frames in flight.
func (s *Server) Serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		s.Close()
		return fmt.Errorf("listen: %w", err)
	}
	return s.ServeListener(ctx, ln)
}

// ServeListener is Serve on a listener the caller opened.
func (s *Server) ServeListener(ctx context.Context, ln net.Listener) error {
	defer s.Close()
	hs := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.log.Info().Str("addr", ln.Addr().String()).Str("url", pageURL(ln.Addr())).
		Int("workers", s.engine.Config().Workers).Msg("serving")
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	if s.cfg.PprofAddr != "" {
		// A separate listener, so the profiler is never exposed with the page.
		pprofMux := http.NewServeMux()
		pprofMux.HandleFunc("/debug/pprof/", pprof.Index)
		pprofMux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		pprofMux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		pprofMux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		ps := &http.Server{Addr: s.cfg.PprofAddr, Handler: pprofMux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := ps.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error().Err(err).Msg("pprof")
			}
		}()
		defer ps.Close()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info().Msg("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.socketIO.Close()
	if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// Close stops the transports and the workers.
func (s *Server) Close() {
	s.socketIO.Close()
	s.engine.Close()
}

func pageURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() || ip.IsLoopback() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}
