package webrtc

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	pion "github.com/pion/webrtc/v4"

	"github.com/livetryon/server/pkg/client"
)

// api makes a session's WebRTC API: VP8 only, NACK, RTCP reports, PLI, and
// transport-wide congestion control whose estimate sets the encoder's
// bitrate.
func (s *Server) api(estimator chan<- cc.BandwidthEstimator, buffers *streamBuffers) (*pion.API, error) {
	m := &pion.MediaEngine{}
	feedback := []pion.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "transport-cc"}}
	if err := m.RegisterCodec(pion.RTPCodecParameters{
		RTPCodecCapability: pion.RTPCodecCapability{MimeType: pion.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: feedback},
		PayloadType:        96,
	}, pion.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	// The playout-delay extension, min and max 0, asks the browser to show
	// each processed frame as soon as it is decoded (outbound.go).
	if err := m.RegisterHeaderExtension(pion.RTPHeaderExtensionCapability{URI: playoutDelayURI}, pion.RTPCodecTypeVideo); err != nil {
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
	se := *s.mux
	se.BufferFactory = buffers.buffer
	return pion.NewAPI(pion.WithMediaEngine(m), pion.WithInterceptorRegistry(reg), pion.WithSettingEngine(se)), nil
}

// open makes a session for an offer and returns its SDP answer, with every
// candidate gathered. leave is called once when the session ends, or at
// once if it cannot start; remote is the peer's address, for the connect
// line. The error is client.ErrClosed when the server is stopping.
func (s *Server) open(o offer, leave func(), remote string) (*peer, string, error) {
	estimators := make(chan cc.BandwidthEstimator, 1)
	buffers := &streamBuffers{}
	api, err := s.api(estimators, buffers)
	if err != nil {
		leave()
		return nil, "", err
	}
	pc, err := api.NewPeerConnection(pion.Configuration{ICEServers: s.opts.ICEServers})
	if err != nil {
		leave()
		return nil, "", err
	}
	p := &peer{s: s, pc: pc, buffers: buffers, leave: leave, done: make(chan struct{})}
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
	c, err := s.hub.Open("webrtc", p, client.Request{Remote: remote, Leave: leave, Encoder: p.encoder})
	p.leave = nil // the hub's now: called at once on an error, else when the client closes
	if err != nil {
		p.close("server shutting down")
		return nil, "", err
	}
	// The session's id is the hub's: unguessable, as DELETE takes it.
	p.client, p.id, p.logID = c, c.ID(), client.ShortID(c.ID())
	if len(o.Config) > 0 {
		p.client.Configure(o.Config, nil)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		p.close("server shutting down")
		return nil, "", client.ErrClosed
	}
	s.peers[p.id] = p
	s.mu.Unlock()

	s.spawn(func() { p.readRTCP(sender) })
	pc.OnTrack(func(remote *pion.TrackRemote, _ *pion.RTPReceiver) {
		if remote.Kind() != pion.RTPCodecTypeVideo {
			return
		}
		// One decoder a session: the answer refused the offer's other
		// video m-lines, and this holds for what still arrives as a new
		// track (simulcast layers, SSRCs the offer did not declare).
		if !p.videoTaken.CompareAndSwap(false, true) {
			p.s.log.Debug().Str("client", p.logID).Str("rid", remote.RID()).Uint32("ssrc", uint32(remote.SSRC())).Msg("a second video track is ignored")
			return
		}
		s.spawn(func() { p.readVideo(remote) })
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
	p.connectTimer = time.AfterFunc(s.opts.ConnectTimeout, func() {
		if !p.connected.Load() {
			p.close(fmt.Sprintf("not connected within %v", s.opts.ConnectTimeout))
		}
	})

	if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeOffer, SDP: o.SDP}); err != nil {
		p.close("bad offer")
		return nil, "", fmt.Errorf("the offer was refused: %v", err)
	}
	if mids := refuseExtraVideo(pc); len(mids) > 0 {
		var d sdp.SessionDescription
		if d.UnmarshalString(o.SDP) == nil { // it did parse in checkOffer
			buffers.refuse(&d, mids)
		}
		s.log.Info().Str("client", p.logID).Int("refused", len(mids)).Msg("the offer has more than one camera track: only the first is received")
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
	for _, h := range sender.GetParameters().HeaderExtensions {
		if h.URI == playoutDelayURI {
			p.playoutDelayID = uint8(h.ID) // a browser that did not offer it keeps its own playout
		}
	}
	return p, pc.LocalDescription().SDP, nil
}

// refuseExtraVideo stops every video transceiver that would receive,
// but the first: a session decodes one camera (8 tracks at 1080p60 once
// took 8 decoders and a core and a half, and a live client beside it went
// from 30 fps to 8). Stopped, they are inactive in the answer, so the peer
// sends nothing on them; what a peer sends on them all the same is
// discarded (streamBuffers). It returns the mids it stopped.
func refuseExtraVideo(pc *pion.PeerConnection) []string {
	receiving, stopped := false, []string(nil)
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
		mid := t.Mid()
		if t.Stop() == nil {
			stopped = append(stopped, mid)
		}
	}
	return stopped
}

// peer is one PeerConnection: one client of the client layer.
type peer struct {
	s          *Server
	id         string // the hub's id of the session, in its URL
	logID      string // the part of it logs carry
	pc         *pion.PeerConnection
	client     *client.Client
	track      *pion.TrackLocalStaticRTP
	encoder    *encoder
	estimator  cc.BandwidthEstimator
	buffers    *streamBuffers
	dc         atomic.Pointer[pion.DataChannel]
	leave      func()
	connected  atomic.Bool
	needKey    atomic.Bool // the peer asked for a key frame, or missed a frame
	videoTaken atomic.Bool // a camera track is being decoded
	closeOnce  sync.Once
	// connectTimer closes the session if it has not connected in time.
	connectTimer *time.Timer
	done         chan struct{}
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
	// playoutDelayID is the negotiated id of the playout-delay header
	// extension, 0 if the peer did not offer it. Set before the session
	// connects, read by Send.
	playoutDelayID uint8

	stats sessionStats
}

// close ends the session and frees everything: the PeerConnection, the
// client (and its pipeline session), the codecs.
func (p *peer) close(why string) {
	p.closeOnce.Do(func() {
		p.submitMu.Lock()
		close(p.done)
		p.submitMu.Unlock()
		if p.connectTimer != nil {
			p.connectTimer.Stop()
		}
		p.s.mu.Lock()
		delete(p.s.peers, p.id)
		p.s.mu.Unlock()
		// pion runs the state handler on a goroutine of its own for the
		// Closed state that Close is about to cause; that goroutine would
		// only wait here for this close, and could outlive Server.Close
		// (TestCloseWaitsForItsGoroutines caught it once in a full run).
		p.pc.OnConnectionStateChange(nil)
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
		p.s.log.Info().Str("client", p.logID).Str("transport", "webrtc").Str("why", why).
			Dict("frames", p.stats.dict()).Int64("refused_packets", p.buffers.discarded.Load()).Msg("hang up")
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
				p.stats.keyRequests.Add(1)
				p.needKey.Store(true)
			}
		}
	}
}
