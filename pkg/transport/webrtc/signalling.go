package webrtc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/pion/sdp/v3"
	pion "github.com/pion/webrtc/v4"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/frame"
)

// maxOffer bounds a signalling body: a browser's offer is 3 to 8 KB.
const maxOffer = 64 << 10

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
		client.WriteHTTPError(w, client.CodeBadMessage, fmt.Sprintf("type %q: want \"offer\"", apierr.Clip(o.Type, 32)))
		return
	}
	if msg := checkOffer(o.SDP); msg != "" {
		client.WriteHTTPError(w, client.CodeBadMessage, msg)
		return
	}
	leave, refused := s.hub.Admit(r)
	if refused != nil {
		apierr.WriteHTTP(w, refused)
		return
	}
	p, answer, err := s.open(o, leave, s.hub.RemoteAddr(r)) // leave is called when the session ends
	switch {
	case errors.Is(err, client.ErrClosed):
		client.WriteHTTPError(w, client.CodeShuttingDown, "the server is stopping")
		return
	case err != nil:
		client.WriteHTTPError(w, client.CodeBadMessage, err.Error())
		return
	}
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
