// Package webrtc serves the try-on pipeline over WebRTC: the browser sends
// its camera as a VP8 track, and the processed video comes back as a VP8
// track on the same PeerConnection. Settings, answers, landmarks and
// errors travel on a data channel as JSON {event, data}, in the shapes of
// the WebSocket transport. It is a thin adapter over package client: RTP
// in, decoded pictures to the pipeline, VP8 frames out. See
// docs/protocol.md.
//
// Signalling is one HTTP request: POST /api/v1/webrtc/offer with JSON
// {sdp, type[, config]} (the shape aiortc's example server uses) answers
// JSON {sdp, type, id}; or WHIP: an application/sdp offer answers 201 with
// the SDP answer and a Location to DELETE to hang up. ICE gathering is
// complete in the answer, so no trickle is needed.
package webrtc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/sdp/v3"
	pion "github.com/pion/webrtc/v4"
	"gocv.io/x/gocv"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/frame"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/vp8"
)

// Options configure the transport.
type Options struct {
	client.Common
	// ICEServers are handed to each PeerConnection (STUN, TURN).
	ICEServers []pion.ICEServer
	// UDPPort, if set, carries every session's media on this one UDP port
	// (an ICE UDP mux), so a firewall needs one rule. Otherwise each
	// session takes an ephemeral port in PortMin..PortMax (any if 0).
	UDPPort          int
	PortMin, PortMax uint16
	// ConnectTimeout is how long a session may take to connect after its
	// answer; past it, it is closed. Default 15 s.
	ConnectTimeout time.Duration
	// Bitrate bounds the processed video's bitrate, which congestion
	// control moves between them. Defaults 150 kbit/s to 2.5 Mbit/s,
	// starting at 1 Mbit/s.
	MinBitrate, StartBitrate, MaxBitrate int
}

// maxOffer bounds a signalling body: a browser's offer is 3 to 8 KB.
const maxOffer = 64 << 10

// maxDataChannelBuffer is how much the data channel may hold for a peer
// that does not read it; messages beyond are dropped, not queued.
const maxDataChannelBuffer = 1 << 20

// Server is the WebRTC adapter.
type Server struct {
	engine *pipeline.Engine
	opts   Options
	limits frame.Limits
	udpMux interface{ Close() error }
	mux    *pion.SettingEngine // template for each session's settings

	mu     sync.Mutex
	peers  map[string]*peer
	closed bool
	nextID atomic.Uint64

	decoders atomic.Int64 // VP8 decoders running: one per session at most
}

// New makes the adapter; mount Handler on /api/v1/webrtc/.
func New(engine *pipeline.Engine, opts Options) (*Server, error) {
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 15 * time.Second
	}
	if opts.MinBitrate <= 0 {
		opts.MinBitrate = 150_000
	}
	if opts.MaxBitrate <= 0 {
		opts.MaxBitrate = 2_500_000
	}
	if opts.StartBitrate <= 0 {
		opts.StartBitrate = 1_000_000
	}
	s := &Server{engine: engine, opts: opts, limits: engine.Config().Limits, peers: map[string]*peer{}}
	se := &pion.SettingEngine{}
	// A browser on this machine must connect too: pion leaves loopback
	// addresses out of its candidates unless told.
	se.SetIncludeLoopbackCandidate(true)
	se.SetICETimeouts(5*time.Second, 10*time.Second, 2*time.Second)
	switch {
	case opts.UDPPort > 0:
		conn, err := net.ListenUDP("udp", &net.UDPAddr{Port: opts.UDPPort})
		if err != nil {
			return nil, fmt.Errorf("webrtc: UDP port %d: %w", opts.UDPPort, err)
		}
		m := pion.NewICEUDPMux(nil, conn)
		se.SetICEUDPMux(m)
		s.udpMux = m
	case opts.PortMin > 0 || opts.PortMax > 0:
		if err := se.SetEphemeralUDPPortRange(opts.PortMin, opts.PortMax); err != nil {
			return nil, fmt.Errorf("webrtc: UDP ports %d-%d: %w", opts.PortMin, opts.PortMax, err)
		}
	}
	s.mux = se
	return s, nil
}

// Sessions is the number of PeerConnections open.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.peers)
}

