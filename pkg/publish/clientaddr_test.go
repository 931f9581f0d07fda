package publish

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// TestClientAddr: which address the per-address limits see, and that no
// forwarded address is ever this machine.
func TestClientAddr(t *testing.T) {
	a := &Access{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}}
	cases := []struct {
		name, remote string
		header       http.Header
		want         string
	}{
		{"not forwarded", "198.51.100.1:4000", nil, "198.51.100.1"},
		{"untrusted peer's header is ignored", "198.51.100.1:4000", http.Header{"X-Forwarded-For": {"203.0.113.5"}}, "198.51.100.1"},
		{"one hop", "127.0.0.1:4000", http.Header{"X-Forwarded-For": {"203.0.113.5"}}, "203.0.113.5"},
		// nginx's $proxy_add_x_forwarded_for appends the address that
		// connected to it: what the client wrote before it is a lie.
		{"forged hops left of the real one", "127.0.0.1:4000", http.Header{"X-Forwarded-For": {"127.0.0.9, 1.2.3.4, 203.0.113.5"}}, "203.0.113.5"},
		{"trusted hops skipped", "127.0.0.1:4000", http.Header{"X-Forwarded-For": {"203.0.113.5, 10.0.0.2, 10.0.0.3"}}, "203.0.113.5"},
		{"two header lines are one list", "127.0.0.1:4000", http.Header{"X-Forwarded-For": {"192.0.2.1", "203.0.113.5, 10.0.0.3"}}, "203.0.113.5"},
		{"only trusted hops: the farthest", "127.0.0.1:4000", http.Header{"X-Forwarded-For": {"10.0.0.2, 10.0.0.3"}}, "10.0.0.2"},
		{"X-Real-IP first", "127.0.0.1:4000", http.Header{"X-Real-IP": {"203.0.113.7"}, "X-Forwarded-For": {"203.0.113.5"}}, "203.0.113.7"},
		{"X-Real-IP a trusted proxy: the chain", "127.0.0.1:4000", http.Header{"X-Real-IP": {"10.0.0.3"}, "X-Forwarded-For": {"198.51.100.2, 203.0.113.5, 10.0.0.3"}}, "203.0.113.5"},
		{"X-Real-IP mapped IPv4", "127.0.0.1:4000", http.Header{"X-Real-IP": {"::ffff:203.0.113.7"}}, "203.0.113.7"},
		{"IPv6 hop with port", "127.0.0.1:4000", http.Header{"X-Forwarded-For": {"[2001:db8::1]:4711"}}, "2001:db8::1"},
		{"Forwarded", "127.0.0.1:4000", http.Header{"Forwarded": {`for=192.0.2.60;proto=http, for="[2001:db8:cafe::17]:4711"`}}, "2001:db8:cafe::17"},
		{"X-Forwarded-For before Forwarded", "127.0.0.1:4000", http.Header{"Forwarded": {"for=192.0.2.60"}, "X-Forwarded-For": {"203.0.113.5"}}, "203.0.113.5"},

		// Malformed: the peer.
		{"garbage", "127.0.0.1:4000", http.Header{"X-Forwarded-For": {"not an address"}}, "127.0.0.1"},
		{"empty", "127.0.0.1:4000", http.Header{"X-Forwarded-For": {""}}, "127.0.0.1"},
		{"garbage nearest", "127.0.0.1:4000", http.Header{"X-Forwarded-For": {"203.0.113.5, junk"}}, "127.0.0.1"},
		{"empty hop nearest", "127.0.0.1:4000", http.Header{"X-Forwarded-For": {"203.0.113.5,"}}, "127.0.0.1"},
		{"garbage X-Real-IP", "127.0.0.1:4000", http.Header{"X-Real-IP": {"203.0.113.7, 1.2.3.4"}, "X-Forwarded-For": {"203.0.113.5"}}, "127.0.0.1"},
		{"two X-Real-IP", "127.0.0.1:4000", http.Header{"X-Real-IP": {"203.0.113.7", "203.0.113.8"}}, "127.0.0.1"},
		{"zone", "127.0.0.1:4000", http.Header{"X-Forwarded-For": {"fe80::1%eth0"}}, "127.0.0.1"},
		{"Forwarded unknown", "127.0.0.1:4000", http.Header{"Forwarded": {"for=unknown"}}, "127.0.0.1"},
		{"Forwarded without for", "127.0.0.1:4000", http.Header{"Forwarded": {"proto=https"}}, "127.0.0.1"},
		{"huge", "127.0.0.1:4000", http.Header{"X-Forwarded-For": {strings.Repeat("1.2.3.4,", 100000) + "x"}}, "127.0.0.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.remote
			for k, vs := range c.header {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			got, forwarded := a.ClientAddr(r)
			if got != netip.MustParseAddr(c.want) {
				t.Errorf("ClientAddr %v, want %s", got, c.want)
			}
			if forwarded != (c.header != nil) {
				t.Errorf("forwarded %v with headers %v", forwarded, c.header)
			}
			if a.isLocal(r) != (c.header == nil && netip.MustParseAddr(c.want).IsLoopback()) {
				t.Errorf("isLocal %v", a.isLocal(r))
			}
		})
	}
}

// FuzzClientAddr: no header makes the parser panic, makes a forwarded
// request local, or names an address when the peer is not trusted.
func FuzzClientAddr(f *testing.F) {
	for _, s := range []string{
		"127.0.0.9", "::1", "::ffff:127.0.0.1", "[::1]:80", "127.0.0.1, 203.0.113.5",
		"203.0.113.5, 127.0.0.1", ",,,", "", " ", `"`, `"[`, "[", "]", "[::1", "::1]",
		"1.2.3.4:99999", "fe80::1%eth0", "for=127.0.0.1", `for="[::1]:80";by=_x, for=unknown`,
		"for=;for=", ";;;,,,", "0.0.0.0", "255.255.255.255", "\x00", "1.2.3.4\r\nX: y",
		strings.Repeat("1,", 1000),
	} {
		f.Add("127.0.0.1:4000", s, s, s)
		f.Add("192.0.2.7:4000", s, "", "")
		f.Add("127.0.0.1:4000", "", s, "")
		f.Add("[::1]:4000", "", "", s)
	}
	a := &Access{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	f.Fuzz(func(t *testing.T, remote, xff, realIP, forwarded string) {
		r := &http.Request{RemoteAddr: remote, Header: http.Header{}}
		for name, v := range map[string]string{"X-Forwarded-For": xff, "X-Real-IP": realIP, "Forwarded": forwarded} {
			if v != "" {
				r.Header.Set(name, v)
			}
		}
		addr, fwd := a.ClientAddr(r)
		peer := peerAddr(remote)
		if fwd != (len(r.Header) > 0) {
			t.Fatalf("forwarded %v with %d headers", fwd, len(r.Header))
		}
		if fwd && a.isLocal(r) {
			t.Fatalf("a forwarded request is local: %v %q", addr, r.Header)
		}
		if !a.trusted(peer) && addr != peer {
			t.Fatalf("an untrusted peer %v is read as %v", peer, addr)
		}
		if peer.IsValid() && !addr.IsValid() {
			t.Fatalf("no address from peer %v and %q", peer, r.Header)
		}
		if addr.Zone() != "" || addr.Is4In6() {
			t.Fatalf("address %v keeps a zone or an IPv4 mapping", addr)
		}
	})
}
