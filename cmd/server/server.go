package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/livetryon/server/pkg/jobs"
	"github.com/livetryon/server/pkg/transport/webrtc"
	pionwebrtc "github.com/pion/webrtc/v4"

	"github.com/mdp/qrterminal/v3"
	"github.com/rs/zerolog"
	"rsc.io/qr"

	"github.com/livetryon/server/assets"
	"github.com/livetryon/server/examples"
	"github.com/livetryon/server/pkg/admit"
	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/metrics"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/publish"
	"github.com/livetryon/server/pkg/transport/httpapi"
	"github.com/livetryon/server/pkg/transport/httpframe"
	"github.com/livetryon/server/pkg/transport/socketio"
	"github.com/livetryon/server/pkg/transport/videoapi"
	"github.com/livetryon/server/pkg/transport/websocket"
	"github.com/livetryon/server/pkg/watch"
)

// Server is the running service: the pipeline, the transports over it and
// the HTTP routes in front.
type Server struct {
	cfg       Config
	log       zerolog.Logger
	engine    *pipeline.Engine
	watch     *watch.Hub
	socketIO  *socketio.Server
	websocket *websocket.Server
	hub       *client.Hub // where live sessions open
	leaveOnce sync.Once
	frames    *httpframe.Server
	webrtc    *webrtc.Server
	api       *httpapi.Server
	jobs      videoJobs
	videos    *videoapi.Server
	access    *publish.Access
	gate      *admit.Gate
	metrics   *metrics.Metrics
	tls       *tls.Config // nil: plain http
	// selfSigned is the certificate made by --tls-self-signed, for tests.
	selfSigned   *x509.Certificate
	handler      http.Handler
	clusterState // the node's membership of a cluster (cluster.go)
}

// defaultEffects are what a client gets until it says otherwise.
func defaultEffects() []effects.Effect { return []effects.Effect{effects.DefaultLipstick} }