// Decoders is the number of camera tracks being decoded now: one per
// session at most, however many video tracks its offer had.
func (s *Server) Decoders() int { return int(s.decoders.Load()) }

// Close hangs up every session and releases the UDP port.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	peers := make([]*peer, 0, len(s.peers))
	for _, p := range s.peers {
		peers = append(peers, p)
	}
	s.mu.Unlock()
	for _, p := range peers {
		p.close("server shutting down")
	}
	if s.udpMux != nil {
		s.udpMux.Close()
	}
}

// offer is the JSON signalling body, both ways.
type offer struct {
	SDP    string          `json:"sdp"`
	Type   string          `json:"type"`
	ID     string          `json:"id,omitempty"`
	Config json.RawMessage `json:"config,omitempty"`
}

// Handler serves POST /api/v1/webrtc/offer, DELETE
// /api/v1/webrtc/sessions/{id}, and GET /api/v1/webrtc/ice-servers, the
// STUN and TURN servers a page should give its RTCPeerConnection.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/webrtc/offer", s.serveOffer)
	mux.HandleFunc("GET /api/v1/webrtc/ice-servers", func(w http.ResponseWriter, r *http.Request) {
		servers := s.opts.ICEServers
		if servers == nil {
			servers = []pion.ICEServer{}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		// The shape of RTCConfiguration.iceServers: {urls, username, credential}.
		json.NewEncoder(w).Encode(map[string]any{"iceServers": servers})
	})
	mux.HandleFunc("DELETE /api/v1/webrtc/sessions/{id}", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		p := s.peers[r.PathValue("id")]
		s.mu.Unlock()
		if p == nil {
			client.WriteHTTPError(w, client.CodeUnknownSession, "no such WebRTC session")
			return
		}
		p.close("hung up by DELETE")
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/api/v1/webrtc/", func(w http.ResponseWriter, r *http.Request) {
		client.WriteHTTPError(w, client.CodeNotFound,
			"POST an offer to /api/v1/webrtc/offer; DELETE /api/v1/webrtc/sessions/{id} to hang up")
	})
	return mux
}

func (s *Server) serveOffer(w http.ResponseWriter, r *http.Request) {
	whip := false
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/sdp" {
		whip = true
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxOffer))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			client.WriteHTTPError(w, frame.CodeTooLarge, fmt.Sprintf("an offer is at most %d bytes", maxOffer))
			return
		}
		client.WriteHTTPError(w, client.CodeBadMessage, "cannot read the offer: "+err.Error())
		return
	}
	var o offer
	if whip {
		o = offer{SDP: string(body), Type: "offer"}
	} else if err := json.Unmarshal(body, &o); err != nil {
		client.WriteHTTPError(w, client.CodeBadMessage, `the body is JSON {"sdp": "...", "type": "offer"}, or an application/sdp offer (WHIP)`)
		return
	}
	if o.Type != "offer" {
		client.WriteHTTPError(w, client.CodeBadMessage, fmt.Sprintf("type %q: want \"offer\"", clip(o.Type)))
		return
	}
	if msg := checkOffer(o.SDP); msg != "" {
		client.WriteHTTPError(w, client.CodeBadMessage, msg)
		return
	}
	leave, refused := s.opts.AdmitRequest(r)
	if refused != nil {
		apierr.WriteHTTP(w, refused)
		return
	}
	p, answer, err := s.open(o, leave) // leave is called when the session ends
	if err != nil {
		client.WriteHTTPError(w, client.CodeBadMessage, err.Error())
		return
	}
	s.opts.Logger.Info().Str("client", p.id).Str("transport", "webrtc").Str("remote", r.RemoteAddr).Msg("connect")
	if whip {
		w.Header().Set("Content-Type", "application/sdp")
		w.Header().Set("Location", "/api/v1/webrtc/sessions/"+p.id)
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, answer)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(offer{SDP: answer, Type: "answer", ID: p.id})
}

