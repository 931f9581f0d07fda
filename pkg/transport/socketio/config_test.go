package socketio_test

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/sioclient"
	"github.com/livetryon/server/internal/testmedia"
)

// call emits an event with an acknowledgement and waits for the reply.
func call(t *testing.T, c *sioclient.Client, event string, arg any) map[string]any {
	t.Helper()
	reply := make(chan []json.RawMessage, 1)
	if err := c.EmitWithAck(event, func(args []json.RawMessage) { reply <- args }, arg); err != nil {
		t.Fatal(err)
	}
	select {
	case args := <-reply:
		var m map[string]any
		if len(args) != 1 || json.Unmarshal(args[0], &m) != nil {
			t.Fatalf("%s: bad ack %s", event, args)
		}
		return m
	case <-time.After(15 * time.Second):
		t.Fatalf("%s: no ack", event)
	}
	return nil
}

func dial(t *testing.T, url string) *sioclient.Client {
	t.Helper()
	c, err := sioclient.Dial(url, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func decodeImage(t *testing.T, dataURL any) gocv.Mat {
	t.Helper()
	s, _ := dataURL.(string)
	jpg, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "data:image/jpeg;base64,"))
	if err != nil {
		t.Fatalf("not a data URL: %.40q", s)
	}
	m, err := cvjpeg.Decode(jpg)
	if err != nil || m.Empty() {
		t.Fatal("answer does not decode")
	}
	return m
}

// TestConfigPerConnection: settings are acknowledged and applied, bad ones
// are refused with the field named, and two clients with different settings
// get different frames.
func TestConfigPerConnection(t *testing.T) {
	url := startServer(t)
	jpg := testmedia.WebcamJPEG(t)
	face := testmedia.Faces(t, jpg)[0]
	frame := map[string]any{"id": "f1", "image": testmedia.DataURL(jpg)}

	plain := dial(t, url)   // keeps the defaults: lipstick
	glasses := dial(t, url) // asks for sunglasses and no lipstick
	ack := call(t, glasses, "config", map[string]any{"effects": []any{map[string]any{"name": "glasses", "style": "aviator"}}})
	if ack["ok"] != true {
		t.Fatalf("config refused: %v", ack)
	}
	cfg := ack["config"].(map[string]any)
	if fx := cfg["effects"].([]any); len(fx) != 1 || fx[0].(map[string]any)["style"] != "aviator" {
		t.Fatalf("applied settings %v", cfg)
	}

	for _, bad := range []struct {
		cfg   any
		field string
	}{
		{map[string]any{"effects": []any{map[string]any{"name": "hat"}}}, "effects[0].name"},
		{map[string]any{"effects": []any{map[string]any{"name": "lipstick", "color": "red"}}}, "effects[0].color"},
		{map[string]any{"effects": []any{map[string]any{"name": "lipstick", "strength": 3}}}, "effects[0].strength"},
		{map[string]any{"effects": []any{map[string]any{"name": "glasses", "style": "monocle"}}}, "effects[0].style"},
		{map[string]any{"output": "video"}, "output"},
		{map[string]any{"landmarks": "yes"}, "landmarks"},
		{map[string]any{"colour": "#fff"}, "colour"},
		{"lipstick", "config"},
	} {
		a := call(t, glasses, "config", bad.cfg)
		e, _ := a["error"].(map[string]any)
		if a["ok"] != false || e == nil || e["field"] != bad.field || e["code"] != "bad_config" {
			t.Errorf("config %v: ack %v, want bad_config naming %q", bad.cfg, a, bad.field)
		}
	}

	// A refused config leaves the previous settings in force.
	withGlasses := call(t, glasses, "image", frame)
	withLipstick := call(t, plain, "image", frame)
	for _, a := range []map[string]any{withGlasses, withLipstick} {
		if a["id"] != "f1" || a["faces"] != 1.0 || a["error"] != nil {
			t.Fatalf("image ack %v", a)
		}
	}
	src, _ := cvjpeg.Decode(jpg)
	defer src.Close()
	g := decodeImage(t, withGlasses["image"])
	defer g.Close()
	l := decodeImage(t, withLipstick["image"])
	defer l.Close()
	lip := testmedia.LipPoint(face)
	if testmedia.Redness(l, lip) < testmedia.Redness(src, lip)+10 {
		t.Error("the default client's lips are not tinted")
	}
	if d := testmedia.Redness(g, lip) - testmedia.Redness(src, lip); d > 6 || d < -6 {
		t.Errorf("the glasses client's lips changed (%d): its settings leaked", d)
	}
	d := face.Points.InterOcular()
	below := face.Points[44]
	below.Y += int(0.25 * d)
	if sum(g.GetVecbAt(below.Y, below.X)) > sum(src.GetVecbAt(below.Y, below.X))-60 {
		t.Error("the glasses client has no tinted lens below the eye")
	}
	if sum(l.GetVecbAt(below.Y, below.X)) < sum(src.GetVecbAt(below.Y, below.X))-30 {
		t.Error("the default client got glasses: settings leaked")
	}
}

