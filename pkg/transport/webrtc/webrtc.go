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
//
// One concern a file, as mediamtx keeps its servers/webrtc (sessions,
// HTTP) apart from protocols/webrtc (the peer connection, inbound and
// outbound tracks):
//   - webrtc.go: the Server, its options and its life;
//   - signalling.go: the HTTP endpoints, offer in, answer out (JSON, WHIP);
//   - peer.go: one PeerConnection, from its offer to its hang-up;
//   - inbound.go: the camera's RTP in, depacketised (padding.go,
//     assemble.go), decoded and submitted;
//   - outbound.go: the VP8 encoder and the processed track's RTP out;
//   - datachannel.go: settings in, answers, landmarks and errors out.
package webrtc

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	pion "github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/frame"
)

// Options configure the transport.
type Options struct {
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

// Server is the WebRTC adapter.
type Server struct {
	hub    *client.Hub
	log    zerolog.Logger
	opts   Options
	limits frame.Limits
	udpMux interface{ Close() error }
	mux    *pion.SettingEngine // template for each session's settings

	mu     sync.Mutex
	peers  map[string]*peer
	closed bool
	// wg counts the goroutines the sessions run here (RTCP and camera
	// readers), for Close to wait for.
	wg         sync.WaitGroup
	closeMuxes sync.Once

	decoders atomic.Int64 // VP8 decoders running: one per session at most
}

// New makes the adapter, whose sessions open on hub; mount Handler on
// /api/v1/webrtc/.
func New(hub *client.Hub, opts Options) (*Server, error) {
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
	s := &Server{hub: hub, log: hub.Common().Logger, opts: opts, limits: hub.Limits(), peers: map[string]*peer{}}
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

// Close stops the transport: it refuses new offers, hangs up every
// session (their clients, codecs and PeerConnections), releases the UDP
// port, and waits, until ctx is done, for every goroutine it started. It
// may be called again (to wait longer); the error is ctx's, wrapped, when
// the wait was cut short.
func (s *Server) Close(ctx context.Context) error {
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
	s.closeMuxes.Do(func() {
		if s.udpMux != nil {
			s.udpMux.Close()
		}
	})
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("webrtc: close: %w", ctx.Err())
	}
}

// spawn runs f on a goroutine Close waits for; not once Close has begun
// (a track pion reports while the server closes is not read).
func (s *Server) spawn(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}