// checkOffer says what is wrong with an offer's SDP, "" if nothing: it
// must parse and offer a video track that accepts VP8.
func checkOffer(raw string) string {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(raw); err != nil {
		return "the offer's SDP does not parse: " + err.Error()
	}
	for _, m := range d.MediaDescriptions {
		if m.MediaName.Media != "video" {
			continue
		}
		for _, a := range m.Attributes {
			if a.Key == "rtpmap" && strings.Contains(strings.ToUpper(a.Value), "VP8/90000") {
				return ""
			}
		}
		return "the offer's video does not accept VP8, the only codec this server speaks"
	}
	return "the offer has no video: add the camera's track (or a recvonly video transceiver) before createOffer"
}

// api makes a session's WebRTC API: VP8 only, NACK, RTCP reports, PLI, and
// transport-wide congestion control whose estimate sets the encoder's
// bitrate.
func (s *Server) api(estimator chan<- cc.BandwidthEstimator) (*pion.API, error) {
	m := &pion.MediaEngine{}
	feedback := []pion.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "transport-cc"}}
	if err := m.RegisterCodec(pion.RTPCodecParameters{
		RTPCodecCapability: pion.RTPCodecCapability{MimeType: pion.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: feedback},
		PayloadType:        96,
	}, pion.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	reg := &interceptor.Registry{}
	ccInterceptor, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) {
		// The estimate without pion's leaky-bucket pacer: it sends at the
		// target bitrate exactly (libwebrtc paces at 2.5 times it), so
		// every frame over the target waited its turn, and capture-to-
		// display latency in Chromium grew from 78 to 106 ms (rtclatency,
		// docs/BENCHMARKS.md). The encoder keeps to the estimate instead.
		return gcc.NewSendSideBWE(gcc.SendSideBWEInitialBitrate(s.opts.StartBitrate),
			gcc.SendSideBWEMinBitrate(s.opts.MinBitrate), gcc.SendSideBWEMaxBitrate(s.opts.MaxBitrate),
			gcc.SendSideBWEPacer(gcc.NewNoOpPacer()))
	})
	if err != nil {
		return nil, err
	}
	ccInterceptor.OnNewPeerConnection(func(_ string, e cc.BandwidthEstimator) {
		select {
		case estimator <- e:
		default:
		}
	})
	reg.Add(ccInterceptor)
	if err := pion.ConfigureTWCCHeaderExtensionSender(m, reg); err != nil {
		return nil, err
	}
	if err := pion.RegisterDefaultInterceptors(m, reg); err != nil {
		return nil, err
	}
	return pion.NewAPI(pion.WithMediaEngine(m), pion.WithInterceptorRegistry(reg), pion.WithSettingEngine(*s.mux)), nil
}

