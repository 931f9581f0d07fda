// Package client is the per-client layer between the transports and the
// pipeline. Whatever a client's transport (Socket.IO, WebSocket, HTTP per
// frame), the same code here holds its settings and parses its config
// messages, submits its frames, turns each result into the messages it is
// owed, and sends them through an outbox that keeps only the newest answer
// while the connection is busy. Sessions open on a Hub (hub.go), the one
// place that makes their ids, asks admission and logs them. A transport is
// a thin adapter: it turns its bytes into calls here, and implements
// Sender to turn Messages back into bytes (example_test.go).
package client

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/frame"
	"github.com/livetryon/server/pkg/pipeline"
)

// Sender is a transport's outgoing side. Send writes m to the network and
// returns once the connection has taken it (its drain signal), or fails;
// the outbox calls it from one goroutine per client, so at most one
// message is ever in the transport's hands and the outbox keeps the rest.
// An error means the connection is gone: the client stops sending.
type Sender interface {
	Send(m Message) error
}

// Stream is where a client's answered frames go for people watching them
// (package watch serves it).
type Stream interface {
	ID() string
	Publish(jpeg []byte) // jpeg is never changed after the call
	Close()
}

// Observer is told what happens to clients, for the server's metrics.
// Its methods are called from many goroutines and must not block.
type Observer interface {
	// Opened and Closed bracket each client's life; slow is set when it
	// was disconnected for not reading its messages.
	Opened(transport string)
	Closed(transport string, slow bool)
	// Frame is one frame's outcome: OutcomeAnswered (with its stage
	// timings), OutcomeDropped, OutcomeSkipped, or OutcomeRefused with the
	// error code.
	Frame(transport, outcome, code string, t *pipeline.Timings)
	// OutboxBytes is a change of the bytes held in outboxes.
	OutboxBytes(delta int)
}

// Outcomes of a frame, for Observer.Frame.
const (
	OutcomeAnswered = "answered" // processed and handed to the outbox
	OutcomeDropped  = "dropped"  // a newer frame replaced it before a worker took it
	OutcomeSkipped  = "skipped"  // processed, but a newer answer replaced it in the outbox
	OutcomeRefused  = "refused"  // bad input, with a code
)

// Common is what every client of a server shares, whatever its transport:
// each transport is given it once.
type Common struct {
	// Effects returns the effects a new client starts with.
	Effects func() []effects.Effect
	// OpenStream, if set, gives each client a watch stream.
	OpenStream func() Stream
	// ResumeStream, if set, gives back the stream of an earlier client of
	// the same page (config's watch_key), whose client has left, so that its
	// watch link carries on; false if there is none to resume.
	ResumeStream func(key string) (Stream, bool)
	Outbox       OutboxLimits
	Observer     Observer // nil: nothing observes
	// Admit, if set, decides whether a request may open a session (a
	// connection, or an HTTP session) before anything is allocated for it.
	// A refused request is answered with the refusal; an admitted one's
	// leave is called once when its session ends.
	Admit func(r *http.Request) (leave func(), refused *Refusal)
	// ClientAddr, if set, is the address a request comes from, for the
	// connect line: the client's own behind a trusted proxy, not nginx's.
	ClientAddr func(r *http.Request) string
	Logger     zerolog.Logger
	// Node is the id of the node serving the client (--node-id), for the
	// session message.
	Node string
}

// Refusal is why a request may not open a session, and when to try again
// (its RetryAfter): an apierr.Error, answered with apierr.WriteHTTP.
type Refusal = apierr.Error

// AdmitRequest applies c.Admit to r; without one every request is
// admitted.
func (c Common) AdmitRequest(r *http.Request) (leave func(), refused *Refusal) {
	if c.Admit == nil {
		return func() {}, nil
	}
	return c.Admit(r)
}

// Options set up a client.
type Options struct {
	ID        string // the session's id, told to the client
	LogID     string // for logs and as the pipeline session's id; ID when empty
	Transport string // "socketio", "ws", "http": for logs and SessionInfo
	Limits    frame.Limits
	// Encoder, if set, encodes the client's answers instead of JPEG, into
	// Message.Video: a video track's codec. The watch stream's JPEGs are
	// made here, before it, at the engine's JPEG quality.
	Encoder pipeline.Encoder
	Common

	ended      func(*Client) // the Hub's: called once the client is closed
	writerDone func()        // the Hub's: called when the outbox writer stops
}

