package effects

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/livetryon/server/pkg/apierr"
)

// Look is a named list of effects: a whole made-up face in one word.
type Look struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Effects     []Spec `json:"effects"`
}

func num(v float64) *float64 { return &v }

// looks is the one table of built-in looks, in the order the page lists
// them. Effects are drawn in order: skin first, then eyes, then lips. A
// look may name glasses too; none does yet.
var looks = []Look{
	{Name: "natural", Description: "even skin, groomed brows, a hint of colour on the cheeks and a sheer rosy lip", Effects: []Spec{
		{Name: "foundation", Strength: num(0.45)},
		{Name: "brows", Color: "#5a4034", Strength: num(0.35)},
		{Name: "blush", Color: "#e8867c", Strength: num(0.3)},
		{Name: "lipstick", Color: "#c0606a", Strength: num(0.45), Finish: FinishSatin},
	}},
	{Name: "evening", Description: "plum shadow, a winged liner, defined brows, rose cheeks and a deep berry satin lip", Effects: []Spec{
		{Name: "foundation", Strength: num(0.6)},
		{Name: "eyeshadow", Color: "#6e4470", Strength: num(0.6)},
		{Name: "eyeliner", Color: "#141010", Thickness: num(0.55), Wing: num(0.5), Strength: num(0.9)},
		{Name: "brows", Color: "#3e2c24", Strength: num(0.5)},
		{Name: "blush", Color: "#d0607a", Strength: num(0.4)},
		{Name: "lipstick", Color: "#8a1538", Strength: num(0.75), Finish: FinishSatin},
	}},
	{Name: "bold", Description: "smoky eyes lined above and below, a long thick wing, strong brows and a glossy red lip", Effects: []Spec{
		{Name: "foundation", Strength: num(0.7)},
		{Name: "eyeshadow", Color: "#34303c", Strength: num(0.75)},
		{Name: "eyeliner", Color: "#0a0808", Thickness: num(0.85), Wing: num(0.9), Strength: num(1), Lower: num(0.6)},
		{Name: "brows", Color: "#2a1e1a", Strength: num(0.65)},
		{Name: "blush", Color: "#c84a5a", Strength: num(0.45)},
		{Name: "lipstick", Color: "#c0102a", Strength: num(0.85), Finish: FinishGloss},
	}},
	{Name: "glam", Description: "golden shimmer lids, a fine wing, peach cheeks and a shimmering pink lip", Effects: []Spec{
		{Name: "foundation", Strength: num(0.6)},
		{Name: "eyeshadow", Color: "#b08850", Strength: num(0.65)},
		{Name: "eyeliner", Color: "#2a1a14", Thickness: num(0.4), Wing: num(0.6), Strength: num(0.85)},
		{Name: "brows", Color: "#4a3428", Strength: num(0.45)},
		{Name: "blush", Color: "#f09070", Strength: num(0.4)},
		{Name: "lipstick", Color: "#d04a78", Strength: num(0.7), Finish: FinishShimmer},
	}},
	{Name: "fresh", Description: "bare-looking skin, a soft peach flush and a clear-pink gloss", Effects: []Spec{
		{Name: "foundation", Strength: num(0.35)},
		{Name: "blush", Color: "#f4a080", Strength: num(0.35)},
		{Name: "lipstick", Color: "#e07a8a", Strength: num(0.4), Finish: FinishGloss},
	}},
}

// Looks lists the built-in looks.
func Looks() []Look { return looks }

// LookNames lists the built-in looks' names, for messages and the page.
func LookNames() []string {
	names := make([]string, len(looks))
	for i, l := range looks {
		names[i] = l.Name
	}
	return names
}

// LookByName is the built-in look of that name.
func LookByName(name string) (Look, bool) {
	for _, l := range looks {
		if l.Name == name {
			return l, true
		}
	}
	return Look{}, false
}

// Selection is what a client asks for: optionally a look, and effects. With
// a look, each of the effects changes the look's effect of the same name,
// field by field (only the fields it sets), or is added after the look's
// if the look has none of that name; without one, the effects are the whole
// list. {"look":"evening","effects":[{"name":"lipstick","color":"#aa0000"}]}
// is the evening look with a red lipstick of the look's finish and strength;
// {"name":"blush","strength":0} takes the look's blush off.
type Selection struct {
	Look    string `json:"look,omitempty"`
	Effects []Spec `json:"effects"`
}

// Resolve is the selection as one list of specs, checked: an unknown look
// is a *FieldError on "look", a bad effect one on effects[i] (i counting in
// sel.Effects, as the client wrote them). Build then builds the list.
func Resolve(sel Selection) ([]Spec, error) {
	if sel.Look == "" {
		return sel.Effects, nil
	}
	look, ok := LookByName(sel.Look)
	if !ok {
		return nil, &FieldError{"look", fmt.Sprintf("unknown look %q; known: %s", apierr.Clip(sel.Look, 32), strings.Join(LookNames(), ", "))}
	}
	// Each override is checked on its own, so its error names the field the
	// client sent.
	if _, err := Build("effects", sel.Effects); err != nil {
		return nil, err
	}
	out := make([]Spec, len(look.Effects), len(look.Effects)+len(sel.Effects))
	copy(out, look.Effects)
	for _, o := range sel.Effects {
		i := -1
		for j := range look.Effects {
			if out[j].Name == o.Name {
				i = j
				break
			}
		}
		if i < 0 {
			out = append(out, o)
			continue
		}
		out[i] = override(out[i], o)
	}
	if len(out) > MaxEffects {
		return nil, &FieldError{"effects", fmt.Sprintf("the look and its effects make %d effects; at most %d", len(out), MaxEffects)}
	}
	return out, nil
}

// override is base with the fields o sets. It goes through JSON so that
// every field of Spec, present and future, overrides alike; base is copied
// first, so the look table's values are never written through.
func override(base, o Spec) Spec {
	var out Spec
	b, _ := json.Marshal(base)
	json.Unmarshal(b, &out)
	b, _ = json.Marshal(o)
	json.Unmarshal(b, &out)
	return out
}

// BuildSelection resolves and builds a selection.
func BuildSelection(sel Selection) ([]Effect, error) {
	specs, err := Resolve(sel)
	if err != nil {
		return nil, err
	}
	return Build("effects", specs)
}
