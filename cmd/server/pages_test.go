package main

import (
	"image"
	"io"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/examples"
	"github.com/livetryon/server/internal/testmedia"
)

// getPage fetches u and returns its status, content type and body.
func getPage(t *testing.T, u string) (int, string, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

// The icon browsers ask for by themselves is served, so no page logs a 404.
func TestFavicon(t *testing.T) {
	_, base, _ := runServer(t, nil)
	code, ctype, body := getPage(t, base+"/favicon.ico")
	// An ICO file: reserved 0, type 1 (icon), at least one image.
	if code != http.StatusOK || len(body) < 22 || string(body[:4]) != "\x00\x00\x01\x00" {
		t.Fatalf("/favicon.ico: %d %q, %d bytes", code, ctype, len(body))
	}
	_, _, page := getPage(t, base+"/")
	if !strings.Contains(string(page), `rel="icon"`) {
		t.Error("the page names no icon")
	}
}

// /examples/ is a page with a line and a working link for every example
// folder, not a bare directory listing, and the try-on page links to it.
func TestExamplesIndex(t *testing.T) {
	_, base, _ := runServer(t, nil)
	code, ctype, body := getPage(t, base+"/examples/")
	if code != http.StatusOK || !strings.HasPrefix(ctype, "text/html") {
		t.Fatalf("/examples/: %d %q", code, ctype)
	}
	index := string(body)
	if !strings.Contains(index, "<title>") {
		t.Fatalf("/examples/ is not the index page:\n%s", index)
	}
	dirs, err := fs.ReadDir(examples.Files, ".")
	if err != nil {
		t.Fatal(err)
	}
	links := map[string]bool{}
	for _, m := range regexp.MustCompile(`href="([a-z-]+)/"`).FindAllStringSubmatch(index, -1) {
		links[m[1]] = true
	}
	n := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		n++
		if !links[d.Name()] {
			t.Errorf("the index has no link to %s/", d.Name())
			continue
		}
		if code, _, _ := getPage(t, base+"/examples/"+d.Name()+"/"); code != http.StatusOK {
			t.Errorf("/examples/%s/: %d", d.Name(), code)
		}
	}
	if n < 7 || len(links) != n {
		t.Errorf("%d example folders, %d links in the index", n, len(links))
	}
	_, _, page := getPage(t, base+"/")
	if !strings.Contains(string(page), `href="/examples/"`) {
		t.Error("the try-on page does not link to /examples/")
	}
}

// cornerDifference is the mean absolute difference between sent and
// answer in the top-left corner, where the FPS stamp goes.
func cornerDifference(t *testing.T, sent, answer []byte) float64 {
	t.Helper()
	in, out := decodeJPEG(t, sent), decodeJPEG(t, answer)
	defer in.Close()
	defer out.Close()
	corner := image.Rect(0, 0, 80, 24)
	a, b := in.Region(corner), out.Region(corner)
	defer a.Close()
	defer b.Close()
	diff := gocv.NewMat()
	defer diff.Close()
	gocv.AbsDiff(a, b, &diff)
	m := diff.Mean()
	return (m.Val1 + m.Val2 + m.Val3) / 3
}

// The FPS stamp is on by default, as the classic tutorial's clients expect
// it, and `overlay: false` takes it off the next answers.
func TestOverlayCanBeTurnedOff(t *testing.T) {
	base := startServerWith(t)
	c, _, err := dialWS(t, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.expect("session")
	jpg := testmedia.WebcamJPEG(t)
	answer := func() []byte {
		c.sendBinary(jpg)
		return c.expect("").Binary
	}
	stamped := cornerDifference(t, jpg, answer())
	c.sendText("config", map[string]any{"overlay": false})
	if reply := c.expect("config"); reply.Data["ok"] != true || reply.Data["config"].(map[string]any)["overlay"] != false {
		t.Fatalf("config reply %v", reply.Data)
	}
	plain := cornerDifference(t, jpg, answer())
	t.Logf("corner difference: %.1f with the stamp, %.1f without", stamped, plain)
	// The stamp is a black box with white text: tens of levels off the
	// picture; without it the corner differs by JPEG's re-encoding only.
	if stamped < 20 || plain > 5 {
		t.Errorf("corner difference %.1f with the stamp, %.1f without", stamped, plain)
	}
	c.sendText("config", map[string]any{"overlay": "no"})
	if reply := c.expect("config"); reply.Data["ok"] != false || reply.Data["error"].(map[string]any)["field"] != "overlay" {
		t.Errorf("a bad overlay: %v", reply.Data)
	}
}
