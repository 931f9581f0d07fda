package socketio_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/frameid"
	"github.com/livetryon/server/internal/testmedia"
)

type binaryAnswer struct {
	Sent   int    `json:"sent"`
	ID     string `json:"id"`
	Faces  int    `json:"faces"`
	Error  string `json:"error"`
	Binary bool   `json:"binary"`
	File   string `json:"file"`
}

type binaryRun struct {
	Transport    string         `json:"transport"`
	Acks         []binaryAnswer `json:"acks"`
	ResponseBack binaryAnswer   `json:"responseBack"`
	ConnectError string         `json:"connectError"`
	Fatal        string         `json:"fatal"`
}

// stampedFrames writes n copies of the webcam frame, frame i stamped with
// first+i (package frameid), so an answer tells which frame it answers.
func stampedFrames(t *testing.T, dir string, first, n int) (files []string, jpegs [][]byte) {
	t.Helper()
	src, err := cvjpeg.Decode(testmedia.WebcamJPEG(t))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for i := range n {
		img := src.Clone()
		frameid.Stamp(&img, first+i)
		jpg, err := cvjpeg.EncodeBytes(img, cvjpeg.Options{Quality: 80})
		img.Close()
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, fmt.Sprintf("frame-%d.jpg", first+i))
		if err := os.WriteFile(f, jpg, 0o644); err != nil {
			t.Fatal(err)
		}
		files, jpegs = append(files, f), append(jpegs, jpg)
	}
	return files, jpegs
}

func runBinaryClient(t *testing.T, url string, version int, transport, prefix string, frames []string) binaryRun {
	dir := t.TempDir()
	plan, _ := json.Marshal(map[string]any{"url": url, "version": version, "transport": transport, "outDir": dir, "prefix": prefix, "frames": frames})
	planFile := filepath.Join(dir, "plan.json")
	if err := os.WriteFile(planFile, plan, 0o644); err != nil {
		t.Error(err)
		return binaryRun{}
	}
	out, err := exec.Command("node", testmedia.RepoPath("test/js/binary.js"), planFile).Output()
	var res binaryRun
	if err == nil {
		err = json.Unmarshal(out, &res)
	}
	if err != nil || res.ConnectError != "" || res.Fatal != "" {
		t.Errorf("node client %s: %v, connect error %q, fatal %q\n%s", prefix, err, res.ConnectError, res.Fatal, out)
	}
	return res
}

// TestBinaryFramesWithOfficialClients sends frames as binary attachments
// (a page's ArrayBuffers) with the official socket.io-client 2.x and 4.x,
// two clients at once: each frame is answered in binary, with lipstick on,
// by its own acknowledgement, and the picture in each answer is the one
// that client sent (its stamp), never the other client's, though both are
// decoded and encoded by the same workers' buffers. A binary frame sent
// without an acknowledgement is answered by response_back in binary.
func TestBinaryFramesWithOfficialClients(t *testing.T) {
	if _, err := os.Stat(testmedia.RepoPath("test/js/node_modules/socket.io-client-v4")); err != nil {
		t.Fatal("socket.io clients are not installed: run `npm ci` in test/js (`go tool task test` does)")
	}
	url := startServer(t)
	const perClient = 12
	dir := t.TempDir()
	type side struct {
		prefix string
		files  []string
		jpegs  [][]byte
		first  int
	}
	sides := []*side{{prefix: "a", first: 0}, {prefix: "b", first: 100}}
	for _, s := range sides {
		s.files, s.jpegs = stampedFrames(t, dir, s.first, perClient)
	}
	for _, run := range []struct {
		version   int
		transport string
	}{{4, "websocket"}, {4, "polling"}, {2, "websocket"}, {2, "polling"}} {
		t.Run(fmt.Sprintf("v%d-%s", run.version, run.transport), func(t *testing.T) {
			results := make([]binaryRun, len(sides))
			var wg sync.WaitGroup
			for i, s := range sides {
				wg.Go(func() { results[i] = runBinaryClient(t, url, run.version, run.transport, s.prefix, s.files) })
			}
			wg.Wait()
			for i, s := range sides {
				res := results[i]
				if res.Transport != run.transport {
					t.Errorf("client %s ended on transport %q", s.prefix, res.Transport)
				}
				if len(res.Acks) != perClient {
					t.Fatalf("client %s: %d acknowledgements for %d frames", s.prefix, len(res.Acks), perClient)
				}
				for _, a := range res.Acks {
					if a.ID != fmt.Sprint(s.prefix, a.Sent) || a.Error != "" || a.Faces != 1 || !a.Binary {
						t.Errorf("client %s frame %d: answer %+v, want its id, one face, a binary image", s.prefix, a.Sent, a)
						continue
					}
					jpg, err := os.ReadFile(a.File)
					if err != nil {
						t.Fatal(err)
					}
					if got, ok := frameid.Read(jpg); !ok || got != s.first+a.Sent {
						t.Errorf("client %s frame %d (stamp %d): the answer's picture is stamp %d (read %v)", s.prefix, a.Sent, s.first+a.Sent, got, ok)
					}
					lipstickOn(t, fmt.Sprint(s.prefix, a.Sent), jpg, s.jpegs[a.Sent])
				}
				back := res.ResponseBack
				if !back.Binary {
					t.Errorf("client %s: response_back %+v, want a binary JPEG", s.prefix, back)
					continue
				}
				jpg, err := os.ReadFile(back.File)
				if err != nil {
					t.Fatal(err)
				}
				if got, ok := frameid.Read(jpg); !ok || got != s.first {
					t.Errorf("client %s: response_back is stamp %d (read %v), want %d", s.prefix, got, ok, s.first)
				}
			}
		})
	}
}
