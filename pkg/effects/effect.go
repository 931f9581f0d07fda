package effects

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"strconv"
	"strings"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/pkg/landmarks"
)

// Effect draws onto a decoded BGR frame given the faces found in it.
type Effect interface {
	Apply(img *gocv.Mat, faces []landmarks.Face)
}

var (
	_ Effect = Lipstick{}
	_ Effect = Glasses{}
)

// Spec is one effect as a client asks for it, e.g.
// {"name":"lipstick","color":"#b0123a","strength":0.6}.
type Spec struct {
	Name     string   `json:"name"`
	Color    string   `json:"color,omitempty"`
	Strength *float64 `json:"strength,omitempty"`
	Style    string   `json:"style,omitempty"`  // glasses: a catalogue frame's name
	IPD      *float64 `json:"ipd_mm,omitempty"` // glasses: the wearer's inter-pupil distance, mm
}

// FieldError names the field of a client's settings that is wrong.
type FieldError struct {
	Field   string // e.g. "effects[0].color"
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Names lists the effects Build knows, for messages and the page.
var Names = []string{"glasses", "lipstick", "none"}

// Build turns specs into effects, in order. An unknown name or a bad value
// is a *FieldError naming it; field names are prefixed with prefix.
func Build(prefix string, specs []Spec) ([]Effect, error) {
	if len(specs) > 8 {
		return nil, &FieldError{prefix, fmt.Sprintf("at most 8 effects, got %d", len(specs))}
	}
	out := make([]Effect, 0, len(specs))
	for i, s := range specs {
		field := fmt.Sprintf("%s[%d]", prefix, i)
		if s.IPD != nil && s.Name != "glasses" {
			return nil, &FieldError{field + ".ipd_mm", "only glasses take ipd_mm"}
		}
		switch s.Name {
		case "none":
		case "glasses":
			style := s.Style
			if style == "" {
				style = defaultStyle
			}
			g, err := NewGlasses(style)
			if err != nil {
				return nil, &FieldError{field + ".style", err.Error()}
			}
			if s.Color != "" || s.Strength != nil {
				return nil, &FieldError{field, "glasses take only a style and ipd_mm"}
			}
			if s.IPD != nil {
				if !(*s.IPD >= MinIPD && *s.IPD <= MaxIPD) {
					return nil, &FieldError{field + ".ipd_mm", fmt.Sprintf("want %g..%g mm, got %g", MinIPD, MaxIPD, *s.IPD)}
				}
				g.IPD = *s.IPD
			}
			out = append(out, g)
		case "lipstick":
			if s.Style != "" {
				return nil, &FieldError{field + ".style", "lipstick has no style; set color and strength"}
			}
			l := DefaultLipstick
			if s.Color != "" {
				c, err := ParseColor(s.Color)
				if err != nil {
					return nil, &FieldError{field + ".color", err.Error()}
				}
				l.Color = c
			}
			if s.Strength != nil {
				if *s.Strength < 0 || *s.Strength > 1 {
					return nil, &FieldError{field + ".strength", fmt.Sprintf("want 0..1, got %g", *s.Strength)}
				}
				l.Strength = *s.Strength
			}
			out = append(out, l)
		default:
			return nil, &FieldError{field + ".name", fmt.Sprintf("unknown effect %q; known: %s", clip(s.Name), strings.Join(Names, ", "))}
		}
	}
	return out, nil
}

// DecodeSpecs reads a JSON array of specs strictly: unknown fields are
// errors, so a typo is reported rather than ignored.
func DecodeSpecs(prefix string, raw []byte) ([]Spec, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var specs []Spec
	if err := dec.Decode(&specs); err != nil {
		var ute *json.UnmarshalTypeError
		switch {
		case errors.As(err, &ute) && ute.Field != "":
			return nil, &FieldError{prefix + "." + ute.Field, "wrong type: want " + ute.Type.String()}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return nil, &FieldError{prefix, strings.TrimPrefix(err.Error(), "json: ")}
		default:
			return nil, &FieldError{prefix, "want a list of {name, ...} objects"}
		}
	}
	return specs, nil
}

// ParseColor reads "#rrggbb" or "#rgb".
func ParseColor(s string) (color.RGBA, error) {
	h, ok := strings.CutPrefix(s, "#")
	if !ok || (len(h) != 6 && len(h) != 3) {
		return color.RGBA{}, fmt.Errorf("want #rrggbb, got %q", clip(s))
	}
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return color.RGBA{}, fmt.Errorf("want #rrggbb, got %q", clip(s))
	}
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}, nil
}

func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

// SpecsOf describes effects as specs with every value filled in: what a
// client is told it got.
func SpecsOf(fx []Effect) []Spec {
	out := make([]Spec, 0, len(fx))
	for _, e := range fx {
		if d, ok := e.(interface{ Spec() Spec }); ok {
			out = append(out, d.Spec())
		}
	}
	return out
}
