package client_test

import (
	"context"
	"fmt"
	"os"

	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/pipeline"
)

// printer is the whole outgoing side of a transport: it turns the client
// layer's Messages into its own bytes (here, lines of text) and returns
// once they are written. The outbox calls it from one goroutine, one
// message at a time, and keeps the rest.
type printer struct{ frames chan struct{} } // a signal per frame answered or refused

func (p printer) Send(m client.Message) error {
	switch {
	case m.Session != nil:
		fmt.Println("session opened over", m.Session.Transport)
	case m.Reply != nil && m.Reply.Error != nil:
		fmt.Printf("frame %v refused: %s\n", m.Reply.ID, m.Reply.Error.Code)
		p.frames <- struct{}{}
	case m.Reply != nil && m.Image != nil:
		fmt.Printf("frame %v answered: %d face, a JPEG back\n", m.Reply.ID, m.Reply.Faces)
		p.frames <- struct{}{}
	}
	return nil
}

// A new transport is an adapter on the hub: it asks the hub to open a
// session (the hub makes its id, asks admission, gives it its watch
// stream and logs it), turns its own bytes into the client's calls
// (SubmitJPEG, Configure), and implements Sender for the way back. It
// never sees the engine or an effect.
func Example_transport() {
	engine, err := pipeline.New(pipeline.DefaultConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer engine.Close(context.Background())
	hub := client.NewHub(engine, client.Common{})
	defer hub.Close(context.Background())

	out := printer{frames: make(chan struct{}, 2)}
	c, err := hub.Open("lines", out, client.Request{Remote: "stdin"})
	if err != nil { // client.ErrClosed: the server is stopping
		fmt.Println(err)
		return
	}
	defer c.Close()
	c.Hello()

	// A transport hands frames on as they come; here each waits for the
	// one before, since a newer frame replaces one not yet processed.
	c.SubmitJPEG(c.NewFrame("f1"), nil, []byte("not a JPEG"))
	<-out.frames
	jpg, _ := os.ReadFile(testmedia.Path("obama-480p.jpg"))
	c.SubmitJPEG(c.NewFrame("f2"), nil, jpg)
	<-out.frames

	// Output:
	// session opened over lines
	// frame f1 refused: not_jpeg
	// frame f2 answered: 1 face, a JPEG back
}
