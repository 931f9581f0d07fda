package client

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/livetryon/server/pkg/pipeline"
)

type discardSender struct{}

func (discardSender) Send(Message) error { return nil }

// A refused config is logged, but a watch key in it must not be: whoever
// reads the logs could take over the page's watch link.
func TestRefusedConfigLogHidesWatchKey(t *testing.T) {
	engine, err := pipeline.New(pipeline.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close(context.Background())
	var buf bytes.Buffer
	c := New(engine, discardSender{}, Options{ID: "c1", Transport: "ws", Common: Common{Logger: zerolog.New(&buf)}})
	defer c.Close()
	const key = "Qz9xW7vKj"
	for _, raw := range []string{
		`{"watch_key":"` + key + `"}`,               // refused: this server keeps no watch links
		`{"watch_key":"` + key + `","output":"no"}`, // refused for another field
		`{"watch_key":"` + key + `",`,               // not JSON
	} {
		buf.Reset()
		if _, err := c.Configure([]byte(raw), nil); err == nil {
			t.Fatalf("%s: accepted", raw)
		}
		log := buf.String()
		if !strings.Contains(log, `"level":"warn"`) {
			t.Fatalf("%s: no warning logged: %s", raw, log)
		}
		for i := 0; i+3 <= len(key); i++ {
			if part := key[i : i+3]; strings.Contains(log, part) {
				t.Errorf("%s: the log holds %q of the watch key: %s", raw, part, log)
			}
		}
	}
}
