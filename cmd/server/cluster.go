package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/cluster"
	"github.com/livetryon/server/pkg/metrics"
	"github.com/livetryon/server/pkg/transport/socketio"
	"github.com/zishang520/socket.io/v2/socket"
)

// ClusterConfig is what the command line sets for running as one node of
// several behind a balancer (docs/DEPLOY.md).
type ClusterConfig struct {
	NodeID   string        // --node-id; default host name and port
	NodeURL  string        // --node-url; where the other nodes reach this one
	RedisURL string        // --redis; empty: a single node
	Drain    time.Duration // --drain: not ready, clients moved, before stopping
}

func clusterFlags(fs *flag.FlagSet, c *ClusterConfig) {
	fs.StringVar(&c.NodeID, "node-id", "", "this node's name in logs, metrics, the X-Node header and the session message (default: the host name and the port, e.g. web1-9990)")
	fs.StringVar(&c.NodeURL, "node-url", "", "where the other nodes reach this one, e.g. http://10.0.0.5:9990, to proxy watch links to it (default: http://<host name>:<port>)")
	fs.StringVar(&c.RedisURL, "redis", "", "join the nodes sharing this Redis, redis://[user:password@]host:port[/db]: watch links from any node, Socket.IO rooms and broadcasts across nodes; empty: a single node")
	fs.DurationVar(&c.Drain, "drain", 0, "on SIGTERM, first answer /readyz and new sessions with 503 and move live clients away (they reconnect through the balancer) for this long, then stop; 0: stop at once")
}

// withDefaults fills in what depends on --addr.
func (c ClusterConfig) withDefaults(addr string) ClusterConfig {
	if c.NodeID == "" {
		c.NodeID = cluster.DefaultNodeID(addr)
	}
	if c.NodeURL == "" {
		c.NodeURL = cluster.DefaultURL(addr)
	}
	return c
}

func (c ClusterConfig) validate() error {
	for _, r := range c.NodeID {
		if !(r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return fmt.Errorf("--node-id %q: want letters, digits, '-', '_' or '.'", c.NodeID)
		}
	}
	if len(c.NodeID) > 64 {
		return fmt.Errorf("--node-id %q: want at most 64 characters", c.NodeID)
	}
	if c.NodeURL != "" {
		if u, err := url.Parse(c.NodeURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--node-url %q: want http://host:port", c.NodeURL)
		}
	}
	if c.RedisURL != "" {
		if _, err := cluster.ParseRedisURL(c.RedisURL); err != nil {
			return fmt.Errorf("--redis %q: %v", c.RedisURL, err)
		}
	}
	if c.Drain < 0 || c.Drain > time.Minute {
		return fmt.Errorf("--drain %v: want 0 to 1m", c.Drain)
	}
	return nil
}

// newMetrics labels every metric with the node id when the node is one
// of several (--redis); a single node's metrics stay as they were.
func newMetrics(c ClusterConfig) *metrics.Metrics {
	if c.RedisURL == "" {
		return metrics.New()
	}
	return metrics.NewForNode(c.NodeID)
}

// clusterState is the Server's part for clustering.
type clusterState struct {
	cluster  *cluster.Cluster
	watches  *cluster.Watches
	draining atomic.Bool
	// closeOnce makes closing the transports safe twice: a drain closes
	// them first, and the shutdown after it again.
	closeOnce  sync.Once
	clusterCtx context.Context
	stopAdapt  context.CancelFunc
}

// openCluster joins the cluster (or sets up a single node) before the
// transports, which take the adapter and the node id from it.
func (s *Server) openCluster() error {
	c, err := cluster.Open(context.Background(), cluster.Config{NodeID: s.cfg.NodeID, URL: s.cfg.NodeURL, RedisURL: s.cfg.RedisURL, Logger: s.log})
	if err != nil {
		return err
	}
	s.cluster = c
	s.watches = c.Watches(s.watch.IDs)
	s.clusterCtx, s.stopAdapt = context.WithCancel(context.Background())
	if c.Enabled() {
		s.log.Info().Str("url", s.cfg.NodeURL).Msg("cluster node: sharing state through redis")
	}
	return nil
}

