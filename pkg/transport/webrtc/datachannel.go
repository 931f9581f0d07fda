package webrtc

import (
	"encoding/json"
	"fmt"

	pion "github.com/pion/webrtc/v4"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/frame"
)

// maxDataChannelBuffer is how much the data channel may hold for a peer
// that does not read it; messages beyond are dropped, not queued.
const maxDataChannelBuffer = 1 << 20

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
		p.refuse(client.CodeBadMessage, fmt.Sprintf("unknown event %q; known: config, keyframe", apierr.Clip(env.Event, 32)))
	}
}

func (p *peer) refuse(code, message string) {
	p.client.Refuse(nil, nil, &frame.Error{Code: code, Message: message})
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