// open makes a session for an offer and returns its SDP answer, with every
// candidate gathered. leave is called once when the session ends, or at
// once if it cannot start.
func (s *Server) open(o offer, leave func()) (*peer, string, error) {
	estimators := make(chan cc.BandwidthEstimator, 1)
	api, err := s.api(estimators)
	if err != nil {
		leave()
		return nil, "", err
	}
	pc, err := api.NewPeerConnection(pion.Configuration{ICEServers: s.opts.ICEServers})
	if err != nil {
		leave()
		return nil, "", err
	}
	p := &peer{s: s, pc: pc, id: fmt.Sprintf("webrtc-%d", s.nextID.Add(1)), leave: leave, done: make(chan struct{})}
	select {
	case p.estimator = <-estimators:
	default:
	}
	p.track, err = pion.NewTrackLocalStaticRTP(pion.RTPCodecCapability{MimeType: pion.MimeTypeVP8, ClockRate: 90000}, "video", "tryon")
	if err != nil {
		p.close("no track")
		return nil, "", err
	}
	sender, err := pc.AddTrack(p.track)
	if err != nil {
		p.close("no track")
		return nil, "", err
	}
	p.encoder = &encoder{p: p}
	p.client = client.New(s.engine, p, client.Options{ID: p.id, Transport: "webrtc", Limits: s.limits, Encoder: p.encoder, Common: s.opts.Common})
	if len(o.Config) > 0 {
		p.client.Configure(o.Config, nil)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		p.close("server shutting down")
		return nil, "", errors.New("the server is stopping")
	}
	s.peers[p.id] = p
	s.mu.Unlock()

	go p.readRTCP(sender)
	pc.OnTrack(func(remote *pion.TrackRemote, _ *pion.RTPReceiver) {
		if remote.Kind() != pion.RTPCodecTypeVideo {
			return
		}
		// One decoder a session: the answer refused the offer's other
		// video m-lines, and this holds for what still arrives as a new
		// track (simulcast layers, SSRCs the offer did not declare).
		if !p.videoTaken.CompareAndSwap(false, true) {
			p.s.opts.Logger.Debug().Str("client", p.id).Str("rid", remote.RID()).Uint32("ssrc", uint32(remote.SSRC())).Msg("a second video track is ignored")
			return
		}
		go p.readVideo(remote)
	})
	pc.OnDataChannel(func(dc *pion.DataChannel) {
		// Stored now, not on open: pion may hand over the page's first
		// message (its settings, sent the moment its side opened) before it
		// runs the open handler, and the reply must not be lost.
		if !p.dc.CompareAndSwap(nil, dc) {
			return // one data channel a session; others are ignored
		}
		dc.OnOpen(func() {
			p.flushEarly(dc)
			p.client.Hello()
		})
		dc.OnMessage(func(m pion.DataChannelMessage) { p.onMessage(m) })
	})
	pc.OnConnectionStateChange(func(st pion.PeerConnectionState) {
		switch st {
		case pion.PeerConnectionStateConnected:
			p.connected.Store(true)
		case pion.PeerConnectionStateFailed, pion.PeerConnectionStateClosed:
			p.close("connection " + st.String())
		}
	})
	time.AfterFunc(s.opts.ConnectTimeout, func() {
		if !p.connected.Load() {
			p.close(fmt.Sprintf("not connected within %v", s.opts.ConnectTimeout))
		}
	})

	if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeOffer, SDP: o.SDP}); err != nil {
		p.close("bad offer")
		return nil, "", fmt.Errorf("the offer was refused: %v", err)
	}
	if n := refuseExtraVideo(pc); n > 0 {
		s.opts.Logger.Info().Str("client", p.id).Int("refused", n).Msg("the offer has more than one camera track: only the first is received")
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		p.close("no answer")
		return nil, "", fmt.Errorf("cannot answer the offer: %v", err)
	}
	gathered := pion.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		p.close("no answer")
		return nil, "", fmt.Errorf("cannot answer the offer: %v", err)
	}
	select {
	case <-gathered:
	case <-time.After(5 * time.Second):
	}
	return p, pc.LocalDescription().SDP, nil
}

// refuseExtraVideo stops every video transceiver that would receive,
// but the first: a session decodes one camera (8 tracks at 1080p60 once
// took 8 decoders and a core and a half, and a live client beside it went
// from 30 fps to 8). Stopped, they are inactive in the answer, so the peer
// sends nothing on them. It returns how many it stopped.
func refuseExtraVideo(pc *pion.PeerConnection) int {
	receiving, stopped := false, 0
	for _, t := range pc.GetTransceivers() {
		if t.Kind() != pion.RTPCodecTypeVideo {
			continue
		}
		if d := t.Direction(); d != pion.RTPTransceiverDirectionRecvonly && d != pion.RTPTransceiverDirectionSendrecv {
			continue
		}
		if !receiving {
			receiving = true
			continue
		}
		if t.Sender() != nil {
			continue // ours, sending the processed video (it comes first, so not met here)
		}
		if t.Stop() == nil {
			stopped++
		}
	}
	return stopped
}

// peer is one PeerConnection: one client of the client layer.
type peer struct {
	s          *Server
	id         string
	pc         *pion.PeerConnection
	client     *client.Client
	track      *pion.TrackLocalStaticRTP
	encoder    *encoder
	estimator  cc.BandwidthEstimator
	dc         atomic.Pointer[pion.DataChannel]
	leave      func()
	connected  atomic.Bool
	needKey    atomic.Bool // the peer asked for a key frame, or missed a frame
	videoTaken atomic.Bool // a camera track is being decoded
	closeOnce  sync.Once
	done       chan struct{}
	// submitMu orders a decoded picture's submission before the session's
	// end: pion hands over the packets it buffered after the connection
	// closed, and a picture submitted to a closed client would be refused
	// as "the server is stopping", a warning on every hang-up.
	submitMu sync.Mutex

	earlyMu sync.Mutex
	early   []string // messages for the data channel before pion reported it open
	opened  bool

	// Send's state: the outbox calls it from one goroutine.
	lastSeq     uint64
	packetizer  rtp.Packetizer
	sentAt      time.Time // when the first answer was sent: the track's time 0
	lastTS      uint32
	waitForKey  bool
	lastRefusal time.Time // when a refused frame's error was last sent
}

