package socketio

import (
	"errors"
	"testing"

	"github.com/livetryon/server/pkg/effects"
)

func FuzzApplyConfig(f *testing.F) {
	for _, s := range []string{
		`{"effects":[{"name":"lipstick","color":"#b0123a","strength":0.6},{"name":"glasses","style":"round"}],"landmarks":true}`,
		`{"output":"landmarks"}`, `{}`, `null`, `[]`, `{"effects":null}`, `{"effects":[{}]}`, `{"x":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		cur := settings{Output: "image"}
		next, err := applyConfig(cur, raw)
		if err != nil {
			var fe *effects.FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("error without a field: %v", err)
			}
			return
		}
		if next.Output != "image" && next.Output != "landmarks" {
			t.Fatalf("output %q accepted", next.Output)
		}
		if len(next.effects) > 8 {
			t.Fatalf("%d effects accepted", len(next.effects))
		}
	})
}
