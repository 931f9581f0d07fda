package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetryon/server/pkg/admit"
	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/frame"
	"github.com/livetryon/server/pkg/jobs"
	"github.com/livetryon/server/pkg/landmarks"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/publish"
	"github.com/livetryon/server/pkg/transport/httpapi"
	"github.com/livetryon/server/pkg/transport/httpframe"
	"github.com/livetryon/server/pkg/transport/videoapi"
	"github.com/livetryon/server/pkg/video"
	"github.com/livetryon/server/pkg/watch"
)

// Config is everything the command line sets.
type Config struct {
	Addr      string
	PprofAddr string

	Ngrok           bool
	NgrokURL        string
	NgrokTimeout    time.Duration
	NgrokConnectURL string
	NgrokAuthtoken  string // from NGROK_AUTHTOKEN
	Public          bool
	AccessKey       string // made up when protection is on and none is given
	TLSCert         string
	TLSKey          string
	TLSSelfSigned   bool

	LogOutput io.Writer // where logs go; os.Stderr unless a test says otherwise
	LogLevel  string
	LogFormat string
	Pipeline  pipeline.Config

	CORSOrigins    []string
	AllowedHosts   []string
	TrustedProxies []netip.Prefix
	BodyTimeout    time.Duration

	Watch           watch.Limits
	HTTPSessionIdle time.Duration
	HTTPMaxSessions int
	ICEServers      []string      // stun: and turn: URLs, a TURN one as turn:USER:SECRET@host:port
	WebRTCUDPPort   int           // one UDP port for every WebRTC session; 0: an ephemeral port each
	WebRTCPorts     string        // MIN-MAX: the range those ephemeral ports come from
	PhotoTimeout    time.Duration // a photo API request's wait and processing
	Sessions        admit.Limits
	Outbox          client.OutboxLimits
	ShutdownTimeout time.Duration

	GlassesDir string // the user's glasses frames, a folder each

	DataDir        string // uploaded videos and their results
	MaxUploadBytes int64
	VideoJobs      int // processed at once
	VideoQueue     int // waiting
	VideoRetention time.Duration
	VideoLimits    video.Limits
	VideoProbes    int // uploads checked at once
	// Uploads in progress, in all and per address; event listeners per job.
	VideoUploads      int
	VideoUploadsPerIP int
	VideoEventsPerJob int

	ClusterConfig               // --node-id, --redis: one node of several (cluster.go)
	VideoLease    time.Duration // with --redis: a video job's lease (videojobs.go)
}

