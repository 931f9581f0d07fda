// Command server is the live virtual try-on server: it serves the camera
// page and answers each frame, over whichever transport the client chose
// (Socket.IO, WebSocket, HTTP per frame, WebRTC), with the try-on drawn on
// every face; it also serves photos, video jobs and watch links. See
// docs/FLAGS.md for flags and docs/protocol.md for the protocol.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	reexecForSysmon()
	tuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // the default handlers are back: a second signal exits at once
	}()
	err := run(ctx, os.Args[1:])
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// run parses flags and serves until ctx is cancelled, then shuts down
// within --shutdown-timeout.
func run(ctx context.Context, args []string) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	tuneProcs(cfg.Pipeline.Workers)
	srv, err := NewServer(cfg)
	if err != nil {
		return err
	}
	return srv.Serve(ctx)
}