// close ends the session and frees everything: the PeerConnection, the
// client (and its pipeline session), the codecs.
func (p *peer) close(why string) {
	p.closeOnce.Do(func() {
		p.submitMu.Lock()
		close(p.done)
		p.submitMu.Unlock()
		p.s.mu.Lock()
		delete(p.s.peers, p.id)
		p.s.mu.Unlock()
		p.pc.Close()
		if p.client != nil {
			p.client.Close()
		}
		if p.encoder != nil {
			p.encoder.close()
		}
		if p.leave != nil {
			p.leave()
		}
		p.s.opts.Logger.Info().Str("client", p.id).Str("transport", "webrtc").Str("why", why).Msg("hang up")
	})
}

// readRTCP reads the processed track's RTCP, which runs the interceptors
// (NACK, reports), and asks the encoder for a key frame on PLI or FIR.
func (p *peer) readRTCP(sender *pion.RTPSender) {
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, pkt := range pkts {
			switch pkt.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				p.needKey.Store(true)
			}
		}
	}
}

// readVideo depacketises the camera's track into VP8 frames, decodes every
// one (the next are predicted from it) and submits each picture: the
// session keeps only the newest waiting, so a busy pipeline skips
// pictures, never queues them. A frame that does not decode asks the
// browser for a key frame, at most once a second; one the peer made wrong
// (over the limits, odd sides, corrupt, over 4 MiB) is also refused with
// an error, counted, and told on the data channel (Send sends one such
// error a second at most).
func (p *peer) readVideo(remote *pion.TrackRemote) {
	if !strings.EqualFold(remote.Codec().MimeType, pion.MimeTypeVP8) {
		return
	}
	lim := p.s.limits
	dec, err := vp8.NewDecoder(lim.MaxSide, lim.MaxSide, lim.MaxPixels)
	if err != nil {
		p.close(err.Error())
		return
	}
	p.s.decoders.Add(1)
	defer p.s.decoders.Add(-1)
	defer dec.Close()
	var (
		padding paddingFilter
		frames  frameAssembler
		gate    frameGate
		waitKey bool
		lastPLI time.Time
	)
	askKey := func() {
		if time.Since(lastPLI) < time.Second {
			return
		}
		lastPLI = time.Now()
		p.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(remote.SSRC())}})
	}
	for {
		pkt, _, err := remote.ReadRTP()
		if err != nil {
			return
		}
		if !padding.keep(pkt) {
			continue
		}
		frame, lost := frames.push(pkt)
		if frames.takeOversize() {
			p.refuseFrame(frameTooLarge())
		}
		if frame != nil && !gate.allow(time.Now()) {
			frame, lost = nil, true // over the frame rate: skipped, and so is what it predicts
		}
		if lost {
			// A frame is gone: what follows is predicted from it, so
			// nothing decodes right until a key frame.
			waitKey = true
			askKey()
		}
		if frame == nil {
			continue
		}
		if waitKey {
			if _, _, key := vp8.KeyframeSize(frame); !key {
				askKey()
				continue
			}
			waitKey = false
		}
		img := gocv.NewMat()
		if err := dec.Decode(frame, &img); err != nil {
			img.Close()
			if !errors.Is(err, vp8.ErrNoPicture) {
				p.s.opts.Logger.Debug().Str("client", p.id).Err(err).Msg("VP8 frame does not decode")
				p.refuseFrame(decodeError(err))
			}
			waitKey = true
			askKey()
			continue
		}
		if !p.submit(&img) {
			return
		}
	}
}

// submit hands a decoded picture to the client, unless the session has
// ended; false if it has (the picture is freed).
func (p *peer) submit(img *gocv.Mat) bool {
	p.submitMu.Lock()
	defer p.submitMu.Unlock()
	select {
	case <-p.done:
		img.Close()
		return false
	default:
	}
	p.client.SubmitImage(p.client.NewFrame(nil), nil, img, time.Now())
	return true
}

