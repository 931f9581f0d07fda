package main

import (
	"os"
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
