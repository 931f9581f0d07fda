package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/internal/testvideo"
)

// A video job takes a look as the photo API does, in a form field or the
// query, with its effects changed by the effects field; the job lists what
// it will draw. An unknown look is refused naming it.
func TestVideoJobLook(t *testing.T) {
	base := startServerWith(t, "--data-dir", t.TempDir())
	clip := clipFile(t, testvideo.VideoClip{Width: 320, Height: 240, Frames: 15, FPS: 30})
	type spec struct {
		Name   string `json:"name"`
		Color  string `json:"color"`
		Finish string `json:"finish"`
	}
	for _, fields := range []map[string]string{
		{"look": "bold", "effects": "lipstick:#0000ff"},
		{"effects": `{"look":"bold","effects":[{"name":"lipstick","color":"#0000ff"}]}`},
		{"effects": "look:bold,lipstick:#0000ff"},
	} {
		resp, body := uploadVideo(t, base, clip, fields)
		var job struct {
			ID      string `json:"id"`
			Effects []spec `json:"effects"`
		}
		if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &job) != nil {
			t.Fatalf("%v: %d %s", fields, resp.StatusCode, body)
		}
		names := map[string]spec{}
		for _, s := range job.Effects {
			names[s.Name] = s
		}
		lip := names["lipstick"]
		if _, ok := names["eyeshadow"]; !ok || lip.Color != "#0000ff" || lip.Finish != "gloss" {
			t.Errorf("%v: the job draws %+v; want the bold look (eyeshadow, a gloss lipstick) with a blue lipstick", fields, job.Effects)
		}
		req, _ := http.NewRequest("DELETE", base+"/api/v1/videos/"+job.ID, nil)
		if r, err := http.DefaultClient.Do(req); err == nil {
			r.Body.Close()
		}
	}
	for _, fields := range []map[string]string{{"look": "party"}, {"effects": "look:party"}} {
		resp, body := uploadVideo(t, base, clip, fields)
		var e apiError
		json.Unmarshal(body, &e)
		if resp.StatusCode != 400 || e.Error.Code != "bad_effects" || !strings.HasPrefix(e.Error.Message, "look:") {
			t.Errorf("%v: %d %s; want 400 bad_effects naming look", fields, resp.StatusCode, body)
		}
	}
}

// HTTP per frame takes ?look= (with ?effects= changing it) and a look in
// X-Config: the bold look's eyeshadow and the blue lipstick both show. An
// unknown look is refused naming it.
func TestHTTPFramesLook(t *testing.T) {
	base := startServer(t)
	jpg := testmedia.WebcamJPEG(t)
	faces := testmedia.Faces(t, jpg)
	if len(faces) != 1 {
		t.Fatalf("%d faces", len(faces))
	}
	in := decodeJPEG(t, jpg)
	defer in.Close()
	for _, tc := range []struct {
		query  string
		header http.Header
	}{
		{"?look=bold&effects=" + url.QueryEscape("lipstick:#2040ff"), nil},
		{"", http.Header{"X-Config": {`{"look":"bold","effects":[{"name":"lipstick","color":"#2040ff"}]}`}}},
	} {
		resp, body := postFrame(t, context.Background(), http.DefaultClient, base+"/api/v1/frames"+tc.query, jpg, tc.header)
		if resp.StatusCode != 200 {
			t.Fatalf("%s %v: %d %s", tc.query, tc.header, resp.StatusCode, body)
		}
		blueLips(t, jpg, body)
		out := decodeJPEG(t, body)
		before, after := lids(in, &faces[0].Points), lids(out, &faces[0].Points)
		out.Close()
		t.Logf("%s %v: lids' luminance %.0f → %.0f", tc.query, tc.header, before, after)
		if after > before-8 {
			t.Errorf("%s %v: the bold look's eyeshadow is not on the lids (%.0f → %.0f)", tc.query, tc.header, before, after)
		}
	}
	resp, body := postFrame(t, context.Background(), http.DefaultClient, base+"/api/v1/frames?look=party", jpg, nil)
	var e apiError
	json.Unmarshal(body, &e)
	// Settings of a frame session are a config message: bad_config, as
	// for ?effects=.
	if resp.StatusCode != 400 || e.Error.Code != "bad_config" || !strings.HasPrefix(e.Error.Message, "look:") {
		t.Errorf("?look=party: %d %s; want 400 bad_config naming look", resp.StatusCode, body)
	}
}
