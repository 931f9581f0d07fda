#!/usr/bin/env bash
# Issue 26's benchmarks (docs/BENCHMARKS.md, "Issue 26"): a local cluster
# (scripts/cluster.sh) and the load tool.
#   rtt:     round trip through nginx against direct, at the same load
#   scaling: answered frames/s with 1, 2 and 3 nodes (one load tool per node)
#   watch:   a cross-node watch link: the proxying node's CPU and Redis bytes per frame
# Run under the shared lock: flock /work/notes/bench.lock scripts/bench-cluster.sh [rtt|scaling|watch]...
# The time from a node's death to its clients answered again is
# TestClusterNodeKilled's log (see BENCHMARKS.md for the command).
set -euo pipefail
cd "$(dirname "$0")/.."
what=("$@")
[ ${#what[@]} -gt 0 ] || what=(rtt scaling watch)
port=${CLUSTER_PORT:-19980}
dur=${DURATION:-15s}
out=${OUT:-$(mktemp -d)}
export CLUSTER_PORT=$port CLUSTER_SERVER=${CLUSTER_SERVER:-bin/server}
[ -x "$CLUSTER_SERVER" ] || go build -o bin/server ./cmd/server
go build -o bin/loadgen ./cmd/loadgen
trap 'scripts/cluster.sh stop "$out/c" >/dev/null 2>&1 || true' EXIT

load() { # URL CLIENTS FPS NAME
	bin/loadgen --url "$1" --clients "$2" --fps "$3" --duration "$dur" --json "$out/$4.json" >/dev/null 2>&1
	jq -r --arg n "$4" '"\($n): answered \(.answered_fps|.*10|round/10) fps, p50 \(.age_p50_ms|.*10|round/10) ms, p95 \(.age_p95_ms|.*10|round/10) ms, errors \(.errors)"' "$out/$4.json"
}
node_url() { jq -r ".nodes[$1].url" "$out/c/cluster.json"; }
node_pid() { jq -r ".nodes[$1].pid" "$out/c/cluster.json"; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

for w in "${what[@]}"; do
	case $w in
	rtt)
		CLUSTER_NODES=1 scripts/cluster.sh start "$out/c" 2>/dev/null
		for round in 1 2; do
			load "http://127.0.0.1:$port" 4 10 "nginx-$round"
			load "$(node_url 0)" 4 10 "direct-$round"
		done
		scripts/cluster.sh stop "$out/c"
		;;
	scaling)
		CLUSTER_NODES=3 scripts/cluster.sh start "$out/c" 2>/dev/null
		for n in 1 2 3; do
			pids=()
			for i in $(seq 0 $((n - 1))); do
				bin/loadgen --url "$(node_url "$i")" --clients 2 --fps 0 --duration "$dur" --json "$out/scale-$n-$i.json" >/dev/null 2>&1 &
				pids+=($!)
			done
			wait "${pids[@]}"
			jq -s --arg n "$n" '"\($n) node(s): \(map(.answered_fps)|add|.*10|round/10) answered frames/s in all (2 closed-loop clients per node)"' -r "$out"/scale-$n-*.json
		done
		scripts/cluster.sh stop "$out/c"
		;;
	watch)
		CLUSTER_NODES=2 scripts/cluster.sh start "$out/c" 2>/dev/null
		printf "data:image/jpeg;base64,%s" "$(base64 -w0 testdata/obama-480p.jpg)" >"$out/frame.txt"
		node test/js/cluster-client.js "{\"url\": \"$(node_url 0)\", \"version\": 4, \"transports\": [\"websocket\"], \"frame\": \"$out/frame.txt\", \"intervalMs\": 40}" >"$out/client.jsonl" &
		client=$!
		for _ in $(seq 100); do grep -q '"session"' "$out/client.jsonl" 2>/dev/null && break; sleep 0.1; done
		watch=$(grep -m1 '"session"' "$out/client.jsonl" | jq -r .watch)
		sleep 2
		redis_port=$(cat "$out/c/redis.port")
		rbytes() { redis-cli -p "$redis_port" info stats | tr -d '\r' | awk -F: '/total_net_(input|output)_bytes/ {s+=$2} END {print s}'; }
		for via in 0 1; do
			pid=$(node_pid 1)
			c0=$(cpu_ticks "$pid")
			r0=$(rbytes)
			frames=$(curl -s --max-time 15 "$(node_url "$via")$watch" | grep -a -c 'Content-Type: image/jpeg' || true)
			c1=$(cpu_ticks "$pid")
			r1=$(rbytes)
			echo "viewer on node$((via + 1)) (session on node1): $frames frames in 15 s; node2 CPU $(((c1 - c0) * 10)) ms ($(echo "scale=3; ($c1 - $c0) * 10 / $frames" | bc) ms/frame); Redis $((r1 - r0)) bytes ($(echo "scale=1; ($r1 - $r0) / $frames" | bc) bytes/frame)"
		done
		kill "$client"
		scripts/cluster.sh stop "$out/c"
		;;
	*) echo "unknown benchmark $w" >&2; exit 2 ;;
	esac
done
