package httpframe

import (
	"encoding/json"
	"net/http"

	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/effects"
)

// configOf is the request's settings as a config message: ?config= or the
// X-Config header (JSON, as the config event), or ?effects= and ?look= (as
// the photo API). Empty when it sets none.
func configOf(r *http.Request) ([]byte, error) {
	if c := r.URL.Query().Get("config"); c != "" {
		return []byte(c), nil
	}
	if c := r.Header.Get(HeaderConfig); c != "" {
		return []byte(c), nil
	}
	if q, look := r.URL.Query().Get("effects"), r.URL.Query().Get("look"); q != "" || look != "" {
		var sel effects.Selection
		if q != "" {
			var err error
			if sel, err = client.ParseEffectsParam(q); err != nil {
				return nil, err
			}
		}
		if look != "" {
			if sel.Look != "" && sel.Look != look {
				return nil, &effects.FieldError{Field: "look", Message: "two looks given"}
			}
			sel.Look = look
		}
		cfg := map[string]any{"effects": sel.Effects}
		if sel.Look != "" {
			cfg["look"] = sel.Look
		}
		if sel.Effects == nil && sel.Look != "" {
			delete(cfg, "effects")
		}
		return json.Marshal(cfg)
	}
	return nil, nil
}
