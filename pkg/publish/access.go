package publish

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Access guards the server with a key: requests must carry it as ?key=,
// as the cookie that a first request with ?key= sets, or as
// "Authorization: Bearer <key>". Requests from this machine (loopback) on
// the local listener need no key, so local use stays open.
type Access struct {
	Key string
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

// Guard wraps a listener's handler. With trustLoopback, requests from a
// loopback address pass without a key; the public tunnel's listener must
// not trust loopback, since ngrok's connections may appear local. Socket.IO
// requests pass through to the Socket.IO server, which refuses the connect
// itself so clients get a connect_error rather than a transport failure.
func (a *Access) Guard(next http.Handler, trustLoopback bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del(TrustedHeader)
		local := trustLoopback && isLoopback(r.RemoteAddr)
		if local {
			r.Header.Set(TrustedHeader, "1")
		}
		// Socket.IO and WebSocket refuse in their own protocol (connect_error,
		// close 1008), which a browser page can see and an HTTP 401 on an
		// upgrade it cannot.
		if a == nil || a.Key == "" || local || strings.HasPrefix(r.URL.Path, "/socket.io/") || r.URL.Path == "/ws" || r.URL.Path == "/healthz" {
			next.ServeHTTP(w, r)
			return
		}
		key := RequestKey(r)
		if !a.matches(key) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tryon"`)
			if strings.HasPrefix(r.URL.Path, "/api/") {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				w.Write([]byte(`{"error":{"code":"unauthorized","message":"this server needs its access key: open the link with ?key=..."}}` + "\n"))
				return
			}
			http.Error(w, "401 unauthorized: this server needs its access key; open the link it printed, with ?key=...", http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("key") != "" {
			http.SetCookie(w, &http.Cookie{Name: CookieName, Value: key, Path: "/", HttpOnly: true,
				SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"})
		}
		next.ServeHTTP(w, r)
	})
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

// OriginAllowed returns a WebSocket origin check: a request without an
// Origin (not from a browser) and a page of this same host pass; so does
// any page when corsOrigin is "*", or a page from corsOrigin itself.
func OriginAllowed(corsOrigin string) func(r *http.Request) bool {
	return func(r *http.Request) bool {
		origin := r.Header.Get("Origin")
		if origin == "" || corsOrigin == "*" || origin == corsOrigin {
			return true
		}
		u, err := url.Parse(origin)
		return err == nil && strings.EqualFold(u.Host, r.Host)
	}
}

// SocketIOAllowed is the Socket.IO connect check: the handshake's headers
// and query, as Engine.IO saw them on the first request.
func (a *Access) SocketIOAllowed(headers http.Header, query map[string][]string, auth any) bool {
	if a == nil || a.Key == "" || headers.Get(TrustedHeader) == "1" {
		return true
	}
	if m, ok := auth.(map[string]any); ok {
		if k, _ := m["key"].(string); a.matches(k) {
			return true
		}
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

func isLoopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
