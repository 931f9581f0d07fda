// Package publish makes the server reachable beyond this machine: a public
// HTTPS link through an embedded ngrok agent, TLS for the local network,
// and the access key that keeps a public camera page from being open to
// the whole internet.
package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"golang.ngrok.com/ngrok/v2"
)

// NgrokConfig sets up the tunnel.
type NgrokConfig struct {
	Authtoken  string        // NGROK_AUTHTOKEN; without it nothing is tried
	URL        string        // a reserved domain, e.g. https://tryon.ngrok.app; empty for a random one
	ConnectURL string        // where the agent dials instead of ngrok's service
	Timeout    time.Duration // how long the start may take
}

// ErrNoAuthtoken is returned when no authtoken is set.
var ErrNoAuthtoken = errors.New("ngrok: NGROK_AUTHTOKEN is not set; get one at https://dashboard.ngrok.com/get-started/your-authtoken and start the server with NGROK_AUTHTOKEN=<token>")

// Tunnel is a public endpoint: a net.Listener whose connections come from
// the internet, and its URL.
type Tunnel struct {
	net.Listener
	URL string
}

// DefaultNgrokConfig is what the server runs with unless flags say
// otherwise.
func DefaultNgrokConfig() NgrokConfig { return NgrokConfig{Timeout: 15 * time.Second} }

// StartNgrok opens the tunnel, or fails within cfg.Timeout. ngrok-go retries
// for ever when there is no network or the token is wrong (upstream issue
// ngrok/ngrok-go#176), so the attempt runs under a deadline and is
// abandoned when it passes.
func StartNgrok(ctx context.Context, cfg NgrokConfig, log *slog.Logger) (*Tunnel, error) {
	if strings.TrimSpace(cfg.Authtoken) == "" {
		return nil, ErrNoAuthtoken
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultNgrokConfig().Timeout
	}
	opts := []ngrok.AgentOption{ngrok.WithAuthtoken(cfg.Authtoken), ngrok.WithLogger(log)}
	if cfg.ConnectURL != "" {
		opts = append(opts, ngrok.WithAgentConnectURL(cfg.ConnectURL))
	}
	agent, err := ngrok.NewAgent(opts...)
	if err != nil {
		return nil, fmt.Errorf("ngrok: %w", err)
	}
	var endpointOpts []ngrok.EndpointOption
	if cfg.URL != "" {
		endpointOpts = append(endpointOpts, ngrok.WithURL(cfg.URL))
	}

	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	type result struct {
		ln  ngrok.EndpointListener
		err error
	}
	done := make(chan result, 1)
	go func() {
		ln, err := agent.Listen(ctx, endpointOpts...)
		done <- result{ln, err}
	}()
	select {
	case r := <-done:
		cancel()
		if r.err != nil {
			agent.Disconnect()
			return nil, fmt.Errorf("ngrok: %w", r.err)
		}
		return &Tunnel{Listener: r.ln, URL: r.ln.URL().String()}, nil
	case <-ctx.Done():
		cancel()
		// The agent may still be retrying; stop it and close whatever it
		// opens late.
		go func() {
			agent.Disconnect()
			if r := <-done; r.ln != nil {
				r.ln.Close()
			}
		}()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("ngrok: no tunnel within %v (no network, a wrong token, or the service cannot be reached at %s)",
				cfg.Timeout, orDefault(cfg.ConnectURL, "connect.ngrok-agent.com:443"))
		}
		return nil, fmt.Errorf("ngrok: %w", ctx.Err())
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
