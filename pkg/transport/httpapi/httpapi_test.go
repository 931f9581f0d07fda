package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"image"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/landmarks"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/transport/httpapi"
)

func startAPI(t testing.TB) string {
	t.Helper()
	engine, err := pipeline.New(pipeline.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(engine, httpapi.Options{Effects: func() []effects.Effect { return []effects.Effect{effects.DefaultLipstick} }, Logger: engine.Config().Logger})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(func() { srv.Close(); engine.Close(context.Background()) })
	return srv.URL
}

func post(t testing.TB, u, ctype string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Post(u, ctype, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

type faceReply struct {
	Box    struct{ X, Y, W, H int } `json:"box"`
	Points [][2]int                 `json:"points"`
	Pose   *struct {
		Yaw, Pitch, Roll float64
	} `json:"pose"`
}

// TestLandmarksOnDlibReference: every face of dlib's test photos found
// through the HTTP API, landmarks within 3% of the inter-ocular distance.
func TestLandmarksOnDlibReference(t *testing.T) {
	base := startAPI(t)
	f, err := os.Open(testmedia.Path("faces/testing_with_face_landmarks.xml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var set struct {
		Images []struct {
			File  string `xml:"file,attr"`
			Boxes []struct {
				Parts []struct {
					X int `xml:"x,attr"`
					Y int `xml:"y,attr"`
				} `xml:"part"`
			} `xml:"box"`
		} `xml:"images>image"`
	}
	dec := xml.NewDecoder(f)
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	if err := dec.Decode(&set); err != nil {
		t.Fatal(err)
	}
	total, found := 0, 0
	var errSum float64
	for _, img := range set.Images {
		jpg, err := os.ReadFile(testmedia.Path(filepath.Join("faces", img.File)))
		if err != nil {
			t.Fatal(err)
		}
		code, _, body := post(t, base+"/api/v1/landmarks", "image/jpeg", jpg)
		if code != 200 {
			t.Fatalf("%s: %d %s", img.File, code, body)
		}
		var reply struct{ Faces []faceReply }
		if err := json.Unmarshal(body, &reply); err != nil {
			t.Fatal(err)
		}
		for _, ref := range img.Boxes {
			total++
			var want landmarks.Shape
			for i, p := range ref.Parts {
				want[i] = image.Pt(p.X, p.Y)
			}
			best := math.Inf(1)
			for _, got := range reply.Faces {
				if len(got.Points) != 68 || got.Pose == nil {
					t.Fatalf("%d points, pose %v", len(got.Points), got.Pose)
				}
				var d float64
				for i, p := range got.Points {
					d += math.Hypot(float64(p[0]-want[i].X), float64(p[1]-want[i].Y))
				}
				best = math.Min(best, d/68/want.InterOcular())
			}
			if best < 0.15 { // the same face
				found++
				errSum += best
			}
		}
	}
	mean := errSum / float64(max(found, 1))
	t.Logf("HTTP API: %d of %d faces found, mean error %.2f%% of the inter-ocular distance", found, total, 100*mean)
	if found != total || total != 25 {
		t.Errorf("found %d of %d faces, want all 25", found, total)
	}
	if mean > 0.03 {
		t.Errorf("mean error %.2f%% > 3%%", 100*mean)
	}
}

func TestNoFaceGivesEmptyList(t *testing.T) {
	base := startAPI(t)
	dogs, _ := os.ReadFile(testmedia.Path("faces/dogs.jpg"))
	code, hdr, body := post(t, base+"/api/v1/landmarks", "image/jpeg", dogs)
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") || !bytes.Contains(body, []byte(`"faces":[]`)) {
		t.Fatalf("dogs.jpg: %d %s", code, body)
	}
}

// twoFaces is two webcam frames side by side: 1280x480 with a face in each half.
func twoFaces(t testing.TB) []byte {
	t.Helper()
	one, _ := cvjpeg.Decode(testmedia.WebcamJPEGQuality(t, 90))
	defer one.Close()
	both := gocv.NewMat()
	defer both.Close()
	gocv.Hconcat(one, one, &both)
	buf, err := cvjpeg.Encode(both, cvjpeg.Options{Quality: 90})
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Close()
	return append([]byte(nil), buf.Bytes()...)
}

func TestTryOnTwoFaces(t *testing.T) {
	base := startAPI(t)
	in := twoFaces(t)
	faces := testmedia.Faces(t, in)
	if len(faces) != 2 {
		t.Fatalf("test image has %d faces, want 2", len(faces))
	}
	code, hdr, body := post(t, base+"/api/v1/tryon?effects=lipstick,glasses:aviator", "image/jpeg", in)
	if code != 200 || hdr.Get("Content-Type") != "image/jpeg" || hdr.Get("X-Faces") != "2" {
		t.Fatalf("tryon: %d %v %.200s", code, hdr, body)
	}
	out, err := cvjpeg.Decode(body)
	if err != nil || out.Cols() != 1280 {
		t.Fatalf("answer is not a 1280-wide JPEG: %v", err)
	}
	defer out.Close()
	src, _ := cvjpeg.Decode(in)
	defer src.Close()
	for i, f := range faces {
		lip := testmedia.LipPoint(f)
		if before, after := testmedia.Redness(src, lip), testmedia.Redness(out, lip); after < before+10 {
			t.Errorf("face %d: lips not tinted (%d → %d)", i, before, after)
		}
		// The skin just below an eye is behind the aviator's dark lens.
		d := f.Points.InterOcular()
		eye := image.Pt((f.Points[43].X+f.Points[46].X)/2, (f.Points[43].Y+f.Points[46].Y)/2+int(0.25*d))
		b0, b1 := src.GetVecbAt(eye.Y, eye.X), out.GetVecbAt(eye.Y, eye.X)
		if int(b1[0])+int(b1[1])+int(b1[2]) > int(b0[0])+int(b0[1])+int(b0[2])-60 {
			t.Errorf("face %d: the skin at %v is not behind a tinted lens (%v → %v)", i, eye, b0, b1)
		}
	}
}

func TestBadRequests(t *testing.T) {
	base := startAPI(t)
	jpg := testmedia.WebcamJPEG(t)
	bomb := append([]byte(nil), jpg...)
	for i := 0; i+8 < len(bomb); i++ {
		if bomb[i] == 0xFF && bomb[i+1] == 0xC0 {
			bomb[i+5], bomb[i+6], bomb[i+7], bomb[i+8] = 0xEA, 0x60, 0xEA, 0x60
			break
		}
	}
	cases := []struct {
		name, path, ctype string
		body              []byte
		status            int
		code              string
	}{
		{"wrong type", "/api/v1/landmarks", "image/png", jpg, 415, "not_jpeg"},
		{"a type that only starts like JPEG", "/api/v1/landmarks", "image/jpegXYZ", jpg, 415, "not_jpeg"},
		{"not a jpeg", "/api/v1/landmarks", "image/jpeg", []byte("hello"), 400, "not_jpeg"},
		{"too large", "/api/v1/landmarks", "image/jpeg", make([]byte, 3<<20), 413, "too_large"},
		{"too many pixels", "/api/v1/tryon", "image/jpeg", bomb, 413, "too_many_pixels"},
		{"unknown effect", "/api/v1/tryon?effects=" + url.QueryEscape("hat"), "image/jpeg", jpg, 400, "bad_effects"},
		{"bad style", "/api/v1/tryon?effects=" + url.QueryEscape(`[{"name":"glasses","style":"monocle"}]`), "image/jpeg", jpg, 400, "bad_effects"},
		{"unknown endpoint", "/api/v1/nope", "image/jpeg", jpg, 404, "not_found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, hdr, body := post(t, base+c.path, c.ctype, c.body)
			var e struct {
				Error struct{ Code, Message string }
			}
			json.Unmarshal(body, &e)
			if code != c.status || e.Error.Code != c.code || e.Error.Message == "" || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
				t.Errorf("%d %s, want %d %s", code, body, c.status, c.code)
			}
		})
	}
	resp, err := http.Get(base + "/api/v1/landmarks")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

// FuzzHTTPBody: whatever the body, the API answers 200 or a 4xx with a JSON
// error; never a 5xx, a panic or a hang.
func FuzzHTTPBody(f *testing.F) {
	f.Add(testmedia.WebcamJPEGQuality(f, 20))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0xEA, 0x60, 0xEA, 0x60, 0x03})
	f.Add([]byte("not a jpeg"))
	f.Add([]byte{})
	base := startAPI(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		code, _, reply := post(t, base+"/api/v1/landmarks", "image/jpeg", body)
		if code >= 500 || (code != 200 && !bytes.Contains(reply, []byte(`"error"`))) {
			t.Fatalf("%d %s", code, reply)
		}
	})
}
