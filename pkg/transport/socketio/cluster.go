package socketio

import (
	"context"
	"encoding/json"
	"slices"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	redisadapter "github.com/zishang520/socket.io-go-redis/adapter"
	redistypes "github.com/zishang520/socket.io-go-redis/types"
	"github.com/zishang520/socket.io/v2/socket"
)

// Rooms every client is in, besides its own id's: one for every client of
// the cluster, one per node.
const (
	RoomAll        = "all"
	RoomNodePrefix = "node:"
	EventNotice    = "notice" // server → client: a message from the operator
)

// redisBackoff is how long the adapter's receive loops wait after an
// error. socket.io-go-redis v1.3.0 retries at once: while Redis is down
// every ReceiveMessage fails at once (go-redis stops dialling after a few
// failures and returns the last error), and the loop would spin a core.
const redisBackoff = time.Second

// RedisAdapter is the Socket.IO Redis adapter (pub/sub, not Streams) over
// rdb, for Options.Adapter: rooms, broadcasts and FetchSockets then span
// every node using the same Redis. ctx ends its receive loops. Redis is
// never on a client's own path: only broadcasts and queries go through
// it, so a node keeps serving its clients while Redis is down.
func RedisAdapter(ctx context.Context, rdb redis.UniversalClient, log zerolog.Logger) socket.AdapterConstructor {
	rc := redistypes.NewRedisClient(ctx, rdb)
	var lastLog atomic.Int64
	rc.On("error", func(args ...any) {
		if ctx.Err() != nil {
			return
		}
		if now := time.Now().UnixNano(); now-lastLog.Load() > int64(10*time.Second) {
			lastLog.Store(now)
			var err error
			if len(args) > 0 {
				err, _ = args[0].(error)
			}
			log.Warn().Err(err).Msg("socket.io redis adapter: redis fails; broadcasts to other nodes wait for it")
		}
		// The adapter emits this on the goroutine of the loop that
		// failed: waiting here is that loop's backoff.
		time.Sleep(redisBackoff)
	})
	opts := redisadapter.DefaultRedisAdapterOptions()
	opts.SetKey("tryon:socket.io")
	opts.SetRequestsTimeout(2 * time.Second)
	return &redisadapter.RedisAdapterBuilder{Redis: rc, Opts: opts}
}

// setUpCluster puts the adapter in place and every client in its rooms.
func (s *Server) setUpCluster() {
	if s.opts.Adapter != nil {
		s.io.SetAdapter(s.opts.Adapter)
	}
	s.answerClients()
	node := s.hub.Common().Node
	s.io.Use(func(sock *socket.Socket, next func(*socket.ExtendedError)) {
		rooms := []socket.Room{RoomAll}
		if node != "" {
			rooms = append(rooms, socket.Room(RoomNodePrefix+node))
		}
		sock.Join(rooms...)
		next(nil)
	})
}

// Notice is the notice event's payload.
type Notice struct {
	Message string `json:"message"`
	From    string `json:"from,omitempty"` // the node that sent it
}

// Broadcast emits a notice to every client in room (a client's id,
// RoomAll, or RoomNodePrefix+node) on every node the adapter reaches.
func (s *Server) Broadcast(room string, n Notice) error {
	if room == "" {
		room = RoomAll
	}
	// A map, not the struct: the adapter carries it to other nodes in
	// msgpack, which would name the struct's fields in Go's spelling.
	return s.io.To(socket.Room(room)).Emit(EventNotice, map[string]any{"message": n.Message, "from": n.From})
}

// RemoteClient is a Socket.IO client of any node.
type RemoteClient struct {
	ID    string   `json:"id"` // the session's id, as its session event gave it; a room of its own
	Node  string   `json:"node"`
	Rooms []string `json:"rooms"`
}

// eventClients is the server-side event one node asks the others with
// for their clients. Not FetchSockets: socket.io-go-redis v1.3.0's
// FetchSockets answers nothing at all once there is more than one node
// (it returns when marshalling its request succeeds, err == nil inverted).
const eventClients = "tryon:clients"

// localClients lists this node's Socket.IO clients.
func (s *Server) localClients() []RemoteClient {
	var out []RemoteClient
	s.io.Sockets().Sockets().Range(func(id socket.SocketId, sock *socket.Socket) bool {
		c := RemoteClient{ID: string(id), Node: s.hub.Common().Node}
		if sid, ok := s.ids.Load(id); ok {
			c.ID = sid.(string) // the id the client was told
		}
		for _, room := range sock.Rooms().Keys() {
			c.Rooms = append(c.Rooms, string(room))
		}
		slices.Sort(c.Rooms)
		out = append(out, c)
		return true
	})
	return out
}

// answerClients makes this node answer other nodes' Clients.
func (s *Server) answerClients() {
	s.io.Sockets().On(eventClients, func(args ...any) {
		if len(args) == 0 {
			return
		}
		if ack, ok := args[len(args)-1].(socket.Ack); ok {
			ack([]any{s.localClients()}, nil)
		}
	})
}

// Clients lists the Socket.IO clients of every node the adapter reaches
// (a fetchSockets-style query, as a server-side emit each node answers);
// a node that does not answer within the adapter's request timeout makes
// it an error.
func (s *Server) Clients(ctx context.Context) ([]RemoteClient, error) {
	type result struct {
		answers []any
		err     error
	}
	done := make(chan result, 1)
	err := s.io.ServerSideEmitWithAck(eventClients)(func(answers []any, err error) { done <- result{answers, err} })
	if err != nil {
		return nil, err
	}
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if r.err != nil {
		return nil, r.err
	}
	out := s.localClients()
	for _, a := range r.answers {
		// Each answer is the other node's ack arguments, decoded from JSON
		// into []any: back to JSON, then into the type.
		b, err := json.Marshal(a)
		if err != nil {
			continue
		}
		var args []json.RawMessage
		if json.Unmarshal(b, &args) != nil || len(args) == 0 {
			continue
		}
		var theirs []RemoteClient
		if json.Unmarshal(args[0], &theirs) == nil {
			out = append(out, theirs...)
		}
	}
	return out, nil
}