// NewServer loads the model and starts the workers. If a step fails,
// what the earlier ones opened is closed before it returns.
func NewServer(cfg Config) (_ *Server, err error) {
	cfg.ClusterConfig = cfg.ClusterConfig.withDefaults(cfg.Addr)
	log := cfg.logger().With().Str("node", cfg.NodeID).Logger()
	cfg.Pipeline.Logger = log
	engine, err := pipeline.New(cfg.Pipeline)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, engine: engine, watch: watch.NewHub(cfg.Watch, log), metrics: newMetrics(cfg.ClusterConfig)}
	if err := s.openCluster(); err != nil {
		engine.Close(context.Background())
		return nil, err
	}
	defer func() {
		if err != nil {
			s.Close(context.Background())
		}
	}()
	s.loadGlasses()
	s.access = &publish.Access{Key: cfg.AccessKey, TrustedProxies: cfg.TrustedProxies, Origins: cfg.CORSOrigins, Hosts: cfg.AllowedHosts,
		Refused: s.metrics.HandshakeRefused}
	s.gate = admit.New(cfg.Sessions, s.clientAddr, isLocal)
	clients := client.Common{
		Effects:      defaultEffects,
		OpenStream:   s.watch.OpenStream,
		ResumeStream: s.watch.ResumeStream,
		Outbox:       cfg.Outbox,
		Observer:     s.metrics,
		Admit:        s.admit,
		ClientAddr:   s.clientAddrString,
		Logger:       log,
		Node:         cfg.NodeID,
	}
	s.hub = client.NewHub(engine, clients)
	s.socketIO = socketio.New(s.hub, socketio.Options{CORS: true, Allow: s.access.SocketIOAllowed, Adapter: s.socketIOAdapter()})
	s.websocket = websocket.New(s.hub, websocket.Options{Allow: s.access.RequestAllowed, CheckOrigin: s.access.OriginAllowed})
	s.frames = httpframe.New(s.hub, httpframe.Options{Idle: cfg.HTTPSessionIdle, MaxSessions: cfg.HTTPMaxSessions})
	ice, err := iceServers(cfg.ICEServers)
	if err != nil {
		return nil, err
	}
	portMin, portMax, _ := portRange(cfg.WebRTCPorts) // checked with the flags
	if s.webrtc, err = webrtc.New(s.hub, webrtc.Options{ICEServers: ice, UDPPort: cfg.WebRTCUDPPort, PortMin: portMin, PortMax: portMax}); err != nil {
		return nil, err
	}
	s.registerMetrics()
	s.api = httpapi.New(engine, httpapi.Options{Effects: defaultEffects, Timeout: cfg.PhotoTimeout, Logger: log})
	var videoBackend videoapi.Jobs
	if s.jobs, videoBackend, err = s.openVideoJobs(cfg, engine); err != nil {
		return nil, err
	}
	s.videos = videoapi.New(videoBackend, func() jobs.Preview { return s.watch.Open() }, videoapi.Options{MaxUploadBytes: cfg.MaxUploadBytes, Effects: defaultEffects, AddrOf: s.clientAddr,
		MaxUploads: cfg.VideoUploads, MaxUploadsPerAddress: cfg.VideoUploadsPerIP, MaxEventsPerJob: cfg.VideoEventsPerJob, Logger: log})
	if s.tls, err = s.tlsConfig(); err != nil {
		return nil, err
	}
	s.handler = limitRequests(s.clusterRoutes(s.routes()), cfg.BodyTimeout)
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
	// Browsers ask for /favicon.ico whatever the page says; without it
	// every page logs a 404 in the console.
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=86400")
		http.ServeFileFS(w, r, assets.Static(), "favicon.ico")
	})
	mux.Handle("/socket.io/", s.socketIO.Handler())
	mux.Handle("/ws", s.websocket.Handler())
	mux.Handle("/api/v1/frames", s.frames.Handler())
	mux.Handle("/api/v1/webrtc/", s.webrtc.Handler())
	mux.Handle("/api/v1/videos", s.videos.Handler())
	mux.Handle("/api/v1/videos/", s.videos.Handler())
	mux.HandleFunc("GET /api/v1/stats", s.serveStats)
	mux.HandleFunc("GET /api/v1/glasses", serveGlasses)
	mux.HandleFunc("GET /api/v1/glasses/{name}/thumbnail.png", serveGlassesThumbnail)
	mux.Handle("GET /metrics", s.metrics.Handler())
	mux.Handle("/api/v1/", s.api.Handler()) // photos, and JSON 404s
	mux.Handle("/watch/", s.watch.Handler())
	mux.HandleFunc("GET /qr.png", serveQR)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n")) // the process serves HTTP
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		// The model is loaded and every worker runs and is not stuck.
		if err := s.engine.Ready(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	return mux
}

// serveQR draws ?text= as a QR code, for the page's watch link: the page
// needs no QR library, and nothing is fetched from elsewhere.
func serveQR(w http.ResponseWriter, r *http.Request) {
	text := r.URL.Query().Get("text")
	if text == "" || len(text) > 1024 {
		client.WriteHTTPError(w, client.CodeBadMessage, "want ?text= of 1 to 1024 bytes")
		return
	}
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		client.WriteHTTPError(w, client.CodeBadMessage, err.Error())
		return
	}
	code.Scale = 4
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Write(code.PNG())
}

// Stats are the server's counters, for operators: GET /api/v1/stats.
type Stats struct {
	pipeline.Stats
	HTTPSessions   int             `json:"http_sessions"`   // of Sessions, those of HTTP-per-frame clients
	WebRTCSessions int             `json:"webrtc_sessions"` // of Sessions, those of WebRTC clients
	WebRTCDecoders int             `json:"webrtc_decoders"` // camera tracks being decoded: one per WebRTC session at most
	Watch          watch.Stats     `json:"watch"`
	Admission      admit.Stats     `json:"admission"` // sessions of every transport, and those refused
	Clients        metrics.Summary `json:"clients"`   // outboxes, slow clients, refusals
	Videos         jobs.Stats      `json:"videos"`    // uploaded-video jobs
}

func (s *Server) serveStats(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(Stats{Stats: s.engine.Stats(), HTTPSessions: s.frames.Sessions(), WebRTCSessions: s.webrtc.Sessions(), WebRTCDecoders: s.webrtc.Decoders(), Watch: s.watch.Stats(),
		Admission: s.gate.Stats(), Clients: s.metrics.Summary(), Videos: s.jobs.Stats()})
}