// refuseFrame answers a camera frame the server will not decode: counted
// as a refused frame (metrics, the client's log), and an error on the data
// channel. Not once the session has ended.
func (p *peer) refuseFrame(e *frame.Error) {
	p.submitMu.Lock()
	defer p.submitMu.Unlock()
	select {
	case <-p.done:
		return
	default:
	}
	p.client.Refuse(p.client.NewFrame(nil), nil, e)
}

// decodeError is the client's error for a VP8 frame that does not decode.
func decodeError(err error) *frame.Error {
	msg := strings.TrimPrefix(err.Error(), "vp8: ")
	if errors.Is(err, vp8.ErrTooManyPixels) {
		return &frame.Error{Code: frame.CodeTooManyPixels, Message: "camera frame refused: " + msg}
	}
	return &frame.Error{Code: frame.CodeDecodeFailed, Message: "camera frame refused: " + msg}
}

func frameTooLarge() *frame.Error {
	return &frame.Error{Code: frame.CodeTooLarge, Message: fmt.Sprintf("camera frame refused: over %d bytes, more than any camera sends", maxFrameBytes)}
}

// envelope is every data channel message, both ways, as on the WebSocket.
type envelope struct {
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data,omitempty"`
}

func (p *peer) onMessage(m pion.DataChannelMessage) {
	if len(m.Data) > 64<<10 {
		p.refuse(frame.CodeTooLarge, "data channel messages are at most 64 KiB")
		return
	}
	var env envelope
	if err := json.Unmarshal(m.Data, &env); err != nil || env.Event == "" {
		p.refuse(client.CodeBadMessage, `data channel messages are JSON {"event": "config", "data": {...}}`)
		return
	}
	switch env.Event {
	case "config":
		p.client.Configure(env.Data, nil)
	case "keyframe":
		p.needKey.Store(true)
	default:
		p.refuse(client.CodeBadMessage, fmt.Sprintf("unknown event %q; known: config, keyframe", clip(env.Event)))
	}
}

func (p *peer) refuse(code, message string) {
	p.client.Refuse(nil, nil, &frame.Error{Code: code, Message: message})
}

// Send hands a message to the peer: a video answer to the track, the rest
// to the data channel. It never blocks on the network.
func (p *peer) Send(m client.Message) error {
	select {
	case <-p.done:
		return errors.New("webrtc: session closed")
	default:
	}
	if m.Video.Data != nil {
		p.sendVideo(m.Video)
	}
	switch {
	case m.Session != nil:
		p.text("session", m.Session)
	case m.Config != nil:
		p.text("config", m.Config)
	case m.Reply != nil:
		if m.Error != nil {
			// A refused camera frame: a peer sending bad frames at 60 a
			// second is told once a second; every one is counted.
			if now := time.Now(); now.Sub(p.lastRefusal) >= time.Second {
				p.lastRefusal = now
				p.text("error", m.Error)
			}
			return nil
		}
		p.text("answer", m.Reply)
		if m.WantLandmarks && m.Landmarks != nil {
			p.text("landmarks", m.Landmarks)
		}
	case m.Error != nil:
		p.text("error", m.Error)
	}
	return nil
}

// sendVideo writes one encoded answer to the track. Its RTP timestamp is
// the time it is sent: answers come at a variable rate, and each the time
// its frame took after capture, which also varies (a background detection
// on the other core, another session); timestamped at capture, that spread
// would reach the browser as jitter, which its jitter buffer waits out on
// every frame. Sent so, a frame is due the moment it arrives. (pion's
// sample track stamps a frame from the durations of those before it, one
// frame late at a variable rate: hence a packetizer of our own.) The
// payload descriptors carry picture IDs, so the browser notices a missing
// frame and asks for a key frame. A gap in the encoder's numbering (an
// answer the outbox replaced) would leave the browser predicting from a
// frame it never got: frames are then held back until a key frame.
func (p *peer) sendVideo(f client.EncodedFrame) {
	if f.Seq != p.lastSeq+1 && !f.Key {
		p.waitForKey = true
		p.needKey.Store(true)
	}
	p.lastSeq = f.Seq
	if p.waitForKey && !f.Key {
		return
	}
	p.waitForKey = false
	now := time.Now()
	if p.packetizer == nil {
		p.packetizer = rtp.NewPacketizer(1200, 0, 0, &codecs.VP8Payloader{EnablePictureID: true}, rtp.NewRandomSequencer(), 90000)
		p.sentAt = now
	}
	ts := uint32(now.Sub(p.sentAt) * 90000 / time.Second)
	if ts == p.lastTS && ts != 0 {
		ts++ // two answers in the same tick: still in order
	}
	p.lastTS = ts
	for _, pkt := range p.packetizer.Packetize(f.Data, 0) {
		pkt.Timestamp = ts
		p.track.WriteRTP(pkt)
	}
}

