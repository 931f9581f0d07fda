package client

import (
	"errors"
	"testing"

	"github.com/livetryon/server/pkg/effects"
)

func TestApplyConfig(t *testing.T) {
	cur := NewSettings([]effects.Effect{effects.DefaultLipstick})
	for _, tc := range []struct {
		raw, field string
	}{
		{`{"effects":[{"name":"lipstick","color":"red"}]}`, "effects[0].color"},
		{`{"colour":"#fff"}`, "colour"},
		{`{"":1}`, "config"},
		{`{"landmarks":"yes"}`, "landmarks"},
		{`{"output":"video"}`, "output"},
		{`{"output":3}`, "output"},
		{`[1]`, "config"},
		{`null`, "config"},
		{`{"effects":[{"name":"hat"}]}`, "effects[0].name"},
	} {
		_, err := ApplyConfig(cur, []byte(tc.raw))
		var fe *effects.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: error %v, want one naming %q", tc.raw, err, tc.field)
		}
	}
	next, err := ApplyConfig(cur, []byte(`{"output":"landmarks"}`))
	if err != nil || next.Output != "landmarks" || !next.Landmarks || len(next.Specs) != 1 {
		t.Errorf("landmarks output: %+v %v; want landmarks on and the lipstick kept", next, err)
	}
}

func FuzzApplyConfig(f *testing.F) {
	for _, s := range []string{
		`{"effects":[{"name":"lipstick","color":"#b0123a","strength":0.6},{"name":"glasses","style":"round"}],"landmarks":true}`,
		`{"output":"landmarks"}`, `{}`, `null`, `[]`, `{"effects":null}`, `{"effects":[{}]}`, `{"x":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		cur := Settings{Output: "image"}
		next, err := ApplyConfig(cur, raw)
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

func TestEveryCodeHasAStatus(t *testing.T) {
	for _, c := range Codes() {
		if s := HTTPStatus(c); s < 400 || s > 599 {
			t.Errorf("%s: status %d", c, s)
		}
	}
}

func TestParseEffectsParam(t *testing.T) {
	specs, err := ParseEffectsParam("lipstick:#ff0000,glasses:round")
	if err != nil || len(specs) != 2 || specs[0].Color != "#ff0000" || specs[1].Style != "round" {
		t.Fatalf("%+v %v", specs, err)
	}
	if _, err := effects.Build("effects", specs); err != nil {
		t.Fatal(err)
	}
}

func FuzzEffectsParam(f *testing.F) {
	for _, s := range []string{"lipstick", "glasses:aviator,lipstick:#abc", `[{"name":"glasses","style":"round"}]`, "[", ",,", "none"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		_, err := BuildEffectsParam(q)
		var fe *effects.FieldError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("error without a field: %v", err)
		}
	})
}
