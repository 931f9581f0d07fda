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
		`{"look":"evening","effects":[{"name":"lipstick","finish":"gloss"}]}`, `{"look":"bold"}`,
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
		if len(next.effects) > effects.MaxEffects {
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
	sel, err := ParseEffectsParam("lipstick:#ff0000,glasses:round")
	specs := sel.Effects
	if err != nil || sel.Look != "" || len(specs) != 2 || specs[0].Color != "#ff0000" || specs[1].Style != "round" {
		t.Fatalf("%+v %v", sel, err)
	}
	if _, err := effects.Build("effects", specs); err != nil {
		t.Fatal(err)
	}
	sel, err = ParseEffectsParam("look:evening,lipstick:#aa0000:gloss,blush:#ff8080")
	if err != nil || sel.Look != "evening" || len(sel.Effects) != 2 || sel.Effects[0].Finish != "gloss" || sel.Effects[1].Color != "#ff8080" {
		t.Fatalf("look shorthand: %+v %v", sel, err)
	}
	sel, err = ParseEffectsParam(`{"look":"bold","effects":[{"name":"eyeliner","wing":0}]}`)
	if err != nil || sel.Look != "bold" || len(sel.Effects) != 1 || *sel.Effects[0].Wing != 0 {
		t.Fatalf("JSON object: %+v %v", sel, err)
	}
	// Errors name the field at fault.
	for _, tc := range []struct{ look, q, field string }{
		{"", "lipstick:#b0123a:glitter", "effects[0].finish"},
		{"", "lipstick:#b0123a:gloss:x", "effects"},
		{"", "blush:#ff0000:gloss", "effects"},
		{"", "look:party", "look"},
		{"party", "", "look"},
		{"evening", "look:bold", "look"},
		{"", "look:evening,look:bold", "look"},
		{"", "eyeliner:#12", "effects[0].color"},
		{"", `{"look":"evening","effects":[{"name":"blush","strength":2}]}`, "effects[0].strength"},
		{"", `{"look":"evening","colour":"#fff"}`, "colour"},
		{"", `{"look":3}`, "look"},
		{"", `[{"name":"eyeliner","thickness":-1}]`, "effects[0].thickness"},
		{"", `[{"name":"eyeshadow","finish":"gloss"}]`, "effects[0].finish"},
	} {
		_, err := BuildEffectsParam(tc.look, tc.q)
		var fe *effects.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("look %q effects %q: error %v, want one naming %q", tc.look, tc.q, err, tc.field)
		}
	}
}

// A look in a config message: the look's effects, changed field by field
// by the effects beside it; effects alone replace the look.
func TestApplyConfigLook(t *testing.T) {
	cur := NewSettings([]effects.Effect{effects.DefaultLipstick})
	next, err := ApplyConfig(cur, []byte(`{"look":"evening"}`))
	if err != nil {
		t.Fatal(err)
	}
	evening, _ := effects.LookByName("evening")
	if next.Look != "evening" || len(next.Specs) != len(evening.Effects) {
		t.Fatalf("evening: %+v", next)
	}
	next, err = ApplyConfig(cur, []byte(`{"look":"evening","effects":[{"name":"lipstick","color":"#aa0000"},{"name":"blush","strength":0},{"name":"glasses","style":"aviator"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]effects.Spec{}
	for _, s := range next.Specs {
		byName[s.Name] = s
	}
	lip := byName["lipstick"]
	var lookLip effects.Spec
	for _, s := range evening.Effects {
		if s.Name == "lipstick" {
			lookLip = s
		}
	}
	if lip.Color != "#aa0000" || lip.Finish != lookLip.Finish || *lip.Strength != *lookLip.Strength {
		t.Errorf("lipstick override: %+v, want the look's finish and strength with colour #aa0000", lip)
	}
	if *byName["blush"].Strength != 0 {
		t.Errorf("blush strength 0 not taken: %+v", byName["blush"])
	}
	if len(next.Specs) != len(evening.Effects)+1 || next.Specs[len(next.Specs)-1].Name != "glasses" {
		t.Errorf("glasses not added after the look: %+v", next.Specs)
	}
	// The look table is not changed by an override.
	again, _ := effects.LookByName("evening")
	for i, s := range again.Effects {
		if s.Name == "blush" && *s.Strength == 0 || s.Name == "lipstick" && s.Color == "#aa0000" {
			t.Errorf("the look table was written through: %d %+v", i, s)
		}
	}
	later, err := ApplyConfig(next, []byte(`{"effects":[{"name":"lipstick"}]}`))
	if err != nil || later.Look != "" || len(later.Specs) != 1 {
		t.Errorf("effects alone after a look: %+v %v; want the look replaced", later, err)
	}
	kept, err := ApplyConfig(next, []byte(`{"landmarks":true}`))
	if err != nil || kept.Look != "evening" || len(kept.Specs) != len(next.Specs) {
		t.Errorf("landmarks only: %+v %v; want the look kept", kept, err)
	}
	for _, tc := range []struct{ raw, field string }{
		{`{"look":"party"}`, "look"},
		{`{"look":""}`, "look"},
		{`{"look":1}`, "look"},
		{`{"look":"bold","effects":[{"name":"lipstick","finish":"glitter"}]}`, "effects[0].finish"},
		{`{"look":"bold","effects":[{"name":"eyeliner","wing":1.5}]}`, "effects[0].wing"},
	} {
		_, err := ApplyConfig(cur, []byte(tc.raw))
		var fe *effects.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: error %v, want one naming %q", tc.raw, err, tc.field)
		}
	}
}

// FuzzEffectsParam: whatever a client puts in ?effects= and ?look=, the
// answer is effects (no more than the limit) or an error naming a field.
func FuzzEffectsParam(f *testing.F) {
	for _, s := range [][2]string{
		{"", "lipstick:#b0123a:gloss,glasses:aviator"}, {"evening", ""}, {"", "look:bold,eyeliner:#000"},
		{"", `{"look":"glam","effects":[{"name":"eyeliner","wing":0.9}]}`}, {"", `[{"name":"foundation","color":"#c08a6a"}]`},
		{"party", "look:x"}, {"", "lipstick:::"}, {"", ",,,"}, {"", `{"look":null}`},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, look, q string) {
		fx, err := BuildEffectsParam(look, q)
		if err != nil {
			var fe *effects.FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("error without a field: %v", err)
			}
			return
		}
		if len(fx) > effects.MaxEffects {
			t.Fatalf("%d effects accepted", len(fx))
		}
	})
}
