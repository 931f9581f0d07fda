package client

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// TestRefusalsAreSummed: 1,500 refusals in three seconds write a handful
// of lines, not 1,500, and every refusal is counted in them.
func TestRefusalsAreSummed(t *testing.T) {
	var buf bytes.Buffer
	r := refusalLog{log: zerolog.New(&buf)}
	start := time.Unix(1000, 0)
	for i := range 1500 {
		r.add("not_jpeg", "frame is not a JPEG", start.Add(time.Duration(i)*2*time.Millisecond))
	}
	r.flush(start.Add(3 * time.Second))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	t.Logf("%d lines:\n%s", len(lines), buf.String())
	if len(lines) > 5 {
		t.Errorf("%d log lines for 1,500 refusals in 3 s, want at most one a second", len(lines))
	}
	if !strings.Contains(lines[len(lines)-1], `"refused_total":1500`) {
		t.Errorf("the last line does not count all 1,500: %s", lines[len(lines)-1])
	}
}