// Disconnecter is implemented by Senders that can hang up on their client
// with a reason, for the client layer to disconnect a client too slow to
// read its messages. Without it the client is only closed.
type Disconnecter interface {
	Disconnect(code, reason string)
}

type nopObserver struct{}

func (nopObserver) Opened(string)                                   {}
func (nopObserver) Closed(string, bool)                             {}
func (nopObserver) Frame(string, string, string, *pipeline.Timings) {}
func (nopObserver) OutboxBytes(int)                                 {}

// Client is one connected client, whatever its transport.
type Client struct {
	id, transport string
	node          string
	session       *pipeline.Session
	stream        atomic.Pointer[streamRef] // nil: not watchable; swapped by a resume
	resumeStream  func(key string) (Stream, bool)
	limits        frame.Limits
	log           zerolog.Logger
	refusals      refusalLog
	out           *outbox
	observer      Observer
	frames        atomic.Uint64
	slow          atomic.Bool  // disconnected for not reading
	lastPicture   atomic.Int64 // unix ns of the last JPEG made for the watch stream (WantsPicture)

	ended func(*Client) // nil: opened without a Hub

	mu       sync.Mutex
	settings Settings
	closed   bool
}

// New opens a client on engine whose messages go through send, and starts
// its outbox.
func New(engine *pipeline.Engine, send Sender, opts Options) *Client {
	var fx []effects.Effect
	if opts.Effects != nil {
		fx = opts.Effects()
	}
	logID := opts.LogID
	if logID == "" {
		logID = opts.ID
	}
	c := &Client{
		id: opts.ID, transport: opts.Transport, node: opts.Node, limits: opts.Limits, observer: opts.Observer, ended: opts.ended,
		log:      opts.Logger.With().Str("client", logID).Str("transport", opts.Transport).Logger(),
		settings: NewSettings(fx),
	}
	if c.observer == nil {
		c.observer = nopObserver{}
	}
	if c.limits == (frame.Limits{}) {
		c.limits = engine.Config().Limits
	}
	if opts.OpenStream != nil {
		c.stream.Store(&streamRef{opts.OpenStream()})
	}
	c.resumeStream = opts.ResumeStream
	c.refusals.log = c.log
	c.out = newOutbox(send, opts.Outbox, c.log, outboxHooks{
		held:    c.observer.OutboxBytes,
		skipped: func() { c.observer.Frame(c.transport, OutcomeSkipped, "", nil) },
		slow:    func(held int) { c.tooSlow(send, held) },
		stopped: opts.writerDone,
	})
	enc := opts.Encoder
	if enc != nil && opts.OpenStream != nil {
		enc = watchTap{c: c, next: enc, jpeg: cvjpeg.Options{Quality: engine.Config().JPEGQuality}}
	}
	c.session = engine.NewSession(pipeline.SessionOptions{ID: logID, Effects: fx, Encoder: enc}, receiver{c})
	c.observer.Opened(c.transport)
	return c
}

// tooSlow disconnects a client that kept its outbox full for the grace
// time: it is not reading what it asks for.
func (c *Client) tooSlow(send Sender, held int) {
	if !c.slow.CompareAndSwap(false, true) {
		return
	}
	why := "the client did not read its messages for " + c.out.limits.Grace.String()
	c.log.Warn().Int("held_bytes", held).Msg("disconnecting: " + why)
	if d, ok := send.(Disconnecter); ok {
		d.Disconnect(CodeSlowReader, why)
	}
	c.Close()
}

// CloseSlow closes a client its transport gave up on because it does not
// read (a write timed out), counted like the outbox's own.
func (c *Client) CloseSlow(why string) {
	if !c.slow.CompareAndSwap(false, true) {
		return
	}
	c.log.Warn().Msg("disconnecting: " + why)
	c.Close()
}

// ID is the client's id.
func (c *Client) ID() string { return c.id }

// streamRef holds a client's watch stream, so that it can be swapped
// while workers publish to it.
type streamRef struct{ s Stream }