// socketIOAdapter is the Redis adapter when clustered, else nil.
func (s *Server) socketIOAdapter() socket.AdapterConstructor {
	if !s.cluster.Enabled() {
		return nil
	}
	return socketio.RedisAdapter(s.clusterCtx, s.cluster.Redis(), s.log)
}

// closeCluster leaves the cluster.
func (s *Server) closeCluster() {
	if s.cluster == nil {
		return
	}
	s.stopAdapt()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.cluster.Close(ctx); err != nil {
		s.log.Warn().Err(err).Msg("leaving the cluster")
	}
}

// drain is the first step of a shutdown behind a balancer: /readyz and
// every new session answer 503 at once, so the balancer sends new
// sessions elsewhere; live clients are told (shutting_down) and
// disconnected, and reconnect through the balancer to another node; for
// --drain the node keeps answering so, then the shutdown goes on.
func (s *Server) drain() {
	s.draining.Store(true)
	if s.cfg.Drain <= 0 {
		return
	}
	s.log.Info().Dur("drain", s.cfg.Drain).Msg("draining: not ready; live clients told to reconnect elsewhere")
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Drain)
	defer cancel()
	s.stopVideoJobs() // first: the jobs move at once, whatever the clients take to close
	if err := s.closeTransports(ctx); err != nil {
		s.log.Warn().Err(err).Msg("draining: clients still closing")
	}
	<-ctx.Done() // the rest of the drain: the balancer learns we are not ready
}

// sessionPaths are where sessions open and live: refused while draining.
var sessionPaths = []string{"/socket.io/", "/ws", "/api/v1/frames", "/api/v1/webrtc/"}

func isSessionPath(p string) bool {
	for _, sp := range sessionPaths {
		if p == sp || strings.HasPrefix(p, sp) && strings.HasSuffix(sp, "/") {
			return true
		}
	}
	return false
}

// viaHeader marks a request one node proxied to another, so that the
// second never proxies it again.
const viaHeader = "X-Tryon-Via"

// clusterRoutes wraps the routes: X-Node on every answer, the draining
// node's refusals, the cluster's own endpoints, and watch links of
// sessions on other nodes.
func (s *Server) clusterRoutes(next http.Handler) http.Handler {
	node := s.cluster.NodeID()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Node", node)
		p := r.URL.Path
		switch {
		case s.draining.Load() && (p == "/readyz" || isSessionPath(p)):
			// 503 for the balancer (nginx's proxy_next_upstream http_503
			// tries another node) and for the client alike.
			client.WriteHTTPRetry(w, client.CodeShuttingDown, "this node is stopping: connect again", 1)
			return
		case p == "/api/v1/cluster" && r.Method == http.MethodGet:
			s.serveClusterInfo(w, r)
			return
		case p == "/api/v1/cluster/broadcast":
			s.serveBroadcast(w, r)
			return
		case strings.HasPrefix(p, "/watch/") && r.Method == http.MethodGet:
			if id := watchID(p); id != "" && !s.watch.Has(id) && s.cluster.Enabled() && r.Header.Get(viaHeader) == "" {
				s.proxyWatch(w, r, id)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// watchID is the {id} of /watch/{id} and /watch/{id}/snapshot.jpg.
func watchID(p string) string {
	rest := strings.TrimPrefix(p, "/watch/")
	id, tail, _ := strings.Cut(rest, "/")
	if (tail != "" && tail != "snapshot.jpg") || len(id) != 32 {
		return ""
	}
	return id
}

// proxyWatch serves a watch link of a session another node holds, by
// proxying to that node: the frames go node to node, straight from the
// owner's watch hub, and Redis only says where the session is.
func (s *Server) proxyWatch(w http.ResponseWriter, r *http.Request, id string) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	owner, found, err := s.watches.Owner(ctx, id)
	cancel()
	switch {
	case err != nil:
		s.unavailable(w, "the cluster cannot say which node holds this session now")
		return
	case !found || owner.ID == s.cluster.NodeID():
		client.WriteHTTPError(w, client.CodeUnknownWatch, "no live session has this watch id")
		return
	}
	target, err := url.Parse(owner.URL)
	if err != nil || target.Host == "" {
		s.unavailable(w, "the node holding this session has no usable address")
		return
	}
	s.log.Debug().Str("watch", id[:8]).Str("owner", owner.ID).Msg("proxying a watch link to its node")
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host // the owner checks the same host names
			pr.Out.Header.Set(viaHeader, s.cluster.NodeID())
			pr.SetXForwarded()
		},
		FlushInterval: -1, // MJPEG: every part at once
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			s.log.Warn().Err(err).Str("owner", owner.ID).Msg("watch link: its node does not answer")
			s.unavailable(w, "the node holding this session does not answer")
		},
	}
	proxy.ServeHTTP(w, r)
}