// Serve listens on cfg.Addr until ctx is done, then shuts down in order:
// stop accepting, disconnect clients, finish frames in flight.
func (s *Server) Serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		s.Close(context.Background())
		return fmt.Errorf("listen: %w", err)
	}
	return s.ServeListener(ctx, ln)
}

// ServeListener is Serve on a listener the caller opened.
func (s *Server) ServeListener(ctx context.Context, ln net.Listener) error {
	scheme := "http"
	if s.tls != nil {
		ln = tls.NewListener(ln, s.tls)
		scheme = "https"
	}
	hs := newHTTPServer(s.access.Guard(s.handler, true))
	s.log.Info().Str("addr", ln.Addr().String()).Str("url", pageURL(scheme, ln.Addr(), "")).
		Int("workers", s.engine.Config().Workers).Bool("access_key", s.access.Key != "").Msg("serving")
	if s.access.Key != "" {
		s.log.Info().Str("url", pageURL(scheme, ln.Addr(), s.access.Key)).Msg("clients not on this machine need the access key: share this link")
	}
	errc := make(chan error, 2)
	go func() { errc <- hs.Serve(ln) }()
	servers := []*http.Server{hs}
	if s.cfg.Ngrok {
		public := s.publicServer()
		servers = append(servers, public)
		go s.startNgrok(ctx, public)
	}
	if s.cfg.PprofAddr != "" {
		// A separate listener, so the profiler is never exposed with the page.
		pprofMux := http.NewServeMux()
		pprofMux.HandleFunc("/debug/pprof/", pprof.Index)
		pprofMux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		pprofMux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		pprofMux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		// A CPU profile streams for its ?seconds= (30 by default) before it
		// writes: the write timeout leaves room for that.
		ps := &http.Server{Addr: s.cfg.PprofAddr, Handler: pprofMux, ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout: time.Minute, WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute}
		go func() {
			if err := ps.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error().Err(err).Msg("pprof")
			}
		}()
		defer ps.Close()
	}
	select {
	case err := <-errc:
		s.shutdown(servers)
		s.leaveCluster()
		return err
	case <-ctx.Done():
	}
	s.drain()
	s.shutdown(servers)
	s.leaveCluster()
	return nil
}

// shutdown stops in order, within --shutdown-timeout whatever is in
// flight: the listeners stop accepting; live clients are told why and
// disconnected; HTTP requests waiting for a frame or a photo are refused
// with shutting_down; frames on the workers finish. Whatever is left at
// the deadline is abandoned (the process is exiting).
func (s *Server) shutdown(servers []*http.Server) {
	s.log.Info().Dur("timeout", s.cfg.ShutdownTimeout).Msg("shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for _, hs := range servers {
			wg.Add(1)
			go func() { defer wg.Done(); hs.Shutdown(ctx) }() // closes the listeners at once
		}
		if err := s.Close(ctx); err != nil {
			s.log.Warn().Err(err).Msg("shutting down")
		}
		wg.Wait()
	}()
	select {
	case <-done:
		s.log.Info().Msg("stopped")
	case <-ctx.Done():
		for _, hs := range servers {
			hs.Close()
		}
		s.log.Warn().Dur("timeout", s.cfg.ShutdownTimeout).Msg("stopped with work still in flight: the shutdown timeout passed")
	}
}

// closeTransports disconnects every client and ends every watch stream,
// once (a drain closes them before the shutdown does), each transport
// waiting until ctx is done for what it started; hijacked connections
// (WebSocket) and streaming responses (MJPEG) are not ended by
// http.Server.Shutdown.
func (s *Server) closeTransports(ctx context.Context) error {
	var errs []error
	s.closeOnce.Do(func() {
		for _, t := range []interface{ Close(context.Context) error }{s.socketIO, s.websocket, s.frames} {
			if err := t.Close(ctx); err != nil {
				errs = append(errs, err)
			}
		}
		if s.webrtc != nil { // nil when NewServer gave up before it
			if err := s.webrtc.Close(ctx); err != nil {
				errs = append(errs, err)
			}
		}
		s.watch.Close()
	})
	return errors.Join(errs...)
}

