package publish

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestGuard(t *testing.T) {
	a := &Access{Key: "open-sesame", TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		Origins: []string{"https://app.example.com"}, Hosts: []string{"tryon.example.com"}}
	var sawTrusted string
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawTrusted = r.Header.Get(TrustedHeader)
		w.WriteHeader(200)
	})
	cases := []struct {
		name, remote, target string
		header               map[string]string
		trustLoopback        bool
		want                 int
		trusted              string
	}{
		{"loopback on the local listener", "127.0.0.1:5000", "/", nil, true, 200, "1"},
		{"loopback on the public listener", "127.0.0.1:5000", "/", nil, false, 401, ""},
		{"LAN without key", "192.0.2.7:5000", "/", nil, true, 401, ""},
		{"LAN with key", "192.0.2.7:5000", "/?key=open-sesame", nil, true, 200, ""},
		{"wrong key", "192.0.2.7:5000", "/?key=open-sesam", nil, true, 401, ""},
		{"bearer", "192.0.2.7:5000", "/api/v1/stats", map[string]string{"Authorization": "Bearer open-sesame"}, false, 200, ""},
		{"cookie", "192.0.2.7:5000", "/static/app.js", map[string]string{"Cookie": CookieName + "=open-sesame"}, false, 200, ""},
		{"forged trusted header", "192.0.2.7:5000", "/ws", map[string]string{TrustedHeader: "1"}, false, 200, ""},
		{"health needs no key", "192.0.2.7:5000", "/healthz", nil, false, 200, ""},

		// A proxy on this machine forwards requests from anywhere: they
		// are not local, even when the proxy is trusted and the header
		// names loopback (anyone can write 127.0.0.1 into a header).
		{"loopback with X-Forwarded-For", "127.0.0.1:5000", "/api/v1/stats", map[string]string{"X-Forwarded-For": "198.51.100.9"}, true, 401, ""},
		{"loopback with Forwarded", "127.0.0.1:5000", "/", map[string]string{"Forwarded": "for=198.51.100.9"}, true, 401, ""},
		{"loopback with X-Real-IP", "127.0.0.1:5000", "/", map[string]string{"X-Real-IP": "198.51.100.9"}, true, 401, ""},
		{"loopback forging X-Forwarded-For loopback", "127.0.0.1:5000", "/", map[string]string{"X-Forwarded-For": "127.0.0.1"}, true, 401, ""},
		{"trusted proxy for a remote client, no key", "10.1.2.3:5000", "/", map[string]string{"X-Forwarded-For": "198.51.100.9"}, true, 401, ""},
		{"trusted proxy for a remote client, key", "10.1.2.3:5000", "/?key=open-sesame", map[string]string{"X-Forwarded-For": "198.51.100.9"}, true, 200, ""},
		{"trusted proxy for loopback", "10.1.2.3:5000", "/", map[string]string{"X-Forwarded-For": "127.0.0.1"}, true, 401, ""},
		{"trusted proxy for 127.0.0.9", "10.1.2.3:5000", "/", map[string]string{"X-Forwarded-For": "127.0.0.9"}, true, 401, ""},
		{"trusted proxy for ::1", "10.1.2.3:5000", "/", map[string]string{"X-Forwarded-For": "::1"}, true, 401, ""},
		{"trusted proxy, X-Real-IP ::ffff:127.0.0.1", "10.1.2.3:5000", "/", map[string]string{"X-Real-IP": "::ffff:127.0.0.1"}, true, 401, ""},
		{"loopback proxy, empty X-Forwarded-For", "127.0.0.1:5000", "/", map[string]string{"X-Forwarded-For": ""}, true, 401, ""},
		{"remote forging X-Forwarded-For loopback", "192.0.2.7:5000", "/", map[string]string{"X-Forwarded-For": "127.0.0.1"}, true, 401, ""},

		// Socket.IO: a handshake needs the key; a session's requests pass.
		{"Socket.IO handshake without key", "192.0.2.7:5000", "/socket.io/?EIO=4&transport=polling", nil, true, 401, ""},
		{"Socket.IO handshake with key", "192.0.2.7:5000", "/socket.io/?EIO=4&transport=polling&key=open-sesame", nil, true, 200, ""},
		{"Socket.IO session request", "192.0.2.7:5000", "/socket.io/?EIO=4&transport=polling&sid=abc", nil, true, 200, ""},

		// Pages of other sites, and host names.
		{"own page", "127.0.0.1:5000", "/api/v1/stats", map[string]string{"Origin": "http://127.0.0.1:9990"}, true, 200, "1"},
		{"a localhost page", "127.0.0.1:5000", "/api/v1/stats", map[string]string{"Origin": "http://localhost:3000"}, true, 200, "1"},
		{"a listed origin", "127.0.0.1:5000", "/api/v1/stats", map[string]string{"Origin": "https://app.example.com"}, true, 200, "1"},
		{"another site's page", "127.0.0.1:5000", "/api/v1/stats", map[string]string{"Origin": "http://evil.example"}, true, 403, ""},
		{"another site's page on Socket.IO", "127.0.0.1:5000", "/socket.io/?EIO=4&transport=websocket", map[string]string{"Origin": "http://evil.example"}, true, 403, ""},
		{"another site's page on /ws", "127.0.0.1:5000", "/ws", map[string]string{"Origin": "http://evil.example"}, true, 403, ""},
		{"origin null", "127.0.0.1:5000", "/api/v1/stats", map[string]string{"Origin": "null"}, true, 403, ""},
		{"a rebound host name", "127.0.0.1:5000", "/", map[string]string{"Host": "evil.example:9990"}, true, 421, ""},
		{"an allowed host name", "127.0.0.1:5000", "/", map[string]string{"Host": "tryon.example.com"}, true, 200, "1"},
		{"localhost", "127.0.0.1:5000", "/", map[string]string{"Host": "localhost:9990"}, true, 200, "1"},
		{"a LAN address", "192.0.2.7:5000", "/?key=open-sesame", map[string]string{"Host": "192.168.1.20:9990"}, true, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", c.target, nil)
			r.Host = "127.0.0.1:9990"
			r.RemoteAddr = c.remote
			for k, v := range c.header {
				if k == "Host" {
					r.Host = v
				} else {
					r.Header.Set(k, v)
				}
			}
			w := httptest.NewRecorder()
			sawTrusted = "unset"
			a.Guard(ok, c.trustLoopback).ServeHTTP(w, r)
			if w.Code != c.want {
				t.Fatalf("status %d, want %d: %s", w.Code, c.want, w.Body)
			}
			if c.want == 200 && sawTrusted != c.trusted {
				t.Fatalf("handler saw %s=%q, want %q", TrustedHeader, sawTrusted, c.trusted)
			}
		})
	}
}

