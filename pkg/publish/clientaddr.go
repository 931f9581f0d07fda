package publish

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// forwardingHeaders are the headers a reverse proxy adds. A request from
// loopback that carries one came through a proxy on this machine (nginx,
// caddy, an ssh tunnel) from somewhere else, so it is not local.
var forwardingHeaders = []string{"Forwarded", "X-Forwarded-For", "X-Real-IP"}

// ClientAddr is the address a request comes from: the peer's, or, when the
// peer is a trusted proxy, the address the proxy says it forwards for (the
// nearest one in X-Forwarded-For or Forwarded that is not itself a trusted
// proxy, or X-Real-IP). forwarded says the request came through a proxy,
// trusted or not.
func (a *Access) ClientAddr(r *http.Request) (addr netip.Addr, forwarded bool) {
	peer := peerAddr(r.RemoteAddr)
	for _, h := range forwardingHeaders {
		if r.Header.Get(h) != "" {
			forwarded = true
		}
	}
	if !forwarded || !a.trusted(peer) {
		return peer, forwarded
	}
	hops := forwardedFor(r)
	for i := len(hops) - 1; i >= 0; i-- { // the nearest hop first
		if !a.trusted(hops[i]) {
			return hops[i], true
		}
	}
	if ip, err := netip.ParseAddr(strings.TrimSpace(r.Header.Get("X-Real-IP"))); err == nil {
		return ip.Unmap(), true
	}
	if len(hops) > 0 {
		return hops[0], true // every hop is a trusted proxy: the farthest one
	}
	return peer, true
}

// isLocal reports a request from this machine: from loopback with no
// forwarding headers, or forwarded by a trusted proxy for a loopback
// address.
func (a *Access) isLocal(r *http.Request) bool {
	addr, forwarded := a.ClientAddr(r)
	if forwarded && !a.trusted(peerAddr(r.RemoteAddr)) {
		return false
	}
	return addr.IsLoopback()
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

// forwardedFor lists the addresses in X-Forwarded-For and Forwarded's
// for= parameters, farthest first; unparseable entries are skipped.
func forwardedFor(r *http.Request) []netip.Addr {
	var hops []netip.Addr
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for _, part := range strings.Split(v, ",") {
			if ip, ok := parseHop(part); ok {
				hops = append(hops, ip)
			}
		}
	}
	if len(hops) > 0 {
		return hops
	}
	for _, v := range r.Header.Values("Forwarded") {
		for _, elem := range strings.Split(v, ",") {
			for _, pair := range strings.Split(elem, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(k, "for") {
					if ip, ok := parseHop(val); ok {
						hops = append(hops, ip)
					}
				}
			}
		}
	}
	return hops
}

// parseHop reads 192.0.2.1, "[2001:db8::1]:4711" or 192.0.2.1:4711.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.Trim(strings.TrimSpace(s), `"`)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	ip, err := netip.ParseAddr(s)
	return ip.Unmap(), err == nil
}

func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, _ := netip.ParseAddr(host)
	return ip.Unmap()
}