// maxEarly bounds the messages held for a data channel not yet open.
const maxEarly = 16

func (p *peer) text(event string, data any) {
	dc := p.dc.Load()
	if dc == nil {
		return // no data channel: the page asked for none
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return
	}
	msg, _ := json.Marshal(envelope{Event: event, Data: raw})
	// pion may deliver the page's first message (its settings) before it
	// reports the channel open; the reply waits for the open, a few at most.
	p.earlyMu.Lock()
	if !p.opened {
		if len(p.early) < maxEarly {
			p.early = append(p.early, string(msg))
		}
		p.earlyMu.Unlock()
		return
	}
	p.earlyMu.Unlock()
	if dc.BufferedAmount() > maxDataChannelBuffer {
		return // the page does not read: dropped rather than queued
	}
	dc.SendText(string(msg)) // an error means the session is ending
}

// flushEarly sends what waited for the channel to open, in order.
func (p *peer) flushEarly(dc *pion.DataChannel) {
	p.earlyMu.Lock()
	defer p.earlyMu.Unlock()
	p.opened = true
	for _, m := range p.early {
		dc.SendText(m)
	}
	p.early = nil
}

// encoder is the session's pipeline.Encoder: VP8 at the bitrate congestion
// control sets, a key frame when asked, a new encoder when the camera's
// size changes. Its frames are numbered, so Send sees a gap. libvpx is
// given the capture times, for its rate control.
type encoder struct {
	p     *peer
	mu    sync.Mutex // Encode on a worker, close on hang-up
	enc   *vp8.Encoder
	start time.Time
	seq   uint64
	rate  int
	done  bool
}

func (e *encoder) Encode(img gocv.Mat, captured time.Time) (client.EncodedFrame, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done {
		return client.EncodedFrame{}, errors.New("webrtc: session closed")
	}
	key := e.p.needKey.Swap(false)
	if e.enc != nil {
		if w, h := e.enc.Size(); w != img.Cols() || h != img.Rows() {
			e.enc.Close()
			e.enc = nil
		}
	}
	rate := e.p.s.opts.StartBitrate
	if est := e.p.estimator; est != nil {
		rate = est.GetTargetBitrate()
	}
	if e.enc == nil {
		enc, err := vp8.NewEncoder(img.Cols(), img.Rows(), vp8.EncoderOptions{Bitrate: rate})
		if err != nil {
			return client.EncodedFrame{}, err
		}
		e.enc, e.rate, key = enc, rate, true
		if e.start.IsZero() {
			e.start = captured
		}
	} else if rate != e.rate && (rate > e.rate*21/20 || rate < e.rate*19/20) {
		if e.enc.SetBitrate(rate) == nil {
			e.p.s.opts.Logger.Debug().Str("client", e.p.id).Int("from_bps", e.rate).Int("to_bps", rate).Msg("bitrate follows congestion control")
			e.rate = rate
		}
	}
	out, isKey, err := e.enc.Encode(make([]byte, 0, 64<<10), img, captured.Sub(e.start), 0, key)
	if err != nil || len(out) == 0 {
		return client.EncodedFrame{}, err // no frame: the next is predicted from the one before, so no gap
	}
	e.seq++
	return client.EncodedFrame{Seq: e.seq, Key: isKey, Data: out}, nil
}

func (e *encoder) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.done = true
	if e.enc != nil {
		e.enc.Close()
		e.enc = nil
	}
}

func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
