package publish

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// forwardingHeaders are the headers a reverse proxy adds. A request that
// carries one came through a proxy (nginx, caddy, an ssh tunnel on this
// machine) from somewhere else: it is never local, whatever address the
// header names, since anyone can write 127.0.0.1 into one.
var forwardingHeaders = []string{"Forwarded", "X-Forwarded-For", "X-Real-IP"}

// ClientAddr is the address a request comes from, for the per-address
// limits: the peer's, or, when the peer is a trusted proxy, the one it
// forwards for. forwarded says the request carries a forwarding header,
// from a trusted proxy or not.
//
// From a trusted proxy, X-Real-IP comes first (nginx sets it to the
// address that connected to it, replacing any the client sent), unless it
// names a trusted proxy itself; then the right-most hop of X-Forwarded-For
// (or, without it, of Forwarded's for=) that is not a trusted proxy: the
// hops left of it were written by the client and prove nothing. A header
// that does not parse where it is read gives the peer's address: a broken
// chain names no one.
func (a *Access) ClientAddr(r *http.Request) (addr netip.Addr, forwarded bool) {
	peer := peerAddr(r.RemoteAddr)
	forwarded = hasForwarding(r.Header)
	if !forwarded || !a.trusted(peer) {
		return peer, forwarded
	}
	if addr, ok := forwardedClient(r.Header, a.trusted); ok {
		return addr, true
	}
	return peer, true
}

// isLocal reports a request from this machine: its TCP peer is loopback
// and it carries no forwarding header. An address read from a header is
// never local, even from a trusted proxy: a proxy on this machine
// forwards for the whole internet, and a chain can be forged.
func (a *Access) isLocal(r *http.Request) bool {
	return !hasForwarding(r.Header) && peerAddr(r.RemoteAddr).IsLoopback()
}

// hasForwarding reports any forwarding header, even an empty one.
func hasForwarding(h http.Header) bool {
	for _, name := range forwardingHeaders {
		if len(h.Values(name)) > 0 {
			return true
		}
	}
	return false
}

func (a *Access) trusted(ip netip.Addr) bool {
	if a == nil || !ip.IsValid() {
		return false
	}
	for _, p := range a.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// forwardedClient reads the client's address from the headers of a
// trusted proxy; ok is false when they name none that parses.
func forwardedClient(h http.Header, trusted func(netip.Addr) bool) (addr netip.Addr, ok bool) {
	if v := h.Values("X-Real-IP"); len(v) > 0 {
		if len(v) > 1 {
			return netip.Addr{}, false // which one did the proxy write?
		}
		ip, ok := parseHop(v[0])
		if !ok {
			return netip.Addr{}, false
		}
		if !trusted(ip) {
			return ip, true
		}
		// The proxy's own peer is a trusted proxy too (a CDN in front of
		// nginx): the chain tells who came before it.
	}
	hops, ok := forwardedFor(h)
	if !ok || len(hops) == 0 {
		return netip.Addr{}, false
	}
	for i := len(hops) - 1; i >= 0; i-- { // the nearest hop first
		if !hops[i].IsValid() {
			return netip.Addr{}, false // a hop we cannot read: what is left of it is unproven
		}
		if !trusted(hops[i]) {
			return hops[i], true
		}
	}
	return hops[0], true // every hop is a trusted proxy: the farthest one
}

// forwardedFor lists the hops of X-Forwarded-For, or without it of
// Forwarded's for= parameters, farthest first; a hop that does not parse
// is an invalid Addr in its place. ok is false when the header is
// malformed beyond its hops (a Forwarded element without for=).
func forwardedFor(h http.Header) (hops []netip.Addr, ok bool) {
	if v := h.Values("X-Forwarded-For"); len(v) > 0 {
		for _, line := range v {
			for _, part := range strings.Split(line, ",") {
				ip, _ := parseHop(part)
				hops = append(hops, ip)
			}
		}
		return hops, true
	}
	for _, line := range h.Values("Forwarded") {
		for _, elem := range strings.Split(line, ",") {
			var hop netip.Addr
			found := false
			for _, pair := range strings.Split(elem, ";") {
				k, val, isPair := strings.Cut(strings.TrimSpace(pair), "=")
				if isPair && strings.EqualFold(strings.TrimSpace(k), "for") {
					if found {
						return nil, false // two for= in one element
					}
					found = true
					hop, _ = parseHop(val)
				}
			}
			if !found {
				return nil, false
			}
			hops = append(hops, hop)
		}
	}
	return hops, true
}

// parseHop reads 192.0.2.1, 192.0.2.1:4711, 2001:db8::1, "[2001:db8::1]"
// or "[2001:db8::1]:4711"; an IPv4-mapped IPv6 address is read as IPv4.
// Forwarded's obfuscated names ("unknown", "_hidden") do not parse.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	var ip netip.Addr
	if ap, err := netip.ParseAddrPort(s); err == nil {
		ip = ap.Addr()
	} else {
		if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
			s = s[1 : len(s)-1]
		}
		if ip, err = netip.ParseAddr(s); err != nil {
			return netip.Addr{}, false
		}
	}
	if ip.Zone() != "" {
		return netip.Addr{}, false // a zone names a link of the proxy's, not a client
	}
	return ip.Unmap(), true
}

func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, _ := netip.ParseAddr(host)
	return ip.Unmap()
}
