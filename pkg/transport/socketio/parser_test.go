package socketio_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/zishang520/engine.io-go-parser/parser"
	"github.com/zishang520/engine.io-go-parser/types"
	sioparser "github.com/zishang520/socket.io-go-parser/v2/parser"
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

// The vendored Socket.IO parser decodes an event's JSON on a fast path of
// its own (third_party/socket.io-go-parser/README.md), and leaves what it
// does not take to encoding/json. decodeEvent is the parser's answer to
// the event packet "2 "+payload: its data, or an error (the space keeps a
// payload's leading digits from being read as the packet's id).
func decodeEvent(t testing.TB, payload string) (any, error) {
	t.Helper()
	var got any
	d := sioparser.NewDecoder()
	d.On("decoded", func(args ...any) { got = args[0].(*sioparser.Packet).Data })
	if err := d.Add("2 " + payload); err != nil {
		return nil, err
	}
	return got, nil
}

// checkLikeEncodingJSON fails when the parser's reading of an event payload
// is not encoding/json's: the same value, or an error where encoding/json
// has one or the value is not an event (an array led by an event name
// that is not reserved).
func checkLikeEncodingJSON(t *testing.T, payload string) {
	var want any
	jsonErr := json.NewDecoder(strings.NewReader(payload)).Decode(&want)
	got, err := decodeEvent(t, payload)
	switch {
	case jsonErr != nil && err == nil:
		t.Fatalf("%.80q: decoded to %.80v, encoding/json says %v", payload, got, jsonErr)
	case jsonErr == nil && err == nil && !reflect.DeepEqual(got, want):
		t.Fatalf("%.80q: decoded to %.80v, encoding/json to %.80v", payload, got, want)
	case jsonErr == nil && err != nil && isEvent(want):
		t.Fatalf("%.80q: %v, but encoding/json reads the event %.80v", payload, err, want)
	}
}

func isEvent(v any) bool {
	a, ok := v.([]any)
	if !ok || len(a) == 0 {
		return false
	}
	name, ok := a[0].(string)
	return ok && !sioparser.RESERVED_EVENTS.Has(name)
}

var eventPayloads = []string{
	`["image","data:image/jpeg;base64,/9j/4AAQSkZJRg=="]`,
	`["image",{"id":7,"image":"data:image/jpeg;base64,/9j/4AAQ"}]`,
	`["config",{"effects":[{"name":"lipstick","color":"#aa0033","strength":0.6},{"name":"glasses","style":"round"}],"overlay":false}]`,
	` [ "x" , -0.5e+3 , 1E2 , 0 , true , false , null , [ ] , { } ] trailing`,
	`["x","caf\u00e9 \"quoted\" \\ and a tab\t"]`, // escapes: encoding/json's
	`["x","` + "caf\xc3\xa9" + `"]`,               // UTF-8, no escape: the fast path
	`["x","` + "bad \xff byte" + `"]`,             // invalid UTF-8: encoding/json replaces it
	`["x","` + "a\x01control" + `"]`,              // refused
	`["x",{"k":1,"k":2}]`,
	`["x",1e999]`, `["x",01]`, `["x",-]`, `["x",.5]`, `["x",1.]`, `["x",1e]`, `["x",tru]`,
	`["x",[1,2,]]`, `["x",{"a":1,}]`, `["x",{"a"}]`, `["x"`, `["x",]`, `[`, ``, `   `,
	`["x",` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `]`, // deeper than the fast path goes
	`["connect"]`, `[]`, `[1]`, `{"a":"b"}`, `"s"`,
}

func TestEventPayloadsDecodeLikeEncodingJSON(t *testing.T) {
	for _, p := range eventPayloads {
		checkLikeEncodingJSON(t, p)
	}
	// A camera frame, long enough for the 8-byte steps and their tail, with
	// a control byte, a backslash and a non-ASCII byte at each position
	// of a step.
	frame := "data:image/jpeg;base64," + strings.Repeat("/9j/4AAQSkZJRgABAQ+", 3000)
	checkLikeEncodingJSON(t, `["image",{"id":1,"image":"`+frame+`"}]`)
	for i := 0; i < 17; i++ {
		for _, odd := range []string{"\x1f", `\\`, "\u00e9", "\xe9"} {
			s := frame[:1000+i] + odd + frame[1000+i:]
			checkLikeEncodingJSON(t, `["image","`+s+`"]`)
		}
	}
}

func FuzzEventPayload(f *testing.F) {
	for _, p := range eventPayloads {
		f.Add(p)
	}
	f.Fuzz(checkLikeEncodingJSON)
}

// BenchmarkEventDecode decodes a 640x480 camera frame's event (a 40 KB data
// URL) with the vendored parser, and with encoding/json as the parser did
// before its fast path.
func BenchmarkEventDecode(b *testing.B) {
	payload := `["image",{"id":1,"image":"data:image/jpeg;base64,` + strings.Repeat("/9j/4AAQSkZJRgABAQ+", 2100) + `"}]`
	b.Run("parser", func(b *testing.B) {
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if _, err := decodeEvent(b, payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			var v any
			if err := json.NewDecoder(strings.NewReader(payload)).Decode(&v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
