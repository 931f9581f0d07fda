package socketio_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/frame"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/transport/socketio"
)

var testLimits = frame.Limits{MaxBytes: 256 << 10, MaxPixels: 1920 * 1080, MaxSide: 4096}

// startServer runs the real Socket.IO server on 127.0.0.1 in front of the
// real pipeline.
func startServer(t *testing.T) string {
	t.Helper()
	cfg := pipeline.DefaultConfig()
	cfg.Limits = testLimits
	engine, err := pipeline.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hub := client.NewHub(engine, client.Common{Effects: func() []pipeline.Effect { return []pipeline.Effect{effects.DefaultLipstick} }})
	sio := socketio.New(hub, socketio.Options{CORS: true})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", sio.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		sio.Close(context.Background())
		hub.Close(context.Background())
		engine.Close(context.Background())
	})
	return srv.URL
}

type step struct {
	name string
	file string // payload text file
	json any    // or a JSON value
	code string // expected error code; "" expects response_back
	sent []byte // the JPEG sent, when not the default frame
}

type stepResult struct {
	Event   string `json:"event"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Prefix  string `json:"prefix"`
	File    string `json:"file"`
}

type runResult struct {
	Results      []stepResult `json:"results"`
	Transport    string       `json:"transport"`
	ConnectError string       `json:"connectError"`
	Fatal        string       `json:"fatal"`
}

// runNodeClient drives the official socket.io-client from npm through the
// steps, in Node, and returns what it saw.
func runNodeClient(t *testing.T, url string, version int, transport string, steps []step) runResult {
	t.Helper()
	script := testmedia.RepoPath("test/js/client.js")
	if _, err := os.Stat(testmedia.RepoPath("test/js/node_modules/socket.io-client-v4")); err != nil {
		t.Fatal("socket.io clients are not installed: run `npm ci` in test/js (`go tool task test` does)")
	}
	dir := t.TempDir()
	planSteps := make([]map[string]any, len(steps))
	for i, s := range steps {
		if s.file != "" {
			planSteps[i] = map[string]any{"file": s.file}
		} else {
			planSteps[i] = map[string]any{"json": s.json}
		}
	}
	plan, _ := json.Marshal(map[string]any{"url": url, "version": version, "transport": transport, "outDir": dir, "steps": planSteps})
	planFile := filepath.Join(dir, "plan.json")
	if err := os.WriteFile(planFile, plan, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("node", script, planFile).Output()
	if err != nil {
		t.Fatalf("node client: %v\n%s", err, out)
	}
	var res runResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("node client output %q: %v", out, err)
	}
	if res.ConnectError != "" || res.Fatal != "" {
		t.Fatalf("node client: connect error %q, fatal %q", res.ConnectError, res.Fatal)
	}
	return res
}

func writePayload(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSeedProtocolWithOfficialClients runs the tutorial's protocol with the
// official socket.io-client 2.x and 4.x over WebSocket and long-polling:
// every bad input gets an error event on the same connection, and a good
// frame sent after them is still answered with lipstick on.
func TestSeedProtocolWithOfficialClients(t *testing.T) {
	url := startServer(t)
	jpg := testmedia.WebcamJPEG(t)
	dir := t.TempDir()
	good := writePayload(t, dir, "good.txt", testmedia.DataURL(jpg))
	big98 := testmedia.WebcamJPEGQuality(t, 98)
	if len(big98) < 70<<10 {
		t.Fatalf("quality-98 frame is %d bytes; the test needs one over 64 KiB", len(big98))
	}
	big := writePayload(t, dir, "big98.txt", testmedia.DataURL(big98))
	bomb := append([]byte(nil), jpg...)
	for i := 0; i+8 < len(bomb); i++ {
		if bomb[i] == 0xFF && bomb[i+1] == 0xC0 { // declare 60000x60000
			bomb[i+5], bomb[i+6], bomb[i+7], bomb[i+8] = 0xEA, 0x60, 0xEA, 0x60
			break
		}
	}
	steps := []step{
		{name: "good", file: good},
		{name: "not a string", json: 42, code: frame.CodeBadPayload},
		{name: "not a data URL", file: writePayload(t, dir, "plain.txt", "hello"), code: frame.CodeNotDataURL},
		{name: "bad base64", file: writePayload(t, dir, "b64.txt", "data:image/jpeg;base64,%%%%"), code: frame.CodeBadBase64},
		{name: "not a JPEG", file: writePayload(t, dir, "png.txt", "data:image/jpeg;base64,"+base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\nnot a jpeg"))), code: frame.CodeNotJPEG},
		{name: "too large", file: writePayload(t, dir, "big.txt", "data:image/jpeg;base64,"+strings.Repeat("A", testLimits.MaxDataURLLen())), code: frame.CodeTooLarge},
		{name: "too many pixels", file: writePayload(t, dir, "bomb.txt", testmedia.DataURL(bomb)), code: frame.CodeTooManyPixels},
		{name: "good after bad", file: good},
		// Over 64 KiB, the size at which upstream's polling parser gave up.
		{name: "good at quality 98", file: big, sent: big98},
	}
	for _, version := range []int{2, 4} {
		for _, transport := range []string{"websocket", "polling"} {
			t.Run(fmt.Sprintf("v%d-%s", version, transport), func(t *testing.T) {
				t.Parallel()
				res := runNodeClient(t, url, version, transport, steps)
				if res.Transport != transport {
					t.Errorf("client ended on transport %q, want %q", res.Transport, transport)
				}
				if len(res.Results) != len(steps) {
					t.Fatalf("%d results for %d steps", len(res.Results), len(steps))
				}
				for i, s := range steps {
					r := res.Results[i]
					if s.code != "" {
						if r.Event != "error" || r.Code != s.code || r.Message == "" {
							t.Errorf("%s: got %+v, want error %s", s.name, r, s.code)
						}
						continue
					}
					if r.Event != "response_back" || r.Prefix != "data:image/jpeg;base64," {
						t.Errorf("%s: got %+v, want response_back data URL", s.name, r)
						continue
					}
					sent := jpg
					if s.sent != nil {
						sent = s.sent
					}
					checkLipstick(t, s.name, r.File, sent)
				}
			})
		}
	}
}

// checkLipstick decodes an answered data URL and checks that the lips are
// redder than in the frame sent.
func checkLipstick(t *testing.T, name, file string, sent []byte) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	jpg, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(string(data), "data:image/jpeg;base64,"))
	if err != nil {
		t.Fatalf("%s: answer is not base64: %v", name, err)
	}
	lipstickOn(t, name, jpg, sent)
}

// lipstickOn checks that an answer is a 640x480 JPEG whose lips are redder
// than in the frame sent.
func lipstickOn(t *testing.T, name string, jpg, sent []byte) {
	t.Helper()
	out, err := cvjpeg.Decode(jpg)
	if err != nil || out.Cols() != 640 || out.Rows() != 480 {
		t.Fatalf("%s: answer does not decode to 640x480 (%v)", name, err)
	}
	defer out.Close()
	in, _ := cvjpeg.Decode(sent)
	defer in.Close()
	faces := testmedia.Faces(t, sent)
	if len(faces) != 1 {
		t.Fatalf("%s: want one face in the frame sent, got %d", name, len(faces))
	}
	lip := testmedia.LipPoint(faces[0])
	before, after := testmedia.Redness(in, lip), testmedia.Redness(out, lip)
	if after < before+10 {
		t.Errorf("%s: lip redness %d, sent %d: no lipstick", name, after, before)
	}
}
