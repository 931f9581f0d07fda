package httpapi_test

import (
	"encoding/json"
	"image"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/landmarks"
)

// GET /api/v1/looks lists the built-in looks, each with effects that build.
func TestLooksList(t *testing.T) {
	base := startAPI(t)
	resp, err := http.Get(base + "/api/v1/looks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var reply struct {
		Looks []effects.Look `json:"looks"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s: %v", resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	names := map[string]bool{}
	for _, l := range reply.Looks {
		names[l.Name] = true
		if len(l.Effects) == 0 || l.Description == "" {
			t.Errorf("look %s: %d effects, description %q", l.Name, len(l.Effects), l.Description)
		}
		if _, err := effects.Build("effects", l.Effects); err != nil {
			t.Errorf("look %s does not build: %v", l.Name, err)
		}
		for _, s := range l.Effects {
			if s.Strength == nil {
				t.Errorf("look %s: %s listed without its strength (every value is filled in)", l.Name, s.Name)
			}
		}
	}
	for _, want := range []string{"natural", "evening", "bold"} {
		if !names[want] {
			t.Errorf("no %q look in %v", want, names)
		}
	}
}

// lidLuma is the mean luminance of the lids, between the upper eye contour
// and the brows, of one face.
func lidLuma(img gocv.Mat, s *landmarks.Shape) float64 {
	var sum float64
	n := 0
	for _, pair := range [][2]int{{37, 19}, {38, 20}, {43, 23}, {44, 24}} {
		a, b := s[pair[0]], s[pair[1]]
		for _, f := range []float64{0.2, 0.3, 0.4} {
			p := image.Pt(a.X+int(f*float64(b.X-a.X)), a.Y+int(f*float64(b.Y-a.Y)))
			v := img.GetVecbAt(p.Y, p.X)
			sum += 0.114*float64(v[0]) + 0.587*float64(v[1]) + 0.299*float64(v[2])
			n++
		}
	}
	return sum / float64(n)
}

// A look through ?look= or ?effects=look:, with and without overrides, on
// the photo API: the bold look's red lips and smoky lids reach the picture,
// an override changes the lips and keeps the lids, and bad looks and
// fields are refused naming them.
func TestTryOnLook(t *testing.T) {
	base := startAPI(t)
	in := testmedia.WebcamJPEGQuality(t, 90)
	faces := testmedia.Faces(t, in)
	if len(faces) != 1 {
		t.Fatalf("%d faces", len(faces))
	}
	src, _ := cvjpeg.Decode(in)
	defer src.Close()
	lip := testmedia.LipPoint(faces[0])
	tryon := func(query string) gocv.Mat {
		t.Helper()
		code, _, body := post(t, base+"/api/v1/tryon?"+query, "image/jpeg", in)
		if code != 200 {
			t.Fatalf("%s: %d %s", query, code, body)
		}
		out, err := cvjpeg.Decode(body)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	none := tryon("effects=none")
	defer none.Close()
	for _, q := range []string{"look=bold", "effects=" + url.QueryEscape("look:bold"), "effects=" + url.QueryEscape(`{"look":"bold"}`)} {
		out := tryon(q)
		red0, red1 := testmedia.Redness(none, lip), testmedia.Redness(out, lip)
		lid0, lid1 := lidLuma(none, &faces[0].Points), lidLuma(out, &faces[0].Points)
		t.Logf("%s: lip redness %d → %d, lids' luminance %.0f → %.0f", q, red0, red1, lid0, lid1)
		if red1 < red0+20 || lid1 > lid0-8 {
			t.Errorf("%s: the bold look did not reach the picture (lip redness %d → %d, lids %.0f → %.0f)", q, red0, red1, lid0, lid1)
		}
		out.Close()
	}
	// An override: a blue lipstick on the bold look; the lids stay smoky.
	out := tryon("look=bold&effects=" + url.QueryEscape("lipstick:#2040ff"))
	blue0, blue1 := testmedia.Blueness(none, lip), testmedia.Blueness(out, lip)
	lid0, lid1 := lidLuma(none, &faces[0].Points), lidLuma(out, &faces[0].Points)
	t.Logf("bold with a blue lipstick: lip blueness %d → %d, lids %.0f → %.0f", blue0, blue1, lid0, lid1)
	if blue1 < blue0+20 || lid1 > lid0-8 {
		t.Errorf("override: lip blueness %d → %d (want bluer), lids %.0f → %.0f (want the look's shadow kept)", blue0, blue1, lid0, lid1)
	}
	out.Close()

	for _, tc := range []struct{ query, field string }{
		{"look=party", "look"},
		{"effects=" + url.QueryEscape("look:party"), "look"},
		{"look=bold&effects=" + url.QueryEscape("lipstick:#b0123a:glitter"), "effects[0].finish"},
		{"effects=" + url.QueryEscape(`[{"name":"eyeliner","wing":3}]`), "effects[0].wing"},
		{"effects=" + url.QueryEscape(`[{"name":"blush","color":"pink"}]`), "effects[0].color"},
	} {
		code, _, body := post(t, base+"/api/v1/tryon?"+tc.query, "image/jpeg", in)
		var e struct {
			Error struct{ Code, Message string }
		}
		json.Unmarshal(body, &e)
		if code != 400 || e.Error.Code != "bad_effects" || !strings.HasPrefix(e.Error.Message, tc.field+":") {
			t.Errorf("%s: %d %s, want 400 bad_effects naming %s", tc.query, code, body, tc.field)
		}
	}
}
