package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/effects"
	"github.com/livetryon/server/pkg/frame"
)

// looksReply is GET /api/v1/looks: every built-in look with its effects,
// each with every value filled in, as a config reply lists them.
type looksReply struct {
	Looks []effects.Look `json:"looks"`
}

func serveLooks(w http.ResponseWriter, r *http.Request) {
	reply := looksReply{Looks: make([]effects.Look, 0, len(effects.Looks()))}
	for _, l := range effects.Looks() {
		fx, err := effects.Build("effects", l.Effects)
		if err != nil { // the built-in table is tested to build; never a client's fault
			client.WriteHTTPError(w, frame.CodeInternal, "look "+l.Name+": "+err.Error())
			return
		}
		l.Effects = effects.SpecsOf(fx)
		reply.Looks = append(reply.Looks, l)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	json.NewEncoder(w).Encode(reply)
}