func parseFlags(args []string) (Config, error) {
	def := pipeline.DefaultConfig()
	jobsDef, videosDef := jobs.DefaultConfig(), videoapi.DefaultOptions()
	framesDef, photosDef := httpframe.DefaultOptions(), httpapi.DefaultOptions()
	var c Config
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.StringVar(&c.Addr, "addr", ":9990", "address to listen on")
	fs.StringVar(&c.Pipeline.ModelPath, "model", landmarks.DefaultModelPath, "dlib 68-point shape predictor (Debian package libdlib-data)")
	fs.BoolVar(&c.Ngrok, "ngrok", false, "also serve on a public https link through ngrok (needs NGROK_AUTHTOKEN); turns on the access key unless --public")
	fs.StringVar(&c.NgrokURL, "ngrok-url", "", "a reserved ngrok domain, e.g. https://tryon.ngrok.app (default: a random one)")
	fs.DurationVar(&c.NgrokTimeout, "ngrok-timeout", publish.DefaultNgrokConfig().Timeout, "give up on the ngrok link after this long and keep serving locally")
	fs.StringVar(&c.NgrokConnectURL, "ngrok-connect-url", "", "the address the ngrok agent dials (default: ngrok's service), e.g. for an ngrok-compatible endpoint of your own")
	fs.BoolVar(&c.Public, "public", false, "with --ngrok: no access key; anyone with the link can use the camera page")
	fs.StringVar(&c.AccessKey, "access-key", "", "require this key (?key=...) from every client not on this machine (with --ngrok: a random one unless given)")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "serve https with this certificate (PEM), with --tls-key")
	fs.StringVar(&c.TLSKey, "tls-key", "", "the certificate's private key (PEM)")
	fs.BoolVar(&c.TLSSelfSigned, "tls-self-signed", false, "serve https with a certificate made in memory, so phones on the same network can use the camera")
	fs.StringVar(&c.PprofAddr, "pprof-addr", "", "serve Go's profiler (net/http/pprof) on this address, e.g. 127.0.0.1:6060; off when empty")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", "console", "console (for people) or json (for log collectors)")
	fs.Var((*listFlag)(&c.CORSOrigins), "cors-origin", "page origins besides this server's own and localhost's that may use it (Socket.IO, /ws, the API), e.g. https://app.example.com; a list, or * for any")
	fs.Var((*listFlag)(&c.AllowedHosts), "allowed-host", "host names the server answers to besides IP addresses, localhost and this machine's name (against DNS rebinding), e.g. tryon.example.com or *.example.com; a list, or * for any")
	fs.Var((*prefixListFlag)(&c.TrustedProxies), "trusted-proxy", "reverse proxies (CIDR or address, a list) whose X-Real-IP, X-Forwarded-For (right-most hop not a proxy) and Forwarded name the client for the per-address limits; a request with any of those headers is never local (docs/DEPLOY.md)")
	fs.DurationVar(&c.BodyTimeout, "body-timeout", 30*time.Second, "a request body (a frame, a photo) must arrive within this long")
	fs.IntVar(&c.Pipeline.Workers, "workers", def.Workers, "frames processed in parallel (default: the number of CPUs)")
	fs.Float64Var(&c.Pipeline.MinFace, "min-face", def.MinFace, "the smallest face to find, as a fraction of the frame's width; frames are scaled for detection to suit it, whatever their resolution")
	fs.IntVar(&c.Pipeline.DetectWidth, "detect-width", 0, "scale frames to this width for face detection instead of choosing it from --min-face (0); a width at or above the frame's detects at full resolution")
	fs.IntVar(&c.Pipeline.LandmarkCascades, "landmark-cascades", def.LandmarkCascades, "fit faces with only this many of the 68-point model's 15 regression cascades, faster but less steady when tracking; 0 uses all")
	fs.IntVar(&c.Pipeline.RedetectEvery, "redetect-every", def.RedetectEvery, "run the face detector on every n-th frame of a client and track faces by their landmarks in between; 1 detects on every frame")
	fs.DurationVar(&c.Pipeline.RedetectInterval, "redetect-interval", def.RedetectInterval, "and at least this long apart, by the frames' arrival, so a fast client does not pay for more detections than a 30 fps camera; 0 counts frames only")
	fs.BoolVar(&c.Pipeline.NoSmoothing, "no-smoothing", false, "turn off the temporal filter on landmarks (One Euro)")
	fs.IntVar(&c.Pipeline.JPEGQuality, "jpeg-quality", def.JPEGQuality, "JPEG quality of answered frames, 1..100")
	fs.IntVar(&c.Pipeline.Limits.MaxBytes, "max-frame-bytes", frame.DefaultLimits.MaxBytes, "largest JPEG a client may send, in bytes")
	fs.IntVar(&c.Pipeline.Limits.MaxPixels, "max-pixels", frame.DefaultLimits.MaxPixels, "largest frame a client may send, in pixels")
	fs.IntVar(&c.Pipeline.Limits.MaxSide, "max-side", frame.DefaultLimits.MaxSide, "largest frame width or height a client may send")
	fs.IntVar(&c.Watch.ViewersPerStream, "watch-viewers-per-session", watch.DefaultLimits.ViewersPerStream, "MJPEG viewers one live session may have at once")
	fs.IntVar(&c.Watch.Viewers, "watch-viewers", watch.DefaultLimits.Viewers, "MJPEG viewers the server serves at once, in all")
	fs.DurationVar(&c.Watch.Idle, "watch-idle", watch.DefaultLimits.Idle, "end an MJPEG viewer's stream after this long without a new frame")
	fs.DurationVar(&c.Watch.Grace, "watch-grace", watch.DefaultLimits.Grace, "how long a live session's watch link waits for its page to reconnect (a transport switch, a lost connection) before its viewers see it ended")
	fs.DurationVar(&c.HTTPSessionIdle, "http-session-idle", framesDef.Idle, "end an HTTP-per-frame session after this long without a request")
	fs.IntVar(&c.HTTPMaxSessions, "http-max-sessions", framesDef.MaxSessions, "HTTP-per-frame sessions held at once")
	fs.Var((*listFlag)(&c.ICEServers), "ice-server", "STUN or TURN servers for WebRTC, e.g. stun:stun.example.com:3478 or turn:USER:SECRET@turn.example.com:3478; a list, or repeat the flag")
	fs.StringVar(&c.WebRTCPorts, "webrtc-ports", "", "the UDP port range WebRTC sessions take their ports from, MIN-MAX (without --webrtc-udp-port); empty: any")
	fs.IntVar(&c.WebRTCUDPPort, "webrtc-udp-port", 0, "carry every WebRTC session's media on this one UDP port, so a firewall needs one rule; 0 gives each session an ephemeral port")
	fs.IntVar(&c.Sessions.MaxSessions, "max-sessions", admit.DefaultLimits.MaxSessions, "sessions open at once, of every transport (Socket.IO, WebSocket, HTTP per frame)")
	fs.IntVar(&c.Sessions.MaxPerAddress, "max-sessions-per-ip", admit.DefaultLimits.MaxPerAddress, "sessions one client address may hold at once (IPv6: per /64)")
	fs.Float64Var(&c.Sessions.Rate, "session-rate", admit.DefaultLimits.Rate, "new sessions (handshakes) one client address may open a second, sustained")
	fs.IntVar(&c.Sessions.Burst, "session-burst", admit.DefaultLimits.Burst, "new sessions one client address may open at once before --session-rate applies")
	fs.IntVar(&c.Outbox.MaxBytes, "outbox-limit", client.DefaultOutboxLimits.MaxBytes, "bytes the server holds for one client that has not read them; past it, messages are discarded")
	fs.DurationVar(&c.Outbox.Grace, "outbox-grace", client.DefaultOutboxLimits.Grace, "disconnect a client whose messages stay over --outbox-limit for this long")
	fs.IntVar(&c.Pipeline.PhotoQueue, "photo-queue", def.PhotoQueue, "photo API requests waiting for a worker; past it, 503 with Retry-After")
	fs.DurationVar(&c.PhotoTimeout, "photo-timeout", photosDef.Timeout, "a photo API request's wait for a worker and its processing; past it, 503 timeout")
	fs.StringVar(&c.GlassesDir, "glasses-dir", "", "add the glasses frames in this directory (a folder each: front.png and glasses.json, see docs/glasses.md) to the built-in catalogue, replacing those of the same name")
	fs.StringVar(&c.DataDir, "data-dir", "data", "directory for uploaded videos and their results (made if missing); a restart reports the jobs it interrupted as failed")
	fs.Int64Var(&c.MaxUploadBytes, "max-upload-bytes", videosDef.MaxUploadBytes, "largest video upload, in bytes; a larger one is answered 413 as soon as it passes this")
	fs.IntVar(&c.VideoJobs, "video-jobs", jobsDef.Concurrent, "uploaded videos processed at once (one already has every core live clients leave free)")
	fs.IntVar(&c.VideoQueue, "video-queue", jobsDef.MaxQueued, "uploaded videos waiting their turn; past it, 503 with Retry-After")
	fs.DurationVar(&c.VideoRetention, "video-retention", jobsDef.Retention, "remove a finished video job and its files after this long")
	fs.DurationVar(&c.VideoLimits.MaxDuration, "video-max-duration", video.DefaultLimits.MaxDuration, "longest video accepted, in play time")
	fs.IntVar(&c.VideoLimits.MaxSide, "video-max-side", video.DefaultLimits.MaxSide, "largest video width or height accepted, as displayed")
	fs.IntVar(&c.VideoLimits.MaxPixels, "video-max-pixels", video.DefaultLimits.MaxPixels, "largest video picture accepted, in pixels; no decoder allocates a bigger one, whatever the file's headers say")
	fs.Float64Var(&c.VideoLimits.MaxFPS, "video-max-fps", video.DefaultLimits.MaxFPS, "highest video frame rate accepted, declared or counted")
	fs.IntVar(&c.VideoLimits.MaxFrames, "video-max-frames", video.DefaultLimits.MaxFrames, "most frames a video may have, counted")
	fs.Int64Var(&c.VideoLimits.MaxMemory, "video-max-memory", video.DefaultLimits.MaxMemory, "address space each ffmpeg child may map, in bytes (RLIMIT_AS; probes get at most 1 GiB)")
	fs.IntVar(&c.VideoProbes, "video-max-probes", jobsDef.MaxProbes, "uploads checked (ffprobe and ffmpeg) at once; one more waits "+jobsDef.ProbeWait.String()+" for its turn, then gets 503 busy")
	fs.IntVar(&c.VideoUploads, "video-max-uploads", videosDef.MaxUploads, "video uploads in progress (being received or checked) at once, in all; past it, 503 busy before the body is read")
	fs.IntVar(&c.VideoUploadsPerIP, "video-max-uploads-per-ip", videosDef.MaxUploadsPerAddress, "video uploads in progress from one client address (IPv6: per /64); past it, 429 too_many_requests before the body is read")
	fs.IntVar(&c.VideoEventsPerJob, "video-events-per-job", videosDef.MaxEventsPerJob, "Server-Sent Events listeners one video job may have at once")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 5*time.Second, "on SIGTERM or Ctrl-C, exit after this long at most; a second signal exits at once")
	fs.DurationVar(&c.Pipeline.Delay, "debug-delay", 0, "add this delay to every frame, to try a slow server (testing only)")
	clusterFlags(fs, &c.ClusterConfig)
	videoJobFlags(fs, &c)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if err := flagsFromEnv(fs); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c.NgrokAuthtoken = os.Getenv("NGROK_AUTHTOKEN")
	c.ClusterConfig = c.ClusterConfig.withDefaults(c.Addr)
	if c.Ngrok && !c.Public && c.AccessKey == "" {
		c.AccessKey = publish.NewKey()
	}
	return c, c.Validate()
}

