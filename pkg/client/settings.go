package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/livetryon/server/pkg/effects"
)

// Settings are one client's choices, changed by config messages.
type Settings struct {
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
var configFields = map[string]bool{"effects": true, "landmarks": true, "output": true, "overlay": true, "watch_key": true}

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
		field := clip(unknown[0])
		if field == "" {
			field = "config" // a key that is the empty string
		}
		return cur, &effects.FieldError{Field: field, Message: "unknown setting; known: effects, landmarks, output, overlay, watch_key"}
	}
	next := cur
	if raw, ok := fields["effects"]; ok {
		specs, err := effects.DecodeSpecs("effects", raw)
		if err != nil {
			return cur, err
		}
		built, err := effects.Build("effects", specs)
		if err != nil {
			return cur, err
		}
		next.effects = built
		next.Specs = effects.SpecsOf(built)
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
			return cur, &effects.FieldError{Field: "output", Message: fmt.Sprintf("want \"image\" or \"landmarks\", got %q", clip(out))}
		}
		next.Output = out
		if out == "landmarks" {
			next.Landmarks = true // landmarks-only output without landmarks would answer nothing
		}
	}
	return next, nil
}

// ParseEffectsParam reads an effects query parameter: either a JSON list of
// specs, as in the config message, or a comma-separated shorthand of
// name[:variant], where the variant is a glasses style or a lipstick
// colour: lipstick:#b0123a,glasses:aviator.
func ParseEffectsParam(q string) ([]effects.Spec, error) {
	if strings.HasPrefix(strings.TrimSpace(q), "[") {
		return effects.DecodeSpecs("effects", []byte(q))
	}
	var specs []effects.Spec
	for _, part := range strings.Split(q, ",") {
		name, variant, _ := strings.Cut(strings.TrimSpace(part), ":")
		spec := effects.Spec{Name: name}
		switch name {
		case "glasses":
			spec.Style = variant
		case "lipstick":
			spec.Color = variant
		default:
			if variant != "" {
				return nil, &effects.FieldError{Field: "effects", Message: fmt.Sprintf("%s takes no variant", clip(name))}
			}
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

// BuildEffectsParam parses and builds an effects query parameter.
func BuildEffectsParam(q string) ([]effects.Effect, error) {
	specs, err := ParseEffectsParam(q)
	if err != nil {
		return nil, err
	}
	return effects.Build("effects", specs)
}

func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

// compact is raw JSON without spaces, for logs.
func compact(raw []byte) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return clip(string(raw))
	}
	return clip(b.String())
}
