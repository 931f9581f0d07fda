package parser

import (
	"strings"
	"testing"
)

// What a page sends takes the fast path; what it does not take goes to
// encoding/json (pkg/transport/socketio checks that the two agree).
func TestFastPathTakesFrames(t *testing.T) {
	frame := "data:image/jpeg;base64," + strings.Repeat("/9j/4AAQSkZJRgABAQ+", 2000)
	for _, p := range []string{
		`["image","` + frame + `"]`,
		`["image",{"id":12,"image":"` + frame + `"}]`,
		`["config",{"look":"evening","effects":[{"name":"lipstick","finish":"gloss","strength":0.5}],"overlay":false,"x":null,"y":true}]`,
		`["x","` + "caf\xc3\xa9" + `",-1.5e-3]`,
	} {
		if _, ok := (&fastJSON{b: []byte(p)}).value(0); !ok {
			t.Errorf("%.60q: not taken by the fast path", p)
		}
	}
	for _, p := range []string{
		`["x","a\"b"]`, `["x","` + "\xff" + `"]`, `["x","` + "\x01" + `"]`, `["x",01]`, `["x",1e999]`,
		`["x",` + strings.Repeat("[", fastMaxDepth+1) + strings.Repeat("]", fastMaxDepth+1) + `]`,
	} {
		if _, ok := (&fastJSON{b: []byte(p)}).value(0); ok {
			t.Errorf("%.60q: taken by the fast path, which leaves it to encoding/json", p)
		}
	}
}
