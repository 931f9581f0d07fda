package publish

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
)

// OriginAllowed reports whether a browser page from r's Origin may use the
// server. Requests without an Origin (not from a page's script: curl, apps,
// <img>, top-level navigations) pass; so do the server's own pages (Origin
// host equal to Host), pages on localhost or 127.0.0.1 at any port, and the
// origins of --cors-origin ("*" for any). A page on another site, opened in
// the user's browser, must not drive the user's local server and read its
// camera frames.
func (a *Access) OriginAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) || isLoopbackName(u.Hostname()) {
		return true
	}
	if a == nil {
		return false
	}
	for _, o := range a.Origins {
		if o == "*" || strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	return false
}

// HostAllowed reports whether the Host a request names is one this server
// answers to, against DNS rebinding: a name of the attacker's that resolves
// to this machine makes the attacker's page same-origin with the server.
// IP literals cannot be rebound and always pass, as do localhost, this
// machine's own name (and name.local), the public tunnel's host, and the
// names of --allowed-host ("*" for any).
func (a *Access) HostAllowed(host string) bool {
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.TrimSuffix(strings.ToLower(strings.Trim(name, "[]")), ".")
	if name == "" {
		return true // HTTP/1.0 without Host: it named no site
	}
	if _, err := netip.ParseAddr(name); err == nil || isLoopbackName(name) {
		return true
	}
	if self, err := os.Hostname(); err == nil {
		self = strings.ToLower(self)
		if name == self || name == self+".local" {
			return true
		}
	}
	if a == nil {
		return false
	}
	if p := a.publicHost.Load(); p != nil && name == *p {
		return true
	}
	for _, h := range a.Hosts {
		h = strings.ToLower(h)
		if h == "*" || name == h || (strings.HasPrefix(h, "*.") && strings.HasSuffix(name, h[1:])) {
			return true
		}
	}
	return false
}

// SetPublicHost adds the public tunnel's host name to the served hosts
// once the tunnel knows it.
func (a *Access) SetPublicHost(publicURL string) {
	if u, err := url.Parse(publicURL); err == nil && u.Hostname() != "" {
		h := strings.ToLower(u.Hostname())
		a.publicHost.Store(&h)
	}
}

func isLoopbackName(name string) bool {
	name = strings.ToLower(name)
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(name, "[]"))
	return err == nil && ip.IsLoopback()
}
