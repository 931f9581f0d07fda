package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// environOf is a running process's environment.
func environOf(t *testing.T, pid int) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
}

func godebugOf(t *testing.T, pid int) string {
	t.Helper()
	for _, kv := range environOf(t, pid) {
		if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
			return v
		}
	}
	return ""
}

// The server runs with sysmon's setting (reexecForSysmon): the process the
// test started, the same PID, serves with GODEBUG's schedtrace set and the
// operator's own GODEBUG settings kept; LIVETRYON_NO_REEXEC=1 or a
// schedtrace of the operator's own keep the process as it was started.
func TestServerRunsWithSysmonSetting(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server as a process")
	}
	cases := []struct {
		name, godebug string
		env           []string
		want          string
	}{
		{"default", "", nil, sysmonSetting},
		{"operator's GODEBUG kept", "madvdontneed=1", nil, "madvdontneed=1," + sysmonSetting},
		{"turned off", "", []string{"LIVETRYON_NO_REEXEC=1"}, ""},
		{"operator's schedtrace", "schedtrace=0", nil, "schedtrace=0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := startProcessEnv(t, append([]string{"GODEBUG=" + c.godebug}, c.env...))
			if got := godebugOf(t, p.cmd.Process.Pid); got != c.want {
				t.Errorf("GODEBUG of the serving process %d: %q, want %q", p.cmd.Process.Pid, got, c.want)
			}
			up, err := os.ReadFile("/proc/uptime")
			if err != nil {
				t.Fatal(err)
			}
			secs, _ := strconv.ParseFloat(strings.Fields(string(up))[0], 64)
			if time.Duration(secs*float64(time.Second)) < 2147483647*time.Millisecond && strings.Contains(p.logs.String(), "SCHED") {
				t.Errorf("a scheduler trace line on a machine up %.0f s:\n%s", secs, p.logs.String())
			}
		})
	}
}