func sum(v []uint8) int { return int(v[0]) + int(v[1]) + int(v[2]) }

// TestLandmarksEvents: with landmarks on, each answer is followed by a
// landmarks event; in landmarks-only output no image is sent.
func TestLandmarksEvents(t *testing.T) {
	url := startServer(t)
	jpg := testmedia.WebcamJPEG(t)
	c := dial(t, url)
	events := make(chan string, 16)
	marks := make(chan map[string]any, 16)
	c.On("response_back", func(args []json.RawMessage) { events <- "response_back" })
	c.On("landmarks", func(args []json.RawMessage) {
		var m map[string]any
		json.Unmarshal(args[0], &m)
		events <- "landmarks"
		marks <- m
	})
	if a := call(t, c, "config", map[string]any{"landmarks": true}); a["ok"] != true {
		t.Fatal(a)
	}
	c.Emit("image", testmedia.DataURL(jpg)) // the seed form: no id, no ack
	next := func() string {
		select {
		case e := <-events:
			return e
		case <-time.After(15 * time.Second):
			t.Fatal("no event")
		}
		return ""
	}
	if a, b := next(), next(); a != "response_back" || b != "landmarks" {
		t.Fatalf("events %s, %s; want response_back then landmarks", a, b)
	}
	m := <-marks
	faces := m["faces"].([]any)
	if m["frame"] != 1.0 || m["width"] != 640.0 || m["height"] != 480.0 || len(faces) != 1 {
		t.Fatalf("landmarks event %v", m)
	}
	f := faces[0].(map[string]any)
	if pts := f["points"].([]any); len(pts) != 68 || f["box"].(map[string]any)["w"].(float64) < 50 {
		t.Fatalf("face %v", f)
	}
	// The head pose, in degrees: the portrait faces the camera.
	pose, _ := f["pose"].(map[string]any)
	for _, k := range []string{"yaw", "pitch", "roll"} {
		if v, ok := pose[k].(float64); !ok || math.Abs(v) > 25 {
			t.Fatalf("face's pose %v: want yaw, pitch and roll near 0", f["pose"])
		}
	}

	if a := call(t, c, "config", map[string]any{"output": "landmarks"}); a["ok"] != true {
		t.Fatal(a)
	}
	a := call(t, c, "image", map[string]any{"id": 7, "image": testmedia.DataURL(jpg)})
	if a["image"] != nil || a["faces"] != 1.0 || a["id"] != 7.0 {
		t.Fatalf("landmarks-only ack %v", a)
	}
	if e := next(); e != "landmarks" {
		t.Fatalf("got %s, want only a landmarks event", e)
	}
	if m := <-marks; m["frame"] != 7.0 {
		t.Fatalf("frame %v, want the id 7", m["frame"])
	}
	select {
	case e := <-events:
		t.Fatalf("unexpected %s in landmarks-only mode", e)
	case <-time.After(300 * time.Millisecond):
	}
}

// TestEventRightAfterConnect: a client that emits the moment it is
// connected, as the page does with its config, is always heard.
func TestEventRightAfterConnect(t *testing.T) {
	url := startServer(t)
	for i := 0; i < 30; i++ {
		c, err := sioclient.Dial(url, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		reply := make(chan struct{}, 1)
		c.EmitWithAck("config", func([]json.RawMessage) { reply <- struct{}{} }, map[string]any{"landmarks": false})
		select {
		case <-reply:
		case <-time.After(10 * time.Second):
			t.Fatalf("connection %d: config sent right after connecting was never answered", i)
		}
		c.Close()
	}
}

// TestNamespaceConnectRightAfterOpen: a WebSocket client that joins the
// namespace the moment Engine.IO opens (socket.io-client does) is always
// answered; see readGates.
func TestNamespaceConnectRightAfterOpen(t *testing.T) {
	url := startServer(t)
	for i := 0; i < 60; i++ {
		c, err := sioclient.Dial(url, 5*time.Second)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		c.Close()
	}
}