// watchStream is the client's watch stream now, or nil.
func (c *Client) watchStream() Stream {
	if r := c.stream.Load(); r != nil {
		return r.s
	}
	return nil
}

// Info is what the client is told on connect.
func (c *Client) Info() SessionInfo {
	info := SessionInfo{ID: c.id, Transport: c.transport, Node: c.node}
	if st := c.watchStream(); st != nil {
		info.Watch = "/watch/" + st.ID()
		if k, ok := st.(interface{ Key() string }); ok {
			info.WatchKey = k.Key()
		}
	}
	return info
}

// resume makes the stream an earlier client left under key this
// client's own, and discards the one it was given.
func (c *Client) resume(key string) (Stream, error) {
	if c.resumeStream == nil || c.watchStream() == nil {
		return nil, &effects.FieldError{Field: "watch_key", Message: "this server keeps no watch links to resume"}
	}
	cur := c.watchStream()
	if k, ok := cur.(interface{ Key() string }); ok && k.Key() == key {
		return cur, nil // already this client's: resuming twice is harmless
	}
	old, ok := c.resumeStream(key)
	if !ok {
		return nil, &effects.FieldError{Field: "watch_key", Message: "no watch link waits for this key: its page left more than the grace time ago, or is still connected"}
	}
	c.stream.Store(&streamRef{old})
	if d, ok := cur.(interface{ Discard() }); ok {
		d.Discard()
	} else {
		cur.Close()
	}
	c.log.Info().Str("watch", old.ID()[:8]).Msg("resumed its page's watch link")
	return old, nil
}

// WantsPicture says whether a transport whose answers are not JPEG (a
// video track) should make a JPEG of this answer for the watch stream:
// when someone watches, and once a second otherwise, so a viewer who
// arrives sees a picture at once and the snapshot stays fresh.
func (c *Client) WantsPicture() bool {
	st := c.watchStream()
	if st == nil {
		return false
	}
	if v, ok := st.(interface{ Viewers() int }); ok && v.Viewers() > 0 {
		return true
	}
	now := time.Now().UnixNano()
	last := c.lastPicture.Load()
	return now-last >= int64(time.Second) && c.lastPicture.CompareAndSwap(last, now)
}

// PublishPicture gives the watch stream a JPEG of an answer; jpeg must
// not change afterwards.
func (c *Client) PublishPicture(jpeg []byte) {
	if st := c.watchStream(); st != nil {
		st.Publish(jpeg)
	}
}

// Hello queues the SessionInfo message, for transports that greet.
func (c *Client) Hello() {
	info := c.Info()
	c.out.push(Message{Session: &info})
}

// Settings are the client's current settings.
func (c *Client) Settings() Settings {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.settings
}

// Dropped is how many of the client's frames a newer one replaced.
func (c *Client) Dropped() uint64 { return c.session.Dropped() }

// Skipped is how many answers the outbox replaced by newer ones because
// the connection was still busy.
func (c *Client) Skipped() uint64 { skipped, _, _ := c.out.counts(); return skipped }

// NewFrame numbers a frame the client sent, with its own id if it gave one.
func (c *Client) NewFrame(id any) *Frame { return &Frame{ID: id, Seq: c.frames.Add(1)} }

// tag travels with a frame through the pipeline.
type tag struct {
	frame *Frame
	ack   any
}

// SubmitJPEG hands a frame's JPEG bytes to the pipeline; ack is the
// transport's handle for its answer (nil if none was asked for).
func (c *Client) SubmitJPEG(f *Frame, ack any, jpg []byte) {
	if len(jpg) > c.limits.MaxBytes {
		c.Refuse(f, ack, &frame.Error{Code: frame.CodeTooLarge, Message: tooLarge(len(jpg), c.limits.MaxBytes, "bytes")})
		return
	}
	c.submit(f, ack, pipeline.Input{JPEG: jpg})
}

// SubmitDataURL hands a frame as a JPEG data URL to the pipeline, which
// decodes it on a worker.
func (c *Client) SubmitDataURL(f *Frame, ack any, dataURL string) {
	if n := c.limits.MaxDataURLLen(); len(dataURL) > n {
		// Refuse here rather than queue: the newest-frame slot must not be
		// taken by a frame that will be refused anyway.
		c.Refuse(f, ack, &frame.Error{Code: frame.CodeTooLarge, Message: tooLarge(len(dataURL), n, "characters")})
		return
	}
	c.submit(f, ack, pipeline.Input{DataURL: dataURL})
}

