package pipeline_test

import (
	"context"
	"image"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvimage"
	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/frame"
	"github.com/livetryon/server/pkg/landmarks"
	"github.com/livetryon/server/pkg/pipeline"
)

// All benchmarks use the frame a browser sends: 640x480, JPEG quality 0.5,
// one face (obama-480p.jpg cropped), as a data URL where the stage takes one.

func reportMsPerFrame(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/frame")
}

type stageFixture struct {
	dataURL string
	jpg     []byte
	img     gocv.Mat
	gray    gocv.Mat
	faces   []landmarks.Face
}

func newStageFixture(b *testing.B) *stageFixture {
	b.Helper()
	f := &stageFixture{jpg: testmedia.WebcamJPEG(b)}
	f.dataURL = testmedia.DataURL(f.jpg)
	f.img, _ = cvjpeg.Decode(f.jpg)
	f.gray = gocv.NewMat()
	gocv.CvtColor(f.img, &f.gray, gocv.ColorBGRToGray)
	f.faces = testmedia.Faces(b, f.jpg)
	if len(f.faces) != 1 {
		b.Fatalf("want one face, got %d", len(f.faces))
	}
	b.Cleanup(func() { f.img.Close(); f.gray.Close() })
	return f
}

// BenchmarkDecode: data URL to BGR and gray Mats (base64, header check,
// libjpeg decode, colour conversion).
func BenchmarkDecode(b *testing.B) {
	f := newStageFixture(b)
	gray := gocv.NewMat()
	defer gray.Close()
	var buf []byte
	b.SetBytes(int64(len(f.dataURL)))
	b.ReportAllocs()
	for b.Loop() {
		jpg, err := frame.DecodeDataURL(f.dataURL, buf, frame.DefaultLimits)
		if err != nil {
			b.Fatal(err)
		}
		buf = jpg[:0]
		if _, _, err := frame.CheckJPEG(jpg, frame.DefaultLimits); err != nil {
			b.Fatal(err)
		}
		img, _ := cvjpeg.Decode(jpg)
		gocv.CvtColor(img, &gray, gocv.ColorBGRToGray)
		img.Close()
	}
	reportMsPerFrame(b)
}

// BenchmarkDetect: dlib's HOG detector at the old fixed detection width
// (320), at the width --min-face 1/8 gives (480, the default at every
// resolution) and at full resolution (640).
func BenchmarkDetect(b *testing.B) {
	f := newStageFixture(b)
	det, err := landmarks.NewDetector()
	if err != nil {
		b.Fatal(err)
	}
	defer det.Close()
	for _, width := range []int{320, 480, 640} {
		b.Run(strconv.Itoa(width), func(b *testing.B) {
			small := gocv.NewMat()
			defer small.Close()
			for b.Loop() {
				src := f.gray
				if width < f.gray.Cols() {
					gocv.Resize(f.gray, &small, image.Pt(width, width*f.gray.Rows()/f.gray.Cols()), 0, 0, gocv.InterpolationArea)
					src = small
				}
				g, _ := cvimage.Gray(src)
				boxes, err := det.Detect(g, 0)
				if err != nil || len(boxes) != 1 {
					b.Fatalf("found %d faces (%v)", len(boxes), err)
				}
			}
			reportMsPerFrame(b)
		})
	}
}

// BenchmarkLandmarks: the 68-point shape predictor on one face.
func BenchmarkLandmarks(b *testing.B) {
	f := newStageFixture(b)
	pred := loadPredictor(b, 0)
	g, _ := cvimage.Gray(f.gray)
	for b.Loop() {
		if _, err := pred.Predict(g, f.faces[0].Box); err != nil {
			b.Fatal(err)
		}
	}
	reportMsPerFrame(b)
}

// loadPredictor loads the model with its first cascades (all when 0),
// closed when b ends.
func loadPredictor(b *testing.B, cascades int) *landmarks.Predictor {
	b.Helper()
	pred, err := landmarks.LoadPredictorCascades(landmarks.DefaultModelPath, cascades)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pred.Close)
	return pred
}

// BenchmarkLandmarksColdCache: the shape predictor after 64 MB of other
// memory has been touched, as decoding, encoding and other sessions do
// between fits in the server; ms/fit counts the fit alone.
func BenchmarkLandmarksColdCache(b *testing.B) {
	f := newStageFixture(b)
	g, _ := cvimage.Gray(f.gray)
	other := make([]byte, 64<<20)
	for _, cascades := range []int{0, 10} { // all 15, and --landmark-cascades 10
		b.Run("cascades="+strconv.Itoa(cascades), func(b *testing.B) {
			pred := loadPredictor(b, cascades)
			var fitting time.Duration
			for b.Loop() {
				for i := 0; i < len(other); i += 64 { // a cache line each
					other[i]++
				}
				start := time.Now()
				if _, err := pred.Predict(g, f.faces[0].Box); err != nil {
					b.Fatal(err)
				}
				fitting += time.Since(start)
			}
			b.ReportMetric(float64(fitting.Microseconds())/1000/float64(b.N), "ms/fit")
		})
	}
}

