package socketio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/landmarks"
	"github.com/livetryon/server/pkg/pipeline"
)

// Wire formats of the events. docs/protocol.md describes each with examples.

// errorBody is the payload of the error event, and the error of an ack.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"` // for bad_config: the setting at fault
}

// frameAck answers an image event sent with an acknowledgement callback.
type frameAck struct {
	ID      any        `json:"id,omitempty"`
	Image   string     `json:"image,omitempty"` // JPEG data URL, unless output is "landmarks"
	Faces   int        `json:"faces"`
	FPS     float64    `json:"fps"`
	Dropped uint64     `json:"dropped"` // frames of this client the server dropped so far
	Timings *timingsMs `json:"timings,omitempty"`
	Error   *errorBody `json:"error,omitempty"`
}

type timingsMs struct {
	Queue     float64 `json:"queue"`
	Decode    float64 `json:"decode"`
	Detect    float64 `json:"detect"`
	Landmarks float64 `json:"landmarks"`
	Effects   float64 `json:"effects"`
	Encode    float64 `json:"encode"`
	Total     float64 `json:"total"`
}

func msOf(t pipeline.Timings) *timingsMs {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return &timingsMs{ms(t.Queue), ms(t.Decode), ms(t.Detect), ms(t.Landmarks), ms(t.Effects), ms(t.Encode), ms(t.Total())}
}

// landmarksEvent is the payload of the landmarks event.
type landmarksEvent struct {
	Frame  any              `json:"frame"` // the image's id, or the server's count of this client's frames
	Width  int              `json:"width"`
	Height int              `json:"height"`
	Faces  []landmarks.Face `json:"faces"`
}

// settings are one connection's choices, changed by the config event.
type settings struct {
	Specs     []effects.Spec `json:"effects"`
	Landmarks bool           `json:"landmarks"`
	Output    string         `json:"output"` // "image" or "landmarks"

	effects []effects.Effect
}

// configMessage is what a client may send in a config event; absent fields
// keep their current value.
type configMessage struct {
	Effects   json.RawMessage `json:"effects"`
	Landmarks *bool           `json:"landmarks"`
	Output    *string         `json:"output"`
}

// applyConfig returns cur changed by the JSON config raw. Errors are
// *effects.FieldError naming the setting at fault.
func applyConfig(cur settings, raw []byte) (settings, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var msg configMessage
	if err := dec.Decode(&msg); err != nil {
		var ute *json.UnmarshalTypeError
		switch {
		case asType(err, &ute) && ute.Field != "":
			return cur, &effects.FieldError{Field: ute.Field, Message: "wrong type: want " + ute.Type.String()}
		case bytes.HasPrefix([]byte(err.Error()), []byte("json: unknown field ")):
			field := trimQuotes(err.Error()[len("json: unknown field "):])
			if field == "" {
				field = "config" // a key that is the empty string
			}
			return cur, &effects.FieldError{Field: field, Message: "unknown setting; known: effects, landmarks, output"}
		default:
			return cur, &effects.FieldError{Field: "config", Message: "want an object like {effects:[{name:\"lipstick\"}], landmarks:true}"}
		}
	}
	next := cur
	if msg.Effects != nil {
		specs, err := effects.DecodeSpecs("effects", msg.Effects)
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
	if msg.Landmarks != nil {
		next.Landmarks = *msg.Landmarks
	}
	if msg.Output != nil {
		if *msg.Output != "image" && *msg.Output != "landmarks" {
			return cur, &effects.FieldError{Field: "output", Message: fmt.Sprintf("want \"image\" or \"landmarks\", got %q", *msg.Output)}
		}
		next.Output = *msg.Output
		if next.Output == "landmarks" {
			next.Landmarks = true // landmarks-only output without landmarks would answer nothing
		}
	}
	return next, nil
}

func trimQuotes(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}
