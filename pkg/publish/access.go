package publish

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/livetryon/server/pkg/apierr"
)

// Access is who may use the server.
//
//   - The key: requests must carry it as ?key=, as the cookie that a first
//     request with ?key= sets, or as "Authorization: Bearer <key>".
//     Requests from this machine on the local listener need no key, so
//     local use stays open; a request is from this machine only when its
//     TCP peer is loopback and it carries no forwarding header (an address
//     in a header, even a trusted proxy's, is never this machine).
//   - Pages: a page on another site, in the user's browser, may not use the
//     server unless its origin is listed (OriginAllowed).
//   - Host names: against DNS rebinding, only names the server knows as its
//     own are served (HostAllowed).
type Access struct {
	Key            string
	TrustedProxies []netip.Prefix // --trusted-proxy: their forwarding headers are believed
	Origins        []string       // --cors-origin: page origins allowed besides the server's own and localhost's; "*" any
	Hosts          []string       // --allowed-host: host names served besides IP literals, localhost and this machine's name; "*" any
	// Refused, if set, is told the code of every request the guard refuses,
	// for the server's metrics.
	Refused func(code string)

	publicHost atomic.Pointer[string] // the public tunnel's host, once known
}

// CookieName holds the key once a page was opened with ?key=, so the page's
// scripts, Socket.IO and API calls carry it without changing their URLs.
const CookieName = "tryon_key"

// TrustedHeader marks a request as coming from this machine; the guard
// sets or removes it on every request, so a client cannot forge it. The
// Socket.IO transport reads it in its connect check.
const TrustedHeader = "X-Tryon-Local"

// NewKey returns a random key of 128 bits in hex.
func NewKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (a *Access) matches(key string) bool {
	return key != "" && subtle.ConstantTimeCompare([]byte(key), []byte(a.Key)) == 1
}

// RequestKey is the key a request carries, from the query, the cookie or
// the Authorization header.
func RequestKey(r *http.Request) string {
	if k := r.URL.Query().Get("key"); k != "" {
		return k
	}
	if c, err := r.Cookie(CookieName); err == nil {
		return c.Value
	}
	if k, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return k
	}
	return ""
}

// Guard wraps a listener's handler: host names, page origins (with the
// CORS answers for allowed ones) and the key. With trustLoopback, requests
// from this machine pass without a key; the public tunnel's listener must
// not trust loopback, since ngrok's connections may appear local.
//
// The WebSocket at /ws refuses a missing key in its own protocol (close
// 1008), which a page can see and an HTTP 401 on an upgrade it cannot.
// Socket.IO handshakes without the key are refused here, before Engine.IO
// allocates a session; requests of an existing session pass to Engine.IO,
// which knows its sessions.
func (a *Access) Guard(next http.Handler, trustLoopback bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del(TrustedHeader)
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" { // probes
			next.ServeHTTP(w, r)
			return
		}
		if !a.HostAllowed(r.Host) {
			a.refused(apierr.CodeUnknownHost)
			apierr.WriteHTTP(w, apierr.New(apierr.CodeUnknownHost, fmt.Sprintf("this server does not answer to the name %q; start it with --allowed-host %s to allow it", apierr.Clip(r.Host, 64), apierr.Clip(r.Host, 64))))
			return
		}
		if !a.OriginAllowed(r) {
			a.refused(apierr.CodeForbiddenOrigin)
			apierr.WriteHTTP(w, apierr.New(apierr.CodeForbiddenOrigin, fmt.Sprintf("pages from %s may not use this server; start it with --cors-origin %s to allow them", apierr.Clip(r.Header.Get("Origin"), 64), apierr.Clip(r.Header.Get("Origin"), 64))))
			return
		}
		if preflight := allowCrossOrigin(w, r); preflight {
			return
		}
		local := trustLoopback && a.isLocal(r)
		if local {
			r.Header.Set(TrustedHeader, "1")
		}
		if a == nil || a.Key == "" || local || r.URL.Path == "/ws" {
			next.ServeHTTP(w, r)
			return
		}
		key := RequestKey(r)
		if strings.HasPrefix(r.URL.Path, "/socket.io/") && (r.URL.Query().Get("sid") != "" || a.matches(key)) {
			next.ServeHTTP(w, r)
			return
		}
		if !a.matches(key) {
			a.refused(apierr.CodeUnauthorized)
			w.Header().Set("WWW-Authenticate", `Bearer realm="tryon"`)
			if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/socket.io/") || strings.HasPrefix(r.URL.Path, "/watch/") {
				apierr.WriteHTTP(w, apierr.New(apierr.CodeUnauthorized, "this server needs its access key: open the link with ?key=..."))
				return
			}
			http.Error(w, "401 unauthorized: this server needs its access key; open the link it printed, with ?key=...", http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("key") != "" {
			// Only a trusted proxy says how the client reached it: over
			// plain HTTP a Secure cookie would not be kept.
			behindHTTPS := a.trusted(peerAddr(r.RemoteAddr)) && r.Header.Get("X-Forwarded-Proto") == "https"
			http.SetCookie(w, &http.Cookie{Name: CookieName, Value: key, Path: "/", HttpOnly: true,
				SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil || behindHTTPS})
		}
		next.ServeHTTP(w, r)
	})
}

func (a *Access) refused(code string) {
	if a.Refused != nil {
		a.Refused(code)
	}
}

// allowCrossOrigin answers CORS for a page of another origin that
// OriginAllowed let through, and answers its preflight itself (a preflight
// carries no key). Socket.IO answers CORS on its own paths.
func allowCrossOrigin(w http.ResponseWriter, r *http.Request) (preflight bool) {
	origin := r.Header.Get("Origin")
	if origin == "" || strings.HasPrefix(r.URL.Path, "/socket.io/") {
		return false
	}
	if u, err := url.Parse(origin); err == nil && strings.EqualFold(u.Host, r.Host) {
		return false // the server's own page
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Add("Vary", "Origin")
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE")
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
	}
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}

// RequestAllowed reports whether r may go on: from this machine through
// the local listener's Guard, or carrying the key. For transports that
// refuse in their own protocol (WebSocket).
func (a *Access) RequestAllowed(r *http.Request) bool {
	if a == nil || a.Key == "" || r.Header.Get(TrustedHeader) == "1" {
		return true
	}
	return a.matches(RequestKey(r))
}

// SocketIOAllowed is the Socket.IO connect check: the handshake's headers
// and query, as Engine.IO saw them on the first request. The Guard has
// already refused a handshake without the key; this check stays so that a
// Socket.IO server mounted without the Guard is still closed.
func (a *Access) SocketIOAllowed(headers http.Header, query map[string][]string, auth any) bool {
	if a == nil || a.Key == "" || headers.Get(TrustedHeader) == "1" {
		return true
	}
	if q := query["key"]; len(q) > 0 && a.matches(q[0]) {
		return true
	}
	r := &http.Request{Header: headers}
	if c, err := r.Cookie(CookieName); err == nil && a.matches(c.Value) {
		return true
	}
	k, _ := strings.CutPrefix(headers.Get("Authorization"), "Bearer ")
	return a.matches(k)
}
