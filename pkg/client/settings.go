package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/effects"
)

// Settings are one client's choices, changed by config messages.
type Settings struct {
	Look      string         `json:"look,omitempty"` // the look the effects came from, if any
	Specs     []effects.Spec `json:"effects"`
	Landmarks bool           `json:"landmarks"`
	Output    string         `json:"output"` // "image" or "landmarks"
	// Overlay is the FPS stamp in the corner of each answer: on by default,
	// as the classic tutorial's clients expect; pages that show the rate
	// themselves, or save snapshots, turn it off.
	Overlay bool `json:"overlay"`

	effects  []effects.Effect
	watchKey string // a config's watch_key, acted on by Configure, never kept
}

// NewSettings are the settings a client starts with.
func NewSettings(fx []effects.Effect) Settings {
	return Settings{Specs: effects.SpecsOf(fx), Output: "image", Overlay: true, effects: fx}
}

// Effects are the built effects of s.
func (s Settings) Effects() []effects.Effect { return s.effects }

// configFields are the keys a config message may have.
var configFields = map[string]bool{"effects": true, "look": true, "landmarks": true, "output": true, "overlay": true, "watch_key": true}

// ApplyConfig returns cur changed by the JSON config object raw. Absent
// fields keep their value. Errors are *effects.FieldError naming the setting
// at fault; cur is then unchanged.
func ApplyConfig(cur Settings, raw []byte) (Settings, error) {
	const want = `want an object like {"effects":[{"name":"lipstick"}],"landmarks":true}`
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return cur, &effects.FieldError{Field: "config", Message: want}
	}
	var unknown []string
	for k := range fields {
		if !configFields[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		field := apierr.Clip(unknown[0], 32)
		if field == "" {
			field = "config" // a key that is the empty string
		}
		return cur, &effects.FieldError{Field: field, Message: "unknown setting; known: effects, look, landmarks, output, overlay, watch_key"}
	}
	next := cur
	rawLook, hasLook := fields["look"]
	if raw, ok := fields["effects"]; ok || hasLook {
		// A look with effects: the effects change the look's (see
		// effects.Selection). Effects alone replace the list, look and all.
		var sel effects.Selection
		if hasLook {
			if err := json.Unmarshal(rawLook, &sel.Look); err != nil {
				return cur, &effects.FieldError{Field: "look", Message: "wrong type: want string"}
			}
			if sel.Look == "" {
				return cur, &effects.FieldError{Field: "look", Message: "want a look's name; known: " + strings.Join(effects.LookNames(), ", ")}
			}
		}
		if ok {
			specs, err := effects.DecodeSpecs("effects", raw)
			if err != nil {
				return cur, err
			}
			sel.Effects = specs
		}
		built, err := effects.BuildSelection(sel)
		if err != nil {
			return cur, err
		}
		next.effects = built
		next.Specs = effects.SpecsOf(built)
		next.Look = sel.Look
	}
	if raw, ok := fields["landmarks"]; ok {
		if err := json.Unmarshal(raw, &next.Landmarks); err != nil {
			return cur, &effects.FieldError{Field: "landmarks", Message: "wrong type: want bool"}
		}
	}
	if raw, ok := fields["watch_key"]; ok {
		if err := json.Unmarshal(raw, &next.watchKey); err != nil || len(next.watchKey) > 64 {
			return cur, &effects.FieldError{Field: "watch_key", Message: "want the watch_key string of an earlier session message"}
		}
	}
	if raw, ok := fields["overlay"]; ok {
		if err := json.Unmarshal(raw, &next.Overlay); err != nil {
			return cur, &effects.FieldError{Field: "overlay", Message: "wrong type: want bool"}
		}
	}
	if raw, ok := fields["output"]; ok {
		var out string
		if err := json.Unmarshal(raw, &out); err != nil {
			return cur, &effects.FieldError{Field: "output", Message: "wrong type: want string"}
		}
		if out != "image" && out != "landmarks" {
			return cur, &effects.FieldError{Field: "output", Message: fmt.Sprintf("want \"image\" or \"landmarks\", got %q", apierr.Clip(out, 32))}
		}
		next.Output = out
		if out == "landmarks" {
			next.Landmarks = true // landmarks-only output without landmarks would answer nothing
		}
	}
	return next, nil
}