// Validate checks the values; its message names the bad flag.
func (c Config) Validate() error {
	if _, err := zerolog.ParseLevel(c.LogLevel); err != nil || c.LogLevel == "" {
		return fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.LogFormat != "console" && c.LogFormat != "json" {
		return fmt.Errorf("--log-format %q: want console or json", c.LogFormat)
	}
	if _, err := os.Stat(c.Pipeline.ModelPath); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("--model %s: file not found; install it with `apt-get install libdlib-data` (or `go tool task deps`), or pass the path of shape_predictor_68_face_landmarks.dat", c.Pipeline.ModelPath)
		}
		return fmt.Errorf("--model: %w", err)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if c.TLSSelfSigned && c.TLSCert != "" {
		return errors.New("--tls-self-signed and --tls-cert: choose one")
	}
	if c.PhotoTimeout <= 0 {
		return fmt.Errorf("--photo-timeout %v: want more than 0", c.PhotoTimeout)
	}
	if c.BodyTimeout <= 0 {
		return fmt.Errorf("--body-timeout %v: want more than 0", c.BodyTimeout)
	}
	if c.NgrokTimeout <= 0 {
		return fmt.Errorf("--ngrok-timeout %v: want more than 0", c.NgrokTimeout)
	}
	if c.Public && !c.Ngrok {
		return errors.New("--public only makes sense with --ngrok")
	}
	if c.AccessKey != "" && len(c.AccessKey) < 8 {
		return errors.New("--access-key: use at least 8 characters")
	}
	switch p := c.Pipeline; {
	case p.Workers < 1:
		return fmt.Errorf("--workers %d: want at least 1", p.Workers)
	case p.RedetectEvery < 1:
		return fmt.Errorf("--redetect-every %d: want 1 or more", p.RedetectEvery)
	case p.RedetectInterval < 0:
		return fmt.Errorf("--redetect-interval %v: want 0 or more", p.RedetectInterval)
	case p.DetectWidth < 0:
		return fmt.Errorf("--detect-width %d: want 0 or more", p.DetectWidth)
	case p.LandmarkCascades < 0:
		return fmt.Errorf("--landmark-cascades %d: want 0 (all) or more", p.LandmarkCascades)
	case !(p.MinFace >= 0.02 && p.MinFace <= 1):
		return fmt.Errorf("--min-face %v: want 0.02..1 (a fraction of the frame's width)", p.MinFace)
	case p.JPEGQuality < 1 || p.JPEGQuality > 100:
		return fmt.Errorf("--jpeg-quality %d: want 1..100", p.JPEGQuality)
	case p.Limits.MaxBytes < 1024:
		return fmt.Errorf("--max-frame-bytes %d: want at least 1024", p.Limits.MaxBytes)
	case p.Limits.MaxPixels < 64*64:
		return fmt.Errorf("--max-pixels %d: want at least 4096", p.Limits.MaxPixels)
	case p.Limits.MaxSide < 64:
		return fmt.Errorf("--max-side %d: want at least 64", p.Limits.MaxSide)
	case p.Delay < 0 || p.Delay > 10*time.Second:
		return fmt.Errorf("--debug-delay %v: want 0..10s", p.Delay)
	case c.Watch.ViewersPerStream < 1:
		return fmt.Errorf("--watch-viewers-per-session %d: want at least 1", c.Watch.ViewersPerStream)
	case c.Watch.Viewers < 1:
		return fmt.Errorf("--watch-viewers %d: want at least 1", c.Watch.Viewers)
	case c.Watch.Idle < time.Second:
		return fmt.Errorf("--watch-idle %v: want at least 1s", c.Watch.Idle)
	case c.Watch.Grace < 100*time.Millisecond || c.Watch.Grace > 10*time.Minute:
		return fmt.Errorf("--watch-grace %v: want 100ms to 10m", c.Watch.Grace)
	case c.Watch.Grace >= c.Watch.Idle:
		// A viewer's stream must outlast the grace time, so its viewers
		// see the ended frame rather than an idle cut.
		return fmt.Errorf("--watch-grace %v: want less than --watch-idle (%v)", c.Watch.Grace, c.Watch.Idle)
	case c.HTTPSessionIdle < time.Second:
		return fmt.Errorf("--http-session-idle %v: want at least 1s", c.HTTPSessionIdle)
	case c.WebRTCUDPPort < 0 || c.WebRTCUDPPort > 65535:
		return fmt.Errorf("--webrtc-udp-port %d: want 0 to 65535", c.WebRTCUDPPort)
	case c.DataDir == "":
		return errors.New("--data-dir: want a directory")
	case c.MaxUploadBytes < 1<<20:
		return fmt.Errorf("--max-upload-bytes %d: want at least 1 MiB", c.MaxUploadBytes)
	case c.VideoJobs < 1:
		return fmt.Errorf("--video-jobs %d: want at least 1", c.VideoJobs)
	case c.VideoQueue < 1:
		return fmt.Errorf("--video-queue %d: want at least 1", c.VideoQueue)
	case c.VideoRetention < time.Second:
		return fmt.Errorf("--video-retention %v: want at least 1s", c.VideoRetention)
	case c.VideoLimits.MaxDuration < time.Second || c.VideoLimits.MaxSide < 64 || c.VideoLimits.MaxPixels < 64*64:
		return errors.New("--video-max-duration, --video-max-side, --video-max-pixels: want at least 1s, 64 and 4096")
	case !(c.VideoLimits.MaxFPS >= 1):
		return fmt.Errorf("--video-max-fps %v: want at least 1", c.VideoLimits.MaxFPS)
	case c.VideoLimits.MaxFrames < 1:
		return fmt.Errorf("--video-max-frames %d: want at least 1", c.VideoLimits.MaxFrames)
	case c.VideoLimits.MaxMemory < 512<<20:
		return fmt.Errorf("--video-max-memory %d: want at least 536870912 (512 MiB): ffmpeg maps about 300 MiB before it reads a byte", c.VideoLimits.MaxMemory)
	case c.VideoProbes < 1:
		return fmt.Errorf("--video-max-probes %d: want at least 1", c.VideoProbes)
	case c.VideoUploads < 1:
		return fmt.Errorf("--video-max-uploads %d: want at least 1", c.VideoUploads)
	case c.VideoUploadsPerIP < 1:
		return fmt.Errorf("--video-max-uploads-per-ip %d: want at least 1", c.VideoUploadsPerIP)
	case c.VideoEventsPerJob < 1:
		return fmt.Errorf("--video-events-per-job %d: want at least 1", c.VideoEventsPerJob)
	case c.HTTPMaxSessions < 1:
		return fmt.Errorf("--http-max-sessions %d: want at least 1", c.HTTPMaxSessions)
	case c.Sessions.MaxSessions < 1:
		return fmt.Errorf("--max-sessions %d: want at least 1", c.Sessions.MaxSessions)
	case c.Sessions.MaxPerAddress < 1:
		return fmt.Errorf("--max-sessions-per-ip %d: want at least 1", c.Sessions.MaxPerAddress)
	case !(c.Sessions.Rate > 0):
		return fmt.Errorf("--session-rate %v: want more than 0", c.Sessions.Rate)
	case c.Sessions.Burst < 1:
		return fmt.Errorf("--session-burst %d: want at least 1", c.Sessions.Burst)
	case c.Outbox.MaxBytes < 64<<10:
		return fmt.Errorf("--outbox-limit %d: want at least 65536", c.Outbox.MaxBytes)
	case c.Outbox.Grace < 100*time.Millisecond:
		return fmt.Errorf("--outbox-grace %v: want at least 100ms", c.Outbox.Grace)
	case p.PhotoQueue < 1:
		return fmt.Errorf("--photo-queue %d: want at least 1", p.PhotoQueue)
	case c.ShutdownTimeout < 100*time.Millisecond:
		return fmt.Errorf("--shutdown-timeout %v: want at least 100ms", c.ShutdownTimeout)
	}
	if _, _, err := portRange(c.WebRTCPorts); err != nil {
		return err
	}
	if err := c.ClusterConfig.validate(); err != nil {
		return err
	}
	if c.VideoLease < time.Second {
		return fmt.Errorf("--video-lease %v: want at least 1s", c.VideoLease)
	}
	_, err := iceServers(c.ICEServers)
	return err
}

