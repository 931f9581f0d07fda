package client

import (
	"time"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/landmarks"
	"github.com/livetryon/server/pkg/pipeline"
)

// Wire shapes shared by every transport. Socket.IO sends them as event
// payloads, WebSocket as {event, data} text messages, HTTP as JSON bodies
// and headers. docs/protocol.md shows each with examples.

// EncodedFrame is an answer as a video transport's Encoder wrote it: its
// number, whether it is a key frame, its bytes.
type EncodedFrame = pipeline.EncodedFrame

// ErrorBody is a refused frame or setting: the error event's payload, and
// the error of an acknowledgement or an HTTP answer.
type ErrorBody = apierr.Error

// FrameReply answers one frame: what an acknowledgement carries.
type FrameReply struct {
	ID      any        `json:"id,omitempty"`
	Image   string     `json:"image,omitempty"` // Socket.IO only: the JPEG data URL
	Faces   int        `json:"faces"`
	FPS     float64    `json:"fps"`
	Dropped uint64     `json:"dropped"`           // frames of this client the server dropped so far
	Tracked bool       `json:"tracked,omitempty"` // faces followed from the previous frame, not detected anew
	Timings *TimingsMs `json:"timings,omitempty"`
	Error   *ErrorBody `json:"error,omitempty"`
}

// TimingsMs are the server's milliseconds per stage for one frame.
type TimingsMs struct {
	Queue     float64 `json:"queue"`
	Decode    float64 `json:"decode"`
	Detect    float64 `json:"detect"`
	Landmarks float64 `json:"landmarks"`
	Effects   float64 `json:"effects"`
	Encode    float64 `json:"encode"`
	Total     float64 `json:"total"`
}

func msOf(t pipeline.Timings) *TimingsMs {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return &TimingsMs{ms(t.Queue), ms(t.Decode), ms(t.Detect), ms(t.Landmarks), ms(t.Effects), ms(t.Encode), ms(t.Total())}
}

// Landmarks is the landmarks event: the faces of one answered frame.
type Landmarks struct {
	Frame  any              `json:"frame"` // the frame's id, or the server's count of this client's frames
	Width  int              `json:"width"`
	Height int              `json:"height"`
	Faces  []landmarks.Face `json:"faces"`
}

// ConfigReply answers a config message.
type ConfigReply struct {
	OK     bool       `json:"ok"`
	Config *Settings  `json:"config,omitempty"`
	Watch  string     `json:"watch,omitempty"` // after a watch_key resumed a link: the link, as in SessionInfo
	Error  *ErrorBody `json:"error,omitempty"`
}

// SessionInfo is sent once when a client connects: its ids and the link
// where anyone with it (and the key, if the server has one) watches its
// processed frames.
type SessionInfo struct {
	ID        string `json:"id"`
	Transport string `json:"transport"`
	Watch     string `json:"watch"` // a path: /watch/{id}
	// WatchKey keeps Watch for this page: sent back in config's watch_key
	// by the page's next connection (a transport switch, a reconnect)
	// within the grace time, it carries the same link on. For the owner
	// alone: never show it or put it in a link.
	WatchKey string `json:"watch_key,omitempty"`
	// Node is the id of the node holding the session (--node-id).
	Node string `json:"node,omitempty"`
}

// Frame is one frame a client sent, as the client layer tracks it.
type Frame struct {
	ID  any    // the client's id for it, if it gave one
	Seq uint64 // the server's count of this client's frames, from 1
}

// Label is how answers name the frame: its id, or else its number.
func (f *Frame) Label() any {
	if f.ID != nil {
		return f.ID
	}
	return f.Seq
}

// Message is one thing to send to a client. A transport's Sender turns
// each into its own bytes; fields not set are not sent.
type Message struct {
	// Frame is the frame answered or refused, if any.
	Frame *Frame
	// Ack is the transport's own handle for the request this answers (a
	// Socket.IO acknowledgement, an HTTP request waiting), or nil.
	Ack any
	// Image is the processed JPEG of an answer (nil for landmarks output).
	// It is the client layer's copy and is never changed: send it as is.
	Image []byte
	// Video is the answer as the client's Encoder wrote it (a VP8 frame),
	// in place of Image; its Data is nil otherwise.
	Video EncodedFrame
	// Reply describes an answered, dropped or refused frame.
	Reply *FrameReply
	// Landmarks are the faces of an answered frame. Transports send them as
	// a landmarks event when WantLandmarks is set (the client asked); HTTP
	// puts them in JSON answers whatever the setting.
	Landmarks     *Landmarks
	WantLandmarks bool
	// Error is a refusal for the error event (frames and settings).
	Error   *ErrorBody
	Config  *ConfigReply
	Session *SessionInfo
}

// IsAnswer reports whether m answers a frame with a processed result: the
// kind of message the outbox keeps only the newest of.
func (m *Message) IsAnswer() bool { return m.Reply != nil && m.Reply.Error == nil }
