package main

import (
	"os"
	"runtime"
	"runtime/debug"
)

// The server allocates about 100 KB for every frame (the frame as text,
// its bytes, the answer) over a live heap of a few megabytes, so with Go's
// default GOGC=100 it collects many times a second. Four closed-loop
// clients were answered 1.13 to 1.25 times as many frames with GOGC=400,
// for about 13 MB more resident memory (docs/BENCHMARKS.md, "Garbage
// collection"); 800, or no percentage with a memory limit, did no better.
// The memory limit keeps the higher percentage from letting a large live
// heap (hundreds of sessions with full outboxes) grow fivefold: near it
// the collector runs as often as it must. GOGC and GOMEMLIMIT in the
// environment take precedence, as for any Go program.
const (
	defaultGCPercent   = 400
	defaultMemoryLimit = 1 << 30
)

func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}

// tuneProcs gives the engine's batch workers (video files; as many as the
// live workers) Go processors of their own. Their threads run at nice 19,
// so the kernel gives live work the CPU first; but a goroutine holds its
// processor while it runs, and through a cgo call until the runtime takes
// it back (up to 10 ms later). With only one processor per core, batch
// workers would hold them and a live frame's network goroutines would
// wait for one: the live round trip's p95 doubled while a video ran
// (docs/BENCHMARKS.md, "Uploaded videos"). GOMAXPROCS in the environment
// takes precedence.
func tuneProcs(batchWorkers int) {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + batchWorkers)
	}
}
