package effects_test

import (
	"image"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/headpose"
)

// BenchmarkMakeup is the cost of each makeup effect, each lipstick finish
// and each whole look on one face of a 640x480 webcam frame (the face about
// 200 px wide). Each round draws over the last one's result: the cost does
// not depend on the pixels, and the timer is never stopped (stopping it
// reads the memory statistics, which would cost more than an effect).
//
// Each face is given its head pose first, as the pipeline's tracker does
// for every face of every live frame whatever the effects (the pose is in
// the landmarks JSON): glasses read it rather than estimate it again, so
// the estimate (BenchmarkEstimate in pkg/headpose) is no cost of a look.
//
// Besides ms/face (wall time) it reports cpu-ms/face, the CPU time of the
// benchmark's own thread (it is locked to one): on a machine shared with
// other work, wall time counts the waits for a core, CPU time does not.
// OpenCV runs some calls (warpPerspective, resize) on its own worker
// threads, which the thread's time leaves out, so proc-cpu-ms/face is the
// whole process's CPU time: what the server pays.
func BenchmarkMakeup(b *testing.B) {
	img, faces := webcamFace(b)
	defer img.Close()
	for i := range faces {
		pose := headpose.Estimate(&faces[i].Points, image.Pt(img.Cols(), img.Rows()))
		faces[i].Pose = &pose
	}
	cases := []struct {
		name  string
		specs []effects.Spec
	}{
		{"eyeliner", []effects.Spec{{Name: "eyeliner"}}},
		{"eyeshadow", []effects.Spec{{Name: "eyeshadow"}}},
		{"brows", []effects.Spec{{Name: "brows"}}},
		{"blush", []effects.Spec{{Name: "blush"}}},
		{"foundation", []effects.Spec{{Name: "foundation"}}},
		{"foundation-tone", []effects.Spec{{Name: "foundation", Color: "#c08a6a"}}},
	}
	for _, f := range effects.Finishes {
		cases = append(cases, struct {
			name  string
			specs []effects.Spec
		}{"lipstick-" + f, []effects.Spec{{Name: "lipstick", Finish: f}}})
	}
	for _, l := range effects.Looks() {
		cases = append(cases, struct {
			name  string
			specs []effects.Spec
		}{"look-" + l.Name, l.Effects})
	}
	// The "full look": every makeup effect and glasses, on one face.
	cases = append(cases, struct {
		name  string
		specs []effects.Spec
	}{"full-look-with-glasses", []effects.Spec{{Name: "foundation"}, {Name: "eyeshadow"}, {Name: "eyeliner"}, {Name: "brows"},
		{Name: "blush"}, {Name: "lipstick"}, {Name: "glasses", Style: "aviator"}}})
	for _, tc := range cases {
		fx := build(b, tc.specs...)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			work := img.Clone()
			defer work.Close()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			cpu0, proc0 := threadCPU(), processCPU()
			for b.Loop() {
				for _, e := range fx {
					e.Apply(&work, faces)
				}
			}
			b.ReportMetric(float64((threadCPU()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/face")
			b.ReportMetric(float64((processCPU()-proc0).Microseconds())/1000/float64(b.N), "proc-cpu-ms/face")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/face")
		})
	}
}

// threadCPU is the CPU time the calling thread has used.
func threadCPU() time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD, Linux
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processCPU is the CPU time the whole process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