// portRange parses --webrtc-ports, MIN-MAX; empty is 0, 0 (any port).
func portRange(v string) (min, max uint16, err error) {
	if v == "" {
		return 0, 0, nil
	}
	lo, hi, ok := strings.Cut(v, "-")
	a, errA := strconv.ParseUint(strings.TrimSpace(lo), 10, 16)
	b, errB := strconv.ParseUint(strings.TrimSpace(hi), 10, 16)
	if !ok || errA != nil || errB != nil || a == 0 || a > b {
		return 0, 0, fmt.Errorf("--webrtc-ports %q: want MIN-MAX, e.g. 50000-50100", v)
	}
	return uint16(a), uint16(b), nil
}

// Logs carry times to the microsecond. zerolog keeps this in a global, so it
// is set once, before any logger runs.
func init() { zerolog.TimeFieldFormat = time.RFC3339Nano }

func (c Config) logger() zerolog.Logger {
	level, _ := zerolog.ParseLevel(c.LogLevel)
	var l zerolog.Logger
	out := c.LogOutput
	if out == nil {
		out = os.Stderr
	}
	if c.LogFormat == "json" {
		l = zerolog.New(out)
	} else {
		l = zerolog.New(zerolog.ConsoleWriter{Out: out, TimeFormat: "15:04:05.000", NoColor: out != os.Stderr})
	}
	return l.Level(level).With().Timestamp().Logger()
}

