package socketio

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/zishang520/engine.io-go-parser/packet"
	eio "github.com/zishang520/engine.io/v2/engine"
)

// Heartbeat limits. Engine.IO 4 pings from the server and expects one pong
// each; Engine.IO 3 clients ping every 25 s and the server answers each.
const (
	// eio3PingBurst and eio3PingEvery bound an Engine.IO 3 client's pings:
	// each is answered with a pong the server must buffer if the client
	// does not read.
	eio3PingBurst = 5
	eio3PingEvery = time.Second
	// maxWaitingPackets bounds Engine.IO's own write buffer. The client
	// layer's outbox hands it one message at a time, so only heartbeats
	// could pile up there.
	maxWaitingPackets = 64
)

// watchHeartbeat closes a session whose client breaks the heartbeat: a
// pong the server never pinged for (which would keep a dead or hostile
// client alive for ever, since Engine.IO resets its ping timer on any
// pong), pings faster than Engine.IO 3 clients send them, or so many
// unanswered packets in Engine.IO's write buffer that the client is not
// reading. It is attached when Engine.IO announces the session, which can
// be after the client's first packets were read: one early pong may pass,
// the next does not.
func watchHeartbeat(sock eio.Socket, log zerolog.Logger) {
	var (
		pinged  atomic.Bool
		waiting atomic.Int64
		closing sync.Once
		mu      sync.Mutex
		tokens  = float64(eio3PingBurst)
		last    = time.Now()
	)
	hangUp := func(why string) {
		closing.Do(func() {
			log.Warn().Str("remote", sock.Request().Request().RemoteAddr).Msg("closing Engine.IO session: " + why)
			go sock.Close(true) // not from inside Engine.IO's own event
		})
	}
	eio3 := sock.Protocol() == 3
	sock.On("packetCreate", func(args ...any) {
		p, _ := args[0].(*packet.Packet)
		if p != nil && p.Type == packet.PING {
			pinged.Store(true)
		}
		if waiting.Add(1) > maxWaitingPackets {
			hangUp("the client does not read (Engine.IO's write buffer is full)")
		}
	})
	sock.On("flush", func(args ...any) {
		if wbuf, ok := args[0].([]*packet.Packet); ok {
			waiting.Add(-int64(len(wbuf)))
		}
	})
	sock.On("packet", func(args ...any) {
		p, _ := args[0].(*packet.Packet)
		if p == nil {
			return
		}
		switch {
		case p.Type == packet.PONG && !eio3:
			if !pinged.CompareAndSwap(true, false) {
				hangUp("a pong the server did not ping for")
			}
		case p.Type == packet.PING && eio3:
			mu.Lock()
			now := time.Now()
			tokens = min(eio3PingBurst, tokens+now.Sub(last).Seconds()/eio3PingEvery.Seconds())
			last = now
			tokens--
			over := tokens < 0
			mu.Unlock()
			if over {
				hangUp("pings faster than one a second")
			}
		}
	})
}

// admissions hold each admitted handshake's leave function from the
// request to the session Engine.IO makes for it.
type admissions struct {
	mu      sync.Mutex
	pending map[*http.Request]func()
}

func (a *admissions) hold(r *http.Request, leave func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.pending == nil {
		a.pending = map[*http.Request]func(){}
	}
	a.pending[r] = leave
}

// claim takes r's leave function for its new session.
func (a *admissions) claim(r *http.Request) func() {
	a.mu.Lock()
	defer a.mu.Unlock()
	leave, ok := a.pending[r]
	if !ok {
		return func() {}
	}
	delete(a.pending, r)
	return leave
}

// drop releases r's admission if no session claimed it.
func (a *admissions) drop(r *http.Request) { a.claim(r)() }
