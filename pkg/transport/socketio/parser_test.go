package socketio_test

import (
	"strings"
	"testing"

	"github.com/zishang520/engine.io-go-parser/parser"
	"github.com/zishang520/engine.io-go-parser/types"
)

// The vendored Engine.IO parser keeps a message's own buffer as its
// packet's data (third_party/engine.io-go-parser/README.md). A polling
// payload holds several packets read through one scanner buffer, which the
// scanner reuses: each packet must still hold its own data once the next
// ones are read, also when they are larger than the scanner's first 64 KiB.
func TestPollingPayloadPacketsKeepTheirData(t *testing.T) {
	var want []string
	var payload strings.Builder
	for i, n := range []int{10, 70 << 10, 3, 100 << 10, 40 << 10} {
		if i > 0 {
			payload.WriteByte(0x1e) // the separator
		}
		data := strings.Repeat(string(rune('a'+i)), n)
		want = append(want, data)
		payload.WriteString("4" + data) // a message packet
	}
	packets, err := parser.Parserv4().DecodePayload(types.NewStringBufferString(payload.String()))
	if err != nil || len(packets) != len(want) {
		t.Fatalf("%d packets (%v), want %d", len(packets), err, len(want))
	}
	for i, p := range packets {
		if got := p.Data.(*types.StringBuffer).String(); got != want[i] {
			t.Errorf("packet %d: %d bytes starting %.8q, want %d of %q", i, len(got), got, len(want[i]), want[i][:1])
		}
	}
}