// Close stops what NewServer started, in order, each step waiting until
// ctx is done for the goroutines it started: the transports (above), the
// hub (what is left of the sessions, and their outbox writers), the video
// jobs (before the engine: a job waits for its frames), the workers, and
// the cluster. It is safe on a Server NewServer gave up on part-way, and
// takes every step whatever the earlier ones answered.
func (s *Server) Close(ctx context.Context) error {
	errs := []error{s.closeTransports(ctx)}
	if s.hub != nil {
		errs = append(errs, s.hub.Close(ctx))
	}
	if s.jobs != nil {
		errs = append(errs, s.jobs.Close(ctx))
	}
	errs = append(errs, s.engine.Close(ctx))
	s.leaveCluster()
	return errors.Join(errs...)
}

// leaveCluster leaves the cluster once: Close and Serve's end both do.
func (s *Server) leaveCluster() { s.leaveOnce.Do(s.closeCluster) }

// publicServer is the server for a listener whose connections come from
// the internet, such as the ngrok tunnel's: the access key is required
// from everyone, loopback addresses included.
func (s *Server) publicServer() *http.Server {
	return newHTTPServer(s.access.Guard(s.handler, false))
}

// startNgrok opens the public link without holding up local serving; a
// failure is one log line and local serving goes on.
func (s *Server) startNgrok(ctx context.Context, public *http.Server) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil)) // ngrok-go logs every retry; we log the outcome
	if s.log.GetLevel() <= zerolog.DebugLevel {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	tunnel, err := publish.StartNgrok(ctx, publish.NgrokConfig{
		Authtoken: s.cfg.NgrokAuthtoken, URL: s.cfg.NgrokURL, ConnectURL: s.cfg.NgrokConnectURL, Timeout: s.cfg.NgrokTimeout,
	}, logger)
	if err != nil {
		s.log.Error().Err(err).Msg("ngrok: no public link; serving locally only")
		return
	}
	s.access.SetPublicHost(tunnel.URL)
	link := tunnel.URL + "/"
	if s.access.Key != "" {
		link += "?key=" + s.access.Key
	}
	s.log.Info().Str("url", link).Msg("ngrok: public link ready")
	fmt.Fprintf(os.Stdout, "\nOpen this link on your phone:\n\n  %s\n\n", link)
	qrterminal.GenerateHalfBlock(link, qrterminal.L, os.Stdout)
	if err := public.Serve(tunnel); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Error().Err(err).Msg("ngrok: the public link stopped")
	}
}

// tlsConfig is the https set-up from the flags, or nil for plain http.
func (s *Server) tlsConfig() (*tls.Config, error) {
	switch {
	case s.cfg.TLSSelfSigned:
		cert, leaf, err := publish.SelfSignedCert()
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(leaf.Raw)
		s.selfSigned = leaf
		s.log.Info().Str("sha256", hex.EncodeToString(sum[:])).Strs("names", leaf.DNSNames).
			Msg("https with a self-signed certificate: browsers will ask once to accept it")
		return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
	case s.cfg.TLSCert != "":
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
	}
	return nil, nil
}

func pageURL(scheme string, a net.Addr, key string) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() || ip.IsLoopback() {
		host = "localhost"
	}
	u := scheme + "://" + net.JoinHostPort(host, port) + "/"
	if key != "" {
		u += "?key=" + key
	}
	return u
}

// iceServers parses --ice-server URLs; a TURN server's credentials come in
// its URL, turn:USER:SECRET@host:port, and are handed to pion apart.
func iceServers(urls []string) ([]pionwebrtc.ICEServer, error) {
	var out []pionwebrtc.ICEServer
	for _, u := range urls {
		scheme, rest, ok := strings.Cut(u, ":")
		if !ok || (scheme != "stun" && scheme != "stuns" && scheme != "turn" && scheme != "turns") || rest == "" {
			return nil, fmt.Errorf("--ice-server %q: want stun:host:port or turn:USER:SECRET@host:port", u)
		}
		server := pionwebrtc.ICEServer{URLs: []string{u}}
		if creds, host, ok := strings.Cut(rest, "@"); ok {
			user, secret, ok := strings.Cut(creds, ":")
			if !ok || user == "" || host == "" {
				return nil, fmt.Errorf("--ice-server %q: credentials are USER:SECRET@", u)
			}
			server = pionwebrtc.ICEServer{URLs: []string{scheme + ":" + host}, Username: user, Credential: secret}
		}
		out = append(out, server)
	}
	return out, nil
}
