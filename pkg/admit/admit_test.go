package admit

import (
	"net/http"
	"net/netip"
	"testing"

	"github.com/livetryon/server/pkg/client"
)

// from makes a request from addr, as the server sees it.
func from(addr string) *http.Request {
	r, _ := http.NewRequest("GET", "http://localhost/", nil)
	r.RemoteAddr = addr
	return r
}

func remote(r *http.Request) netip.Addr {
	ap, _ := netip.ParseAddrPort(r.RemoteAddr)
	return ap.Addr()
}

func admitN(t *testing.T, g *Gate, addr string, n int) []func() {
	t.Helper()
	var leaves []func()
	for i := 0; i < n; i++ {
		leave, refused := g.Admit(from(addr))
		if refused != nil {
			t.Fatalf("session %d from %s refused: %+v", i+1, addr, refused)
		}
		leaves = append(leaves, leave)
	}
	return leaves
}

func TestGate(t *testing.T) {
	t.Run("per address", func(t *testing.T) {
		g := New(Limits{MaxSessions: 100, MaxPerAddress: 3, Rate: 1000, Burst: 1000}, remote, nil)
		leaves := admitN(t, g, "192.0.2.1:1000", 3)
		if _, r := g.Admit(from("192.0.2.1:1001")); r == nil || r.Code != client.CodeTooManySessions || r.RetryAfter == 0 {
			t.Fatalf("4th session from one address: %+v, want too_many_sessions with Retry-After", r)
		}
		admitN(t, g, "192.0.2.2:1000", 3) // another address is not affected
		leaves[0]()
		leaves[0]() // a second call changes nothing
		admitN(t, g, "192.0.2.1:1002", 1)
		if _, r := g.Admit(from("192.0.2.1:1003")); r == nil {
			t.Fatal("a session past the cap after one left was admitted")
		}
		if s := g.Stats(); s.Open != 6 || s.RefusedFull != 2 {
			t.Errorf("stats %+v, want 6 open and 2 refused", s)
		}
	})
	t.Run("in all", func(t *testing.T) {
		g := New(Limits{MaxSessions: 4, MaxPerAddress: 3, Rate: 1000, Burst: 1000}, remote, nil)
		admitN(t, g, "192.0.2.1:1", 3)
		admitN(t, g, "192.0.2.2:1", 1)
		if _, r := g.Admit(from("192.0.2.3:1")); r == nil || r.Code != client.CodeTooManySessions {
			t.Fatalf("session past the total: %+v", r)
		}
	})
	t.Run("rate", func(t *testing.T) {
		g := New(Limits{MaxSessions: 100, MaxPerAddress: 100, Rate: 0.001, Burst: 5}, remote, nil)
		for _, leave := range admitN(t, g, "192.0.2.1:1", 5) {
			leave() // closing sessions does not give back the rate
		}
		_, r := g.Admit(from("192.0.2.1:1"))
		if r == nil || r.Code != client.CodeTooManyRequests || r.RetryAfter < 1 {
			t.Fatalf("6th handshake in a burst of 5: %+v, want too_many_requests with Retry-After", r)
		}
		admitN(t, g, "192.0.2.9:1", 5)
		if s := g.Stats(); s.RefusedRate != 1 {
			t.Errorf("stats %+v, want 1 refused for rate", s)
		}
	})
	t.Run("IPv6 per /64", func(t *testing.T) {
		g := New(Limits{MaxSessions: 100, MaxPerAddress: 2, Rate: 1000, Burst: 1000}, remote, nil)
		admitN(t, g, "[2001:db8::1]:1", 1)
		admitN(t, g, "[2001:db8::ffff:2]:1", 1)
		if _, r := g.Admit(from("[2001:db8::3]:1")); r == nil {
			t.Fatal("a third address of the same /64 was admitted past the cap of 2")
		}
		admitN(t, g, "[2001:db8:0:1::1]:1", 1)
	})
}

// TestGateExempt: exempt requests (this machine's) are held to the total
// only, and count in it.
func TestGateExempt(t *testing.T) {
	local := func(r *http.Request) bool { return r.RemoteAddr == "127.0.0.1:1" }
	g := New(Limits{MaxSessions: 10, MaxPerAddress: 1, Rate: 0.001, Burst: 1}, remote, local)
	admitN(t, g, "127.0.0.1:1", 8)
	admitN(t, g, "192.0.2.1:1", 1)
	if _, r := g.Admit(from("192.0.2.1:1")); r == nil {
		t.Fatal("a second session from a remote address passed its cap of 1")
	}
	admitN(t, g, "127.0.0.1:1", 1)
	if _, r := g.Admit(from("127.0.0.1:1")); r == nil || r.Code != client.CodeTooManySessions {
		t.Fatalf("an exempt session past the total: %+v", r)
	}
}