// ParseEffectsParam reads an effects query parameter: a JSON list of
// specs, as in the config message; a JSON object {"look":..., "effects":
// [...]}; or a comma-separated shorthand of name[:variant[:finish]], where
// the variant is a glasses style, a look's name or an effect's colour, and
// lipstick may take a finish: look:evening,lipstick:#b0123a:gloss,glasses:aviator.
// In the shorthand, look:NAME may appear once, and the other items then
// change that look as in a config message.
func ParseEffectsParam(q string) (effects.Selection, error) {
	var sel effects.Selection
	switch t := strings.TrimSpace(q); {
	case strings.HasPrefix(t, "["):
		specs, err := effects.DecodeSpecs("effects", []byte(q))
		sel.Effects = specs
		return sel, err
	case strings.HasPrefix(t, "{"):
		return decodeSelection([]byte(q))
	}
	for _, part := range strings.Split(q, ",") {
		fields := strings.Split(strings.TrimSpace(part), ":")
		name, variant := fields[0], ""
		if len(fields) > 1 {
			variant = fields[1]
		}
		if len(fields) > 2 && name != "lipstick" {
			return sel, &effects.FieldError{Field: "effects", Message: fmt.Sprintf("%s takes one variant at most (name:variant)", apierr.Clip(name, 32))}
		}
		if len(fields) > 3 {
			return sel, &effects.FieldError{Field: "effects", Message: "lipstick takes a colour and a finish at most (lipstick:#b0123a:gloss)"}
		}
		spec := effects.Spec{Name: name}
		switch name {
		case "look":
			if sel.Look != "" {
				return sel, &effects.FieldError{Field: "look", Message: "one look at most"}
			}
			if variant == "" {
				return sel, &effects.FieldError{Field: "look", Message: "want look:NAME; known: " + strings.Join(effects.LookNames(), ", ")}
			}
			sel.Look = variant
			continue
		case "glasses":
			spec.Style = variant
		case "lipstick":
			spec.Color = variant
			if len(fields) > 2 {
				spec.Finish = fields[2]
			}
		case "eyeliner", "eyeshadow", "brows", "blush", "foundation":
			spec.Color = variant
		default:
			if variant != "" {
				return sel, &effects.FieldError{Field: "effects", Message: fmt.Sprintf("%s takes no variant", apierr.Clip(name, 32))}
			}
		}
		sel.Effects = append(sel.Effects, spec)
	}
	return sel, nil
}

// decodeSelection reads {"look":..., "effects":[...]} strictly.
func decodeSelection(raw []byte) (effects.Selection, error) {
	var fields map[string]json.RawMessage
	var sel effects.Selection
	if err := json.Unmarshal(raw, &fields); err != nil {
		return sel, &effects.FieldError{Field: "effects", Message: `want a list of effects, or {"look":"...","effects":[...]}`}
	}
	for k, v := range fields {
		switch k {
		case "look":
			if err := json.Unmarshal(v, &sel.Look); err != nil {
				return sel, &effects.FieldError{Field: "look", Message: "wrong type: want string"}
			}
		case "effects":
			specs, err := effects.DecodeSpecs("effects", v)
			if err != nil {
				return sel, err
			}
			sel.Effects = specs
		default:
			field := apierr.Clip(k, 32)
			if field == "" {
				field = "effects" // a key that is the empty string
			}
			return sel, &effects.FieldError{Field: field, Message: "unknown field; known: look, effects"}
		}
	}
	return sel, nil
}

// BuildEffectsParam parses and builds an effects query parameter and a
// look parameter (either may be empty; ?look=evening is ?effects=look:evening).
func BuildEffectsParam(look, q string) ([]effects.Effect, error) {
	var sel effects.Selection
	if q != "" {
		var err error
		if sel, err = ParseEffectsParam(q); err != nil {
			return nil, err
		}
	}
	if look != "" {
		if sel.Look != "" && sel.Look != look {
			return nil, &effects.FieldError{Field: "look", Message: fmt.Sprintf("two looks: %q and %q", apierr.Clip(look, 32), apierr.Clip(sel.Look, 32))}
		}
		sel.Look = look
	}
	return effects.BuildSelection(sel)
}

// redactedConfig is a config for logs: compact, with watch_key's value
// replaced, since a watch key lets whoever holds it take over a watch
// link. A config that is not a JSON object yet names watch_key is not
// logged at all, as its key cannot be told apart.
func redactedConfig(raw []byte) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		if bytes.Contains(raw, []byte("watch_key")) {
			return "(unreadable, names watch_key: not logged)"
		}
		return compact(raw)
	}
	if _, ok := fields["watch_key"]; !ok {
		return compact(raw)
	}
	fields["watch_key"] = json.RawMessage(`"…"`)
	b, err := json.Marshal(fields)
	if err != nil {
		return "(not logged)"
	}
	return compact(b)
}

// compact is raw JSON without spaces, for logs.
func compact(raw []byte) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return apierr.Clip(string(raw), 32)
	}
	return apierr.Clip(b.String(), 32)
}
