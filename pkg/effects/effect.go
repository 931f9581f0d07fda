package effects

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"slices"
	"strconv"
	"strings"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/landmarks"
)

// Effect draws onto a decoded BGR frame given the faces found in it.
type Effect interface {
	Apply(img *gocv.Mat, faces []landmarks.Face)
}

var (
	_ Effect = Lipstick{}
	_ Effect = Glasses{}
	_ Effect = Eyeliner{}
	_ Effect = Eyeshadow{}
	_ Effect = Brows{}
	_ Effect = Blush{}
	_ Effect = Foundation{}
)

// Spec is one effect as a client asks for it, e.g.
// {"name":"lipstick","color":"#b0123a","strength":0.6}.
type Spec struct {
	Name     string   `json:"name"`
	Color    string   `json:"color,omitempty"`
	Strength *float64 `json:"strength,omitempty"`
	Style    string   `json:"style,omitempty"`  // glasses: a catalogue frame's name
	IPD      *float64 `json:"ipd_mm,omitempty"` // glasses: the wearer's inter-pupil distance, mm

	Finish    string   `json:"finish,omitempty"`    // lipstick: matte, satin, gloss, shimmer
	Thickness *float64 `json:"thickness,omitempty"` // eyeliner, 0..1
	Wing      *float64 `json:"wing,omitempty"`      // eyeliner, 0..1 (0: none)
	Lower     *float64 `json:"lower,omitempty"`     // eyeliner, 0..1: the lower lash line (0: none)
}

// FieldError names the field of a client's settings that is wrong.
type FieldError struct {
	Field   string // e.g. "effects[0].color"
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// ErrorField and ErrorMessage let apierr.From make the client's error of
// it, with the code the caller gives (bad_config, bad_effects).
func (e *FieldError) ErrorField() string { return e.Field }

// ErrorMessage is the message without the field's name.
func (e *FieldError) ErrorMessage() string { return e.Message }

// Names lists the effects Build knows, for messages and the page.
var Names = []string{"blush", "brows", "eyeliner", "eyeshadow", "foundation", "glasses", "lipstick", "none"}

// MaxEffects bounds one list: a full look (six makeup effects and glasses)
// and a few more.
const MaxEffects = 12

// Build turns specs into effects, in order. An unknown name or a bad value
// is a *FieldError naming it; field names are prefixed with prefix.
func Build(prefix string, specs []Spec) ([]Effect, error) {
	if len(specs) > MaxEffects {
		return nil, &FieldError{prefix, fmt.Sprintf("at most %d effects, got %d", MaxEffects, len(specs))}
	}
	out := make([]Effect, 0, len(specs))
	for i, s := range specs {
		field := fmt.Sprintf("%s[%d]", prefix, i)
		if err := checkFields(field, s); err != nil {
			return nil, err
		}
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
				return nil, &FieldError{field + ".style", "lipstick has no style; set color, strength and finish"}
			}
			l := DefaultLipstick
			if err := colorField(field, s.Color, &l.Color); err != nil {
				return nil, err
			}
			if err := unitField(field+".strength", s.Strength, &l.Strength); err != nil {
				return nil, err
			}
			if s.Finish != "" {
				if !slices.Contains(Finishes, s.Finish) {
					return nil, &FieldError{field + ".finish", fmt.Sprintf("unknown finish %q; known: %s", apierr.Clip(s.Finish, 32), strings.Join(Finishes, ", "))}
				}
				l.Finish = s.Finish
			}
			out = append(out, l)
		case "eyeliner":
			e := DefaultEyeliner
			err := firstError(colorField(field, s.Color, &e.Color), unitField(field+".strength", s.Strength, &e.Strength),
				unitField(field+".thickness", s.Thickness, &e.Thickness), unitField(field+".wing", s.Wing, &e.Wing),
				unitField(field+".lower", s.Lower, &e.Lower))
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		case "eyeshadow":
			e := DefaultEyeshadow
			if err := firstError(colorField(field, s.Color, &e.Color), unitField(field+".strength", s.Strength, &e.Strength)); err != nil {
				return nil, err
			}
			out = append(out, e)
		case "brows":
			b := DefaultBrows
			if err := firstError(colorField(field, s.Color, &b.Color), unitField(field+".strength", s.Strength, &b.Strength)); err != nil {
				return nil, err
			}
			out = append(out, b)
		case "blush":
			b := DefaultBlush
			if err := firstError(colorField(field, s.Color, &b.Color), unitField(field+".strength", s.Strength, &b.Strength)); err != nil {
				return nil, err
			}
			out = append(out, b)
		case "foundation":
			f := DefaultFoundation
			if err := firstError(colorField(field, s.Color, &f.Color), unitField(field+".strength", s.Strength, &f.Strength)); err != nil {
				return nil, err
			}
			out = append(out, f)
		default:
			return nil, &FieldError{field + ".name", fmt.Sprintf("unknown effect %q; known: %s", apierr.Clip(s.Name, 32), strings.Join(Names, ", "))}
		}
	}
	return out, nil
}

// makeupFields are the fields only some effects take: a spec of another
// effect that sets one is refused, naming it, rather than ignored.
var makeupFields = []struct {
	name  string
	set   func(Spec) bool
	takes []string
}{
	{"finish", func(s Spec) bool { return s.Finish != "" }, []string{"lipstick"}},
	{"thickness", func(s Spec) bool { return s.Thickness != nil }, []string{"eyeliner"}},
	{"wing", func(s Spec) bool { return s.Wing != nil }, []string{"eyeliner"}},
	{"lower", func(s Spec) bool { return s.Lower != nil }, []string{"eyeliner"}},
	{"style", func(s Spec) bool { return s.Style != "" }, []string{"glasses", "lipstick"}}, // lipstick has its own message
}

func checkFields(field string, s Spec) error {
	if !slices.Contains(Names, s.Name) {
		return nil // the unknown name is the error
	}
	for _, f := range makeupFields {
		if f.set(s) && !slices.Contains(f.takes, s.Name) {
			return &FieldError{field + "." + f.name, fmt.Sprintf("%s has no %s (only %s)", s.Name, f.name, strings.Join(f.takes, ", "))}
		}
	}
	return nil
}

// colorField sets *dst from a "#rrggbb" field if it is given.
func colorField(field, s string, dst *color.RGBA) error {
	if s == "" {
		return nil
	}
	c, err := ParseColor(s)
	if err != nil {
		return &FieldError{field + ".color", err.Error()}
	}
	*dst = c
	return nil
}

// unitField sets *dst from a 0..1 field if it is given.
func unitField(field string, v *float64, dst *float64) error {
	if v == nil {
		return nil
	}
	if !(*v >= 0 && *v <= 1) {
		return &FieldError{field, fmt.Sprintf("want 0..1, got %g", *v)}
	}
	*dst = *v
	return nil
}

// firstError is the first of errs that is not nil: the fields are checked
// in the order the protocol lists them, and the first bad one is reported.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
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
		return color.RGBA{}, fmt.Errorf("want #rrggbb, got %q", apierr.Clip(s, 32))
	}
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return color.RGBA{}, fmt.Errorf("want #rrggbb, got %q", apierr.Clip(s, 32))
	}
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}, nil
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
