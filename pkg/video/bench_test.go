package video_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/livetryon/server/internal/testvideo"
	"github.com/livetryon/server/pkg/pipeline"
	"github.com/livetryon/server/pkg/video"
)

// BenchmarkProcess640x360 is a whole job on this machine's workers: a
// 10 s 640x360 H.264 clip with a face and a sine-wave track, decoded,
// given lipstick and encoded with its audio, from start to MP4 ready.
// frames/s is the figure docs/BENCHMARKS.md reports.
func BenchmarkProcess640x360(b *testing.B) {
	dir := b.TempDir()
	c := testvideo.VideoClip{Width: 640, Height: 360, Frames: 300, FPS: 30, Audio: true}
	in := filepath.Join(dir, "in.mp4")
	testvideo.MakeVideoClip(b, in, c)
	info, err := video.Probe(context.Background(), in, video.DefaultLimits)
	if err != nil {
		b.Fatal(err)
	}
	e, err := pipeline.New(pipeline.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(context.Background())
	fx := blueLipstick(b)
	b.ResetTimer()
	frames := 0
	for i := 0; i < b.N; i++ {
		prog, err := video.Process(context.Background(), e, in, info, filepath.Join(dir, "out.mp4"), video.Options{Effects: fx})
		if err != nil {
			b.Fatal(err)
		}
		frames += prog.Done
	}
	b.ReportMetric(float64(frames)/b.Elapsed().Seconds(), "frames/s")
}
