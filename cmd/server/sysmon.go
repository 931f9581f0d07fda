package main

import (
	"os"
	"strings"
	"syscall"
)

// Go's runtime has a monitor thread, sysmon, that takes processors back
// from long cgo calls. When every processor is idle it parks, and the
// first cgo call to return wakes it, after which it polls every 20 us for
// a millisecond and more before backing off ("a bet that ... it may need
// to do it again shortly", runtime/proc.go; golang/go#18236). A camera's
// frames come 30 a second and the workers idle between them, so sysmon
// parked and woke once a frame: about 1.3 ms of CPU a frame at 1280x720,
// a sixth of the server's, in the nanosleeps and context switches of
// those polls (docs/BENCHMARKS.md, "sysmon").
//
// sysmon never parks while the scheduler trace is on, and then backs off
// to a 10 ms poll whenever it has nothing to take back (100 wakeups a
// second on an idle server). So the server starts itself again with
// GODEBUG=schedtrace set to the longest period there is, 2^31 - 1 ms (24.8
// days): the trace line (one "SCHED" line on stderr) comes once a period,
// and also at start on a machine that has been up longer than that; a
// fatal error's report also lists the scheduler's state. A GODEBUG that
// already sets schedtrace, or LIVETRYON_NO_REEXEC=1 (for a debugger that
// does not follow exec), keeps the process as it is.
const sysmonSetting = "schedtrace=2147483647"

// reexecForSysmon replaces the process with the same program, arguments
// and environment, and GODEBUG with sysmonSetting. It returns only when it
// does not: the setting is there already, it is turned off, or exec
// failed (the server then runs as it is).
func reexecForSysmon() {
	godebug := os.Getenv("GODEBUG")
	if strings.Contains(godebug, "schedtrace=") || os.Getenv("LIVETRYON_NO_REEXEC") == "1" {
		return
	}
	// The running program's own file, even if its path was replaced or
	// removed since it started.
	const exe = "/proc/self/exe"
	if godebug != "" {
		godebug += ","
	}
	env := make([]string, 0, len(os.Environ())+1)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GODEBUG=") {
			env = append(env, kv)
		}
	}
	env = append(env, "GODEBUG="+godebug+sysmonSetting)
	_ = syscall.Exec(exe, os.Args, env) // returns only on failure
}