// TestCrossOriginAnswers: an allowed page of another origin gets CORS
// headers, and its preflight is answered without the key.
func TestCrossOriginAnswers(t *testing.T) {
	a := &Access{Key: "open-sesame", Origins: []string{"https://app.example.com"}}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	r := httptest.NewRequest("OPTIONS", "/api/v1/frames", nil)
	r.Host, r.RemoteAddr = "192.0.2.1:9990", "192.0.2.7:5000"
	r.Header.Set("Origin", "https://app.example.com")
	r.Header.Set("Access-Control-Request-Method", "POST")
	r.Header.Set("Access-Control-Request-Headers", "content-type, x-session-id")
	w := httptest.NewRecorder()
	a.Guard(next, true).ServeHTTP(w, r)
	h := w.Header()
	if w.Code != 204 || h.Get("Access-Control-Allow-Origin") != "https://app.example.com" || h.Get("Access-Control-Allow-Headers") != "content-type, x-session-id" {
		t.Errorf("preflight: %d %v", w.Code, h)
	}
}

func TestSocketIOAllowed(t *testing.T) {
	a := &Access{Key: "open-sesame"}
	if a.SocketIOAllowed(http.Header{}, nil, nil) {
		t.Error("allowed without a key")
	}
	if !a.SocketIOAllowed(http.Header{}, map[string][]string{"key": {"open-sesame"}}, nil) {
		t.Error("refused ?key=")
	}
	if !a.SocketIOAllowed(http.Header{"Cookie": {CookieName + "=open-sesame"}}, nil, nil) {
		t.Error("refused the cookie")
	}
	if a.SocketIOAllowed(http.Header{}, nil, map[string]any{"key": "nope"}) {
		t.Error("allowed a wrong key")
	}
	if !a.SocketIOAllowed(http.Header{TrustedHeader: {"1"}}, nil, nil) {
		t.Error("refused a local client")
	}
	var none *Access
	if !none.SocketIOAllowed(http.Header{}, nil, nil) {
		t.Error("no access key configured, yet refused")
	}
}

func TestNewKeyIsRandom(t *testing.T) {
	if a, b := NewKey(), NewKey(); len(a) != 32 || a == b {
		t.Fatalf("keys %q %q", a, b)
	}
}

// TestKeyCookieSecureBehindHTTPS: behind a trusted proxy that terminates
// TLS and says so (X-Forwarded-Proto: https), the key's cookie is Secure;
// over plain HTTP it cannot be, and a peer that is not a trusted proxy is
// not believed.
func TestKeyCookieSecureBehindHTTPS(t *testing.T) {
	a := &Access{Key: "open-sesame", TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	for _, tc := range []struct {
		peer, proto string
		secure      bool
	}{
		{"127.0.0.1:5000", "https", true},
		{"127.0.0.1:5000", "", false},
		{"203.0.113.7:5000", "https", false}, // not a trusted proxy
	} {
		r := httptest.NewRequest("GET", "/?key=open-sesame", nil)
		r.Host, r.RemoteAddr = "127.0.0.1:9990", tc.peer
		r.Header.Set("X-Forwarded-For", "203.0.113.5")
		if tc.proto != "" {
			r.Header.Set("X-Forwarded-Proto", tc.proto)
		}
		w := httptest.NewRecorder()
		a.Guard(next, true).ServeHTTP(w, r)
		cookies := w.Result().Cookies()
		if w.Code != 200 || len(cookies) != 1 || cookies[0].Name != CookieName || cookies[0].Secure != tc.secure {
			t.Errorf("peer %s, X-Forwarded-Proto %q: %d, cookies %v, want one Secure=%v", tc.peer, tc.proto, w.Code, cookies, tc.secure)
		}
	}
}
