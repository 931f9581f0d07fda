// Package admit bounds the sessions the server holds: in all, per client
// address, and how fast one address may open new ones. Every transport
// asks a Gate before it allocates anything for a session (an Engine.IO
// handshake, a WebSocket upgrade, a new HTTP session), so a flood of
// handshakes costs a map lookup each and is refused with a clear code.
package admit

import (
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livetryon/server/pkg/client"
)

// Limits of a Gate. Zero fields take the defaults noted.
type Limits struct {
	// MaxSessions bounds the sessions open at once, of every transport.
	// Default 512.
	MaxSessions int
	// MaxPerAddress bounds one client address's open sessions (IPv6
	// addresses count per /64, what one subscriber gets). Default 64.
	MaxPerAddress int
	// Rate is the new sessions one address may open a second, sustained,
	// after a burst of Burst. Defaults 2 and 20: a page opens one per load.
	Rate  float64
	Burst int
}

// DefaultLimits are the limits of a zero Limits.
var DefaultLimits = Limits{MaxSessions: 512, MaxPerAddress: 64, Rate: 2, Burst: 20}

func (l Limits) withDefaults() Limits {
	if l.MaxSessions <= 0 {
		l.MaxSessions = DefaultLimits.MaxSessions
	}
	if l.MaxPerAddress <= 0 {
		l.MaxPerAddress = DefaultLimits.MaxPerAddress
	}
	if l.Rate <= 0 {
		l.Rate = DefaultLimits.Rate
	}
	if l.Burst <= 0 {
		l.Burst = DefaultLimits.Burst
	}
	return l
}

// maxAddresses bounds the addresses a Gate remembers; past it, addresses
// it does not know are refused until idle ones are forgotten.
const maxAddresses = 1 << 16

// Gate admits or refuses new sessions.
type Gate struct {
	limits Limits
	addrOf func(*http.Request) netip.Addr
	exempt func(*http.Request) bool

	mu    sync.Mutex
	open  int
	addrs map[netip.Prefix]*address

	refusedFull, refusedRate atomic.Uint64
}

// address is what a Gate knows of one client address.
type address struct {
	open   int
	tokens float64 // new sessions it may open now
	at     time.Time
}

// New makes a Gate; addrOf gives a request's client address (the proxy's
// forwarded one where the proxy is trusted). Requests for which exempt
// (if set) is true are held to MaxSessions only, not to the per-address
// limits: the server's own machine, whose load tools and test pages open
// many sessions.
func New(limits Limits, addrOf func(*http.Request) netip.Addr, exempt func(*http.Request) bool) *Gate {
	if exempt == nil {
		exempt = func(*http.Request) bool { return false }
	}
	return &Gate{limits: limits.withDefaults(), addrOf: addrOf, exempt: exempt, addrs: map[netip.Prefix]*address{}}
}

// Limits are the gate's limits, defaults applied.
func (g *Gate) Limits() Limits { return g.limits }

// prefixOf groups an address with those of the same subscriber.
func prefixOf(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p
	}
	return netip.PrefixFrom(a, 32)
}

// Admit decides whether r may open a session. An admitted request's leave
// must be called once when its session ends; it is safe to call it more.
func (g *Gate) Admit(r *http.Request) (leave func(), refused *client.Refusal) {
	key := prefixOf(g.addrOf(r))
	exempt := g.exempt(r)
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open >= g.limits.MaxSessions {
		g.refusedFull.Add(1)
		return nil, &client.Refusal{Code: client.CodeTooManySessions, RetryAfter: 10,
			Message: fmt.Sprintf("the server holds %d sessions, its limit; try again later", g.limits.MaxSessions)}
	}
	if exempt {
		g.open++
		var once sync.Once
		return func() { once.Do(g.leaveExempt) }, nil
	}
	a := g.addrs[key]
	if a == nil {
		if len(g.addrs) >= maxAddresses {
			g.forget(now)
		}
		if len(g.addrs) >= maxAddresses {
			g.refusedRate.Add(1)
			return nil, &client.Refusal{Code: client.CodeTooManyRequests, RetryAfter: 10,
				Message: "the server is opening sessions for too many addresses; try again later"}
		}
		a = &address{tokens: float64(g.limits.Burst), at: now}
		g.addrs[key] = a
	}
	a.tokens = min(float64(g.limits.Burst), a.tokens+now.Sub(a.at).Seconds()*g.limits.Rate)
	a.at = now
	switch {
	case a.open >= g.limits.MaxPerAddress:
		g.refusedFull.Add(1)
		return nil, &client.Refusal{Code: client.CodeTooManySessions, RetryAfter: 10,
			Message: fmt.Sprintf("this address holds %d sessions, the limit per address; close some first", g.limits.MaxPerAddress)}
	case a.tokens < 1:
		g.refusedRate.Add(1)
		wait := int(math.Ceil((1 - a.tokens) / g.limits.Rate))
		return nil, &client.Refusal{Code: client.CodeTooManyRequests, RetryAfter: wait,
			Message: fmt.Sprintf("this address opens sessions faster than %g a second; try again in %d s", g.limits.Rate, wait)}
	}
	a.tokens--
	a.open++
	g.open++
	var once sync.Once
	return func() { once.Do(func() { g.leave(key) }) }, nil
}

func (g *Gate) leaveExempt() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open--
}

func (g *Gate) leave(key netip.Prefix) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open--
	if a := g.addrs[key]; a != nil {
		a.open--
	}
}

// forget drops the addresses with no session whose tokens have refilled:
// remembering them would change nothing. g.mu is held.
func (g *Gate) forget(now time.Time) {
	full := time.Duration(float64(g.limits.Burst) / g.limits.Rate * float64(time.Second))
	for k, a := range g.addrs {
		if a.open == 0 && now.Sub(a.at) >= full {
			delete(g.addrs, k)
		}
	}
}

// Stats are a Gate's counters.
type Stats struct {
	Open        int    `json:"open"`         // sessions open now, every transport
	RefusedFull uint64 `json:"refused_full"` // refused: the server or the address holds its limit
	RefusedRate uint64 `json:"refused_rate"` // refused: the address opened them too fast
	Addresses   int    `json:"addresses"`    // client addresses remembered
}

// Stats returns the counters.
func (g *Gate) Stats() Stats {
	g.mu.Lock()
	defer g.mu.Unlock()
	return Stats{Open: g.open, RefusedFull: g.refusedFull.Load(), RefusedRate: g.refusedRate.Load(), Addresses: len(g.addrs)}
}