// BenchmarkLandmarksParallel: the shape predictor on every CPU at once, as
// the workers run it under load; ms/frame is per fit, so against
// BenchmarkLandmarks it shows what fitting side by side costs each fit.
func BenchmarkLandmarksParallel(b *testing.B) {
	f := newStageFixture(b)
	pred := loadPredictor(b, 0)
	g, _ := cvimage.Gray(f.gray)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := pred.Predict(g, f.faces[0].Box); err != nil {
				b.Error(err)
				return
			}
		}
	})
	// Wall time per fit times the fits in flight: each fit's own time.
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N)*float64(runtime.GOMAXPROCS(0)), "ms/fit")
}

// BenchmarkLipstick: the lipstick effect and the FPS overlay on one face.
func BenchmarkLipstick(b *testing.B) {
	f := newStageFixture(b)
	img := f.img.Clone()
	defer img.Close()
	b.ReportAllocs()
	for b.Loop() {
		effects.DefaultLipstick.Apply(&img, f.faces)
		effects.DrawFPS(&img, 15)
	}
	reportMsPerFrame(b)
}

// BenchmarkLook: each built-in makeup look (issue 22) on the same face, the
// cost it adds to a frame beside BenchmarkLipstick's.
func BenchmarkLook(b *testing.B) {
	f := newStageFixture(b)
	for _, look := range effects.Looks() {
		fx, err := effects.Build("effects", look.Effects)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(look.Name, func(b *testing.B) {
			img := f.img.Clone()
			defer img.Close()
			b.ReportAllocs()
			for b.Loop() {
				for _, e := range fx {
					e.Apply(&img, f.faces)
				}
			}
			reportMsPerFrame(b)
		})
	}
}

// BenchmarkEncode: JPEG encoding of the answer at the default quality 80.
func BenchmarkEncode(b *testing.B) {
	f := newStageFixture(b)
	opts := cvjpeg.Options{Quality: pipeline.DefaultConfig().JPEGQuality}
	for b.Loop() {
		buf, err := cvjpeg.Encode(f.img, opts)
		if err != nil {
			b.Fatal(err)
		}
		buf.Close()
	}
	reportMsPerFrame(b)
}

// BenchmarkFrame: the whole pipeline for one client in a closed loop, from
// Submit to the delivered answer, on one worker: the latency of a frame,
// detecting faces on every frame (redetect=1) or every 5th and tracking
// them in between (redetect=5, the default).
func BenchmarkFrame(b *testing.B) {
	for _, every := range []int{1, 5} {
		b.Run("redetect="+strconv.Itoa(every), func(b *testing.B) { benchmarkFrame(b, every, 0) })
	}
	// The fixed detection width of before --min-face, for comparison in
	// the same run: it misses faces under a quarter of the frame.
	b.Run("redetect=5,detect-width=320", func(b *testing.B) { benchmarkFrame(b, 5, 320) })
}

func benchmarkFrame(b *testing.B, redetectEvery, detectWidth int) {
	f := newStageFixture(b)
	e := newEngine(b, func(c *pipeline.Config) { c.Workers = 1; c.RedetectEvery = redetectEvery; c.DetectWidth = detectWidth })
	done := make(chan struct{}, 1)
	s := e.NewSession(pipeline.SessionOptions{ID: "bench", Effects: []pipeline.Effect{effects.DefaultLipstick}}, pipeline.ReceiverFunc(func(r pipeline.Result) {
		if r.Err != nil || len(r.Faces) != 1 {
			panic("bad result")
		}
		r.Release()
		done <- struct{}{}
	}))
	defer s.Close()
	for b.Loop() {
		s.Submit(context.Background(), pipeline.Input{DataURL: f.dataURL})
		<-done
	}
	reportMsPerFrame(b)
}

// BenchmarkFrameThroughput: four closed-loop clients on the default worker
// pool (one per CPU) and default tracking: frames answered per second by the
// whole machine, without any transport.
func BenchmarkFrameThroughput(b *testing.B) {
	f := newStageFixture(b)
	e := newEngine(b, nil)
	const clients = 4
	var wg sync.WaitGroup
	work := make(chan struct{})
	for i := 0; i < clients; i++ {
		done := make(chan struct{}, 1)
		s := e.NewSession(pipeline.SessionOptions{ID: "bench", Effects: []pipeline.Effect{effects.DefaultLipstick}}, pipeline.ReceiverFunc(func(r pipeline.Result) { r.Release(); done <- struct{}{} }))
		defer s.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				s.Submit(context.Background(), pipeline.Input{DataURL: f.dataURL})
				<-done
			}
		}()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	reportMsPerFrame(b)
}
