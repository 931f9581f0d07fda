#!/usr/bin/env bash
# Soak: CLIENTS clients at FPS frames a second each for DURATION against a
# server built with gocv's matprofile tag, sampling every EVERY seconds the
# server's resident memory, its live OpenCV Mats (a leak shows as a count
# that grows) and its frame counters. Prints a table and the load tool's
# report; figures go to docs/BENCHMARKS.md ("Soak").
#
#   DURATION=30m scripts/soak.sh           # the documented run
#   DURATION=2m EVERY=10 scripts/soak.sh   # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-30m}
clients=${CLIENTS:-4}
fps=${FPS:-30}
every=${EVERY:-30}
transport=${TRANSPORT:-socketio}
port=${PORT:-9391}
pprof_port=$((port + 1))
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"

go build -tags matprofile -o bin/server-matprofile ./cmd/server
go build -o bin/loadgen ./cmd/loadgen

bin/server-matprofile --addr 127.0.0.1:$port --pprof-addr 127.0.0.1:$pprof_port --log-level warn >"$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; kill $load 2>/dev/null || true' EXIT
load=
for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/readyz >/dev/null && break; sleep 0.2; done
curl -sf http://127.0.0.1:$port/readyz >/dev/null || { echo "soak: the server did not start:"; cat "$out/server.log"; exit 1; }

bin/loadgen --url http://127.0.0.1:$port --transport "$transport" --clients "$clients" --fps "$fps" \
	--duration "$duration" --server-pid $server --json "$out/load.json" >"$out/load.txt" 2>&1 &
load=$!

mats() { curl -s "http://127.0.0.1:$pprof_port/debug/pprof/gocv.io/x/gocv.Mat?debug=1" | sed -n 's/.*total \([0-9]*\).*/\1/p' | head -1; }
# number KEY: the first "KEY":N in the stats JSON.
stat() {
	local json
	json=$(curl -s http://127.0.0.1:$port/api/v1/stats)
	for key in frames_processed frames_dropped outbox_bytes; do
		printf '%s ' "$(grep -o "\"$key\":[0-9]*" <<<"$json" | head -1 | cut -d: -f2)"
	done
	echo
}

echo "soak: $clients clients x $fps fps over $transport for $duration; server pid $server; logs in $out"
printf '%8s %10s %6s %12s %10s %10s\n' elapsed rss_mb mats processed dropped outbox_b | tee "$out/samples.txt"
start=$(date +%s)
while kill -0 $load 2>/dev/null; do
	sleep "$every"
	kill -0 $load 2>/dev/null || break
	rss=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$server/status)
	read -r processed dropped outbox < <(stat)
	printf '%7ss %10s %6s %12s %10s %10s\n' $(( $(date +%s) - start )) "$rss" "$(mats)" "$processed" "$dropped" "$outbox" | tee -a "$out/samples.txt"
done
wait $load || true
echo
cat "$out/load.txt"
echo "after the load: mats $(mats), rss $(awk '/VmRSS/ {printf "%.1f MB", $2/1024}' /proc/$server/status)"
