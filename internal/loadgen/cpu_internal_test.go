package loadgen

import (
	"os"
	"testing"
	"time"
)

// The command name may hold spaces and parentheses; utime and stime are
// fields 14 and 15 counted from after it.
func TestParseStatCPU(t *testing.T) {
	for _, tc := range []struct {
		stat string
		want time.Duration
	}{
		{"1234 (server) S 1 1234 1234 0 -1 4194560 5000 0 0 0 250 130 0 0 20 0 12 0 100 0 0", 3800 * time.Millisecond},
		{"77 (a) b (c)) R 1 77 77 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 1 0 0", 100 * time.Millisecond},
	} {
		got, err := parseStatCPU(tc.stat)
		if err != nil || got != tc.want {
			t.Errorf("parseStatCPU(%q) = %v, %v; want %v", tc.stat, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "1 (x) S 1 2", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 x 3 0", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 -5 3 0"} {
		if _, err := parseStatCPU(bad); err == nil {
			t.Errorf("parseStatCPU(%q): want an error", bad)
		}
	}
}

// This process's own CPU time grows as it works.
func TestProcessCPU(t *testing.T) {
	before, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	x := 0
	for deadline := time.Now().Add(200 * time.Millisecond); time.Now().Before(deadline); {
		x++
	}
	after, err := processCPU(os.Getpid())
	if err != nil || after <= before {
		t.Errorf("cpu %v then %v (%v) after spinning %d times", before, after, err, x)
	}
	if _, err := processCPU(-1); err == nil {
		t.Error("processCPU(-1): want an error")
	}
}