// flagsFromEnv sets every flag not given on the command line from its
// environment variable, TRYON_ and the flag's name in capitals with _ for
// -: --max-frame-bytes from TRYON_MAX_FRAME_BYTES. For containers and
// systemd units; the command line wins.
func flagsFromEnv(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		v, ok := os.LookupEnv(envName(f.Name))
		if !ok || given[f.Name] || err != nil {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			err = fmt.Errorf("%s=%q (for --%s): %v", envName(f.Name), v, f.Name, e)
		}
	})
	return err
}

func envName(flagName string) string {
	return "TRYON_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// listFlag is a flag that takes a comma-separated list and may be repeated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			*l = append(*l, item)
		}
	}
	return nil
}

// prefixListFlag is a list of CIDR prefixes; a bare address is its own /32
// or /128.
type prefixListFlag []netip.Prefix

func (l *prefixListFlag) String() string {
	var s []string
	for _, p := range *l {
		s = append(s, p.String())
	}
	return strings.Join(s, ",")
}

func (l *prefixListFlag) Set(v string) error {
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		p, err := netip.ParsePrefix(item)
		if err != nil {
			a, aerr := netip.ParseAddr(item)
			if aerr != nil {
				return fmt.Errorf("%q: want an address or a CIDR such as 10.0.0.0/8", item)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		*l = append(*l, p.Masked())
	}
	return nil
}
