#!/usr/bin/env bash
# A local cluster on loopback: redis-server, CLUSTER_NODES try-on nodes and
# nginx in front of them (deploy/nginx-cluster.conf.template), every file
# (configs, logs, pids, the nodes' shared --data-dir) under DIR.
#
#   scripts/cluster.sh start DIR   # returns once every node is ready; writes DIR/cluster.json
#   scripts/cluster.sh stop DIR    # stops them all
#   scripts/cluster.sh run DIR     # start, then each node's log lines prefixed by its
#                                  # node until Ctrl-C, which stops everything
#                                  # (go tool task cluster)
#   scripts/cluster.sh redis-stop DIR / redis-start DIR
#                                  # take Redis away and bring it back (the tests do)
#
# Environment:
#   CLUSTER_NODES=3          nodes
#   CLUSTER_PORT=9980        nginx's port: the cluster's URL
#   CLUSTER_REDIS_PORT       redis-server's port (default CLUSTER_PORT+1)
#   CLUSTER_NODE_PORTS       the nodes' ports, space separated (default CLUSTER_PORT+10, +11, ...)
#   CLUSTER_SERVER           the server binary (default: built into DIR/server)
#   CLUSTER_ARGS             more flags for every node, e.g. "--workers 1 --log-level debug"
#   CLUSTER_DRAIN=2s         each node's --drain
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

usage() { echo "usage: $0 start|stop|run DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)

nodes=${CLUSTER_NODES:-3}
port=${CLUSTER_PORT:-9980}
redis_port=${CLUSTER_REDIS_PORT:-$((port + 1))}
read -r -a node_ports <<<"${CLUSTER_NODE_PORTS:-}"
if [ ${#node_ports[@]} -eq 0 ]; then
	for i in $(seq "$nodes"); do node_ports+=($((port + 9 + i))); done
fi
[ ${#node_ports[@]} -ge "$nodes" ] || { echo "cluster: CLUSTER_NODE_PORTS names fewer than $nodes ports" >&2; exit 2; }

# alive PIDFILE: the process named in PIDFILE runs.
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pid PIDFILE: SIGTERM, then SIGKILL after 15 s (a node drains, then
# has --shutdown-timeout).
stop_pid() {
	local f=$1 pid
	alive "$f" || { rm -f "$f"; return 0; }
	pid=$(cat "$f")
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$f"
}

stop() {
	[ -s "$dir/nginx/nginx.pid" ] && stop_pid "$dir/nginx/nginx.pid"
	local f
	for f in "$dir"/node*.pid; do [ -e "$f" ] && stop_pid "$f" & done
	wait
	[ -s "$dir/redis.pid" ] && stop_pid "$dir/redis.pid"
	return 0
}

fail() {
	echo "cluster: $*" >&2
	stop
	exit 1
}

redis_start() {
	redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --dir "$dir/redis" \
		--daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" || return 1
	for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}

# ready PORT ID: the node on PORT answers /readyz 200 and is ID (not some
# other server that holds the port).
ready() { curl -sf -D - -o /dev/null "http://127.0.0.1:$1/readyz" 2>/dev/null | tr -d '\r' | grep -qix "x-node: $2"; }

start() {
	for f in "$dir/redis.pid" "$dir/nginx/nginx.pid" "$dir"/node*.pid; do
		alive "$f" && { echo "cluster: already running in $dir (scripts/cluster.sh stop $dir)" >&2; exit 1; }
	done
	local server=${CLUSTER_SERVER:-}
	if [ -z "$server" ]; then
		server=$dir/server
		echo "cluster: building $server" >&2
		go build -o "$server" ./cmd/server
	fi
	mkdir -p "$dir/redis" "$dir/data" "$dir/nginx/tmp"

	echo "$redis_port" >"$dir/redis.port"
	redis_start || fail "redis-server did not start (port $redis_port): $(tail -3 "$dir/redis.log" 2>/dev/null)"

	local i id p servers=""
	for i in $(seq "$nodes"); do
		id=node$i
		p=${node_ports[$((i - 1))]}
		# shellcheck disable=SC2086 # CLUSTER_ARGS is a list of flags
		setsid "$server" --addr "127.0.0.1:$p" --node-id "$id" --node-url "http://127.0.0.1:$p" \
			--redis "redis://127.0.0.1:$redis_port" --drain "${CLUSTER_DRAIN:-2s}" --trusted-proxy 127.0.0.1 \
			--data-dir "$dir/data" --log-format console ${CLUSTER_ARGS:-} \
			>>"$dir/$id.log" 2>&1 </dev/null &
		echo $! >"$dir/$id.pid"
		servers+="server 127.0.0.1:$p max_fails=0; "
	done

	sed -e "s|\${PREFIX}|$dir/nginx|g" -e "s|\${LISTEN}|127.0.0.1:$port|g" -e "s|\${SERVERS}|$servers|g" \
		"$repo/deploy/nginx-cluster.conf.template" >"$dir/nginx/nginx.conf"
	# Started as root, nginx's workers would run as nobody, who may not
	# enter DIR (a test's temporary directory is 0700): keep them ours.
	local global=''
	[ "$(id -u)" = 0 ] && global="user root;"
	nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -e "$dir/nginx/nginx-error.log" ${global:+-g "$global"} ||
		fail "nginx did not start: $(tail -3 "$dir/nginx/nginx-error.log" 2>/dev/null)"

	local json='' sep=''
	for i in $(seq "$nodes"); do
		id=node$i
		p=${node_ports[$((i - 1))]}
		for _ in $(seq 600); do
			ready "$p" "$id" && break
			alive "$dir/$id.pid" || fail "$id exited: $(tail -5 "$dir/$id.log")"
			sleep 0.1
		done
		ready "$p" "$id" || fail "$id is not ready after 60 s: $(tail -5 "$dir/$id.log")"
		json+="$sep{\"id\": \"$id\", \"url\": \"http://127.0.0.1:$p\", \"pid\": $(cat "$dir/$id.pid")}"
		sep=', '
	done
	for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
	curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 || fail "nginx does not answer on $port"
	printf '{"url": "http://127.0.0.1:%s", "redis": "127.0.0.1:%s", "nodes": [%s]}\n' "$port" "$redis_port" "$json" >"$dir/cluster.json.tmp"
	mv "$dir/cluster.json.tmp" "$dir/cluster.json"
	echo "cluster: http://127.0.0.1:$port, $nodes nodes, redis 127.0.0.1:$redis_port ($dir/cluster.json)" >&2
}

case $cmd in
start) start ;;
redis-stop) stop_pid "$dir/redis.pid" ;;
redis-start)
	redis_port=$(cat "$dir/redis.port")
	alive "$dir/redis.pid" || redis_start || { echo "cluster: redis-server did not start" >&2; exit 1; }
	;;
stop) stop ;;
run)
	start
	trap 'trap - INT TERM; echo; echo "cluster: stopping" >&2; kill $(jobs -p) 2>/dev/null; stop; exit 0' INT TERM
	for f in "$dir"/node*.log "$dir/redis.log" "$dir/nginx/nginx-error.log"; do
		name=$(basename "$f" .log)
		tail -n +1 -F "$f" 2>/dev/null | sed -u "s/^/[$name] /" &
	done
	wait
	;;
*) usage ;;
esac