// SubmitImage hands a decoded BGR picture, as a video track gives, to the
// pipeline, which owns it from here on.
func (c *Client) SubmitImage(f *Frame, ack any, img *gocv.Mat, captured time.Time) {
	c.submit(f, ack, pipeline.Input{Image: img, Captured: captured})
}

func (c *Client) submit(f *Frame, ack any, in pipeline.Input) {
	in.Tag = &tag{frame: f, ack: ack}
	if err := c.session.Submit(context.Background(), in); err != nil {
		c.Refuse(f, ack, &frame.Error{Code: CodeShuttingDown, Message: "the server is stopping"})
	}
}

// Refuse answers a frame with an error: an error event, and the frame's
// acknowledgement if it has one.
func (c *Client) Refuse(f *Frame, ack any, e *frame.Error) {
	c.refusals.add(e.Code, e.Message, time.Now())
	// Without a frame it is a message the transport could not read: not
	// counted among frames.
	if f != nil {
		c.observer.Frame(c.transport, OutcomeRefused, e.Code, nil)
	}
	body := &ErrorBody{Code: e.Code, Message: e.Message}
	m := Message{Frame: f, Ack: ack, Error: body}
	if f != nil {
		m.Reply = &FrameReply{ID: f.ID, Dropped: c.Dropped(), Error: body}
	}
	c.out.push(m)
}

// Configure applies a config message (a JSON object) and queues its reply:
// the applied settings, or an error naming the field.
func (c *Client) Configure(raw []byte, ack any) (Settings, error) {
	c.mu.Lock()
	next, err := ApplyConfig(c.settings, raw)
	var resumed Stream
	if err == nil && next.watchKey != "" {
		resumed, err = c.resume(next.watchKey)
		next.watchKey = ""
	}
	if err == nil {
		c.settings = next
		c.session.SetEffects(next.effects...)
		c.session.SetOverlay(next.Overlay)
		if next.Output == "landmarks" {
			c.session.SetOutput(pipeline.OutputLandmarks)
		} else {
			c.session.SetOutput(pipeline.OutputImage)
		}
	}
	c.mu.Unlock()
	if err != nil {
		body := apierr.From(err, CodeBadConfig) // an effects.FieldError names its field
		c.log.Warn().Str("code", body.Code).Str("field", body.Field).Str("config", redactedConfig(raw)).Msg(body.Message)
		c.out.push(Message{Ack: ack, Config: &ConfigReply{Error: body}, Error: body})
		return c.Settings(), err
	}
	c.log.Debug().Interface("settings", next).Msg("config")
	reply := &ConfigReply{OK: true, Config: &next}
	if resumed != nil {
		reply.Watch = "/watch/" + resumed.ID()
	}
	c.out.push(Message{Ack: ack, Config: reply})
	return next, nil
}

// ConfigureValue is Configure for a value already decoded from JSON, as
// Socket.IO hands event arguments over.
func (c *Client) ConfigureValue(v any, ack any) {
	raw, err := json.Marshal(v)
	if err != nil {
		raw = []byte("null")
	}
	c.Configure(raw, ack)
}

// Goodbye tells the client the server is stopping, through its outbox;
// the transport disconnects it soon after.
func (c *Client) Goodbye() {
	c.out.push(Message{Error: &ErrorBody{Code: CodeShuttingDown, Message: "the server is stopping"}})
}

// Close ends the client: its session, its outbox and its watch stream.
// Messages not yet sent are discarded.
func (c *Client) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.mu.Unlock()
	c.session.Close()
	c.out.close()
	if st := c.watchStream(); st != nil {
		st.Close()
	}
	c.refusals.flush(time.Now())
	skipped, overflow, peak := c.out.counts()
	c.observer.Closed(c.transport, c.slow.Load())
	c.log.Info().Uint64("dropped", c.Dropped()).Uint64("answers_skipped", skipped).Uint64("messages_discarded", overflow).
		Int("outbox_peak_bytes", peak).Bool("slow", c.slow.Load()).Msg("disconnect")
	if c.ended != nil {
		c.ended(c)
	}
}
