package publish

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestGuard(t *testing.T) {
	a := &Access{Key: "open-sesame"}
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
		{"forged trusted header", "192.0.2.7:5000", "/socket.io/?EIO=4", map[string]string{TrustedHeader: "1"}, false, 200, ""},
		{"health needs no key", "192.0.2.7:5000", "/healthz", nil, false, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", c.target, nil)
			r.RemoteAddr = c.remote
			for k, v := range c.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			sawTrusted = "unset"
			a.Guard(ok, c.trustLoopback).ServeHTTP(w, r)
			if w.Code != c.want {
				t.Fatalf("status %d, want %d", w.Code, c.want)
			}
			if c.want == 200 && sawTrusted != c.trusted {
				t.Fatalf("handler saw %s=%q, want %q", TrustedHeader, sawTrusted, c.trusted)
			}
		})
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
	if !a.SocketIOAllowed(http.Header{}, nil, map[string]any{"key": "open-sesame"}) {
		t.Error("refused auth {key}")
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
