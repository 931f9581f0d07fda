package testvideo

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/livetryon/server/pkg/video"
)

// The multi-face clip probes as the H.264 clip it is meant to be, every
// frame there, each with its number. With LIVETRYON_MULTIFACE_OUT set,
// the clip is also copied there, for scripts/bench-multiface.sh.
func TestMakeMultiFaceClip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "multiface.mp4")
	MakeMultiFaceClip(t, path)
	info, err := video.Probe(context.Background(), path, video.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if info.Codec != "h264" || info.Width != MultiFaceWidth || info.Height != MultiFaceHeight || info.Frames != MultiFaceFrames() || !info.HasAudio {
		t.Errorf("clip %+v; want h264 %dx%d, %d frames, with sound", info, MultiFaceWidth, MultiFaceHeight, MultiFaceFrames())
	}
	if out := os.Getenv("LIVETRYON_MULTIFACE_OUT"); out != "" {
		b, err := os.ReadFile(path)
		if err == nil {
			err = os.WriteFile(out, b, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
