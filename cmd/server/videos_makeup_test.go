package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

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