// unavailable answers 503 unavailable with Retry-After.
func (s *Server) unavailable(w http.ResponseWriter, why string) {
	apierr.WriteHTTP(w, &apierr.Error{Code: apierr.CodeUnavailable, Message: why, RetryAfter: s.cluster.RetryAfter()})
}

// ClusterInfo is GET /api/v1/cluster.
type ClusterInfo struct {
	Node    string                  `json:"node"`
	Redis   string                  `json:"redis"` // "up", "down", or "off" (a single node)
	Ready   bool                    `json:"ready"`
	Nodes   []cluster.Node          `json:"nodes,omitempty"`
	Clients []socketio.RemoteClient `json:"clients"` // Socket.IO clients of every node
}

// serveClusterInfo lists the nodes and every node's Socket.IO clients:
// for operators on the node's own machine only, as the client ids let
// one send them notices.
func (s *Server) serveClusterInfo(w http.ResponseWriter, r *http.Request) {
	if !s.operator(w, r) {
		return
	}
	info := ClusterInfo{Node: s.cluster.NodeID(), Redis: "off", Ready: !s.draining.Load()}
	if s.cluster.Enabled() {
		if s.cluster.Available() != nil {
			s.unavailable(w, "redis is unavailable")
			return
		}
		info.Redis = "up"
		nodes, err := s.cluster.Nodes(r.Context())
		if err != nil {
			s.unavailable(w, err.Error())
			return
		}
		info.Nodes = nodes
	}
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	clients, err := s.socketIO.Clients(ctx)
	if err != nil {
		s.unavailable(w, "not every node answered: "+err.Error())
		return
	}
	info.Clients = clients
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(info)
}

// BroadcastRequest is POST /api/v1/cluster/broadcast's body.
type BroadcastRequest struct {
	Room    string `json:"room"` // a client's id, "all" (the default) or "node:<id>"
	Message string `json:"message"`
}

// serveBroadcast sends a notice event to a room's Socket.IO clients on
// every node.
func (s *Server) serveBroadcast(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		client.WriteHTTPError(w, client.CodeMethod, "POST a JSON {room, message}")
		return
	}
	if !s.operator(w, r) {
		return
	}
	var req BroadcastRequest
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10+1))
	if err == nil && len(body) > 64<<10 {
		err = errors.New("the body is over 64 KiB")
	}
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil || req.Message == "" || len(req.Room) > 128 {
		client.WriteHTTPError(w, client.CodeBadMessage, "want JSON {\"room\": \"all\", \"message\": \"...\"}, a message of 1 byte to 64 KiB")
		return
	}
	if s.cluster.Enabled() && s.cluster.Available() != nil {
		s.unavailable(w, "redis is unavailable: a broadcast would reach this node's clients only")
		return
	}
	if err := s.socketIO.Broadcast(req.Room, socketio.Notice{Message: req.Message, From: s.cluster.NodeID()}); err != nil {
		s.unavailable(w, err.Error())
		return
	}
	s.log.Info().Str("room", req.Room).Msg("broadcast a notice")
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "node": s.cluster.NodeID(), "room": req.Room})
}

// operator lets through requests from this machine only (not forwarded
// by a proxy): the cluster's endpoints are for its operators.
func (s *Server) operator(w http.ResponseWriter, r *http.Request) bool {
	if isLocal(r) {
		return true
	}
	client.WriteHTTPError(w, client.CodeUnauthorized, "the cluster endpoints answer requests from the node's own machine only")
	return false
}
