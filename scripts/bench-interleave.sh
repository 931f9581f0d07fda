#!/usr/bin/env bash
# Compares server builds under the same load, interleaved round by round on
# this machine, so that its drift (1.6x within an hour here) falls on every
# build alike. Each run starts a fresh server, loads it with cmd/loadgen and
# keeps loadgen's JSON and the server's /metrics; the end prints, per build, the median and the runs of
# the server's CPU per answered frame and of the share of frames answered.
#
#   scripts/bench-interleave.sh ROUNDS 'LOADGEN FLAGS' BIN...
#   scripts/bench-interleave.sh 3 '--clients 4 --fps 30 --duration 20s' /tmp/lt-old /tmp/lt-new
#
# Build the binaries first, for example an old commit in a worktree:
#   git worktree add -f --detach /tmp/wa7 a7fbd25
#   (cd /tmp/wa7 && GOAMD64=$(bash scripts/goamd64.sh) go build -o /tmp/lt-a7 ./cmd/server)
# LOADGEN (default: go build ./cmd/loadgen into a temporary file) and
# OUT (default: a temporary directory) may be set. It measures; it asserts
# nothing.
set -euo pipefail
rounds=$1 flags=$2
shift 2
cd "$(dirname "$0")/.."
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
loadgen=${LOADGEN:-}
if [ -z "$loadgen" ]; then
	loadgen=$out/loadgen
	go build -o "$loadgen" ./cmd/loadgen
fi
port=27911
trap 'kill $pid 2>/dev/null || true' EXIT
pid=
for round in $(seq 1 "$rounds"); do
	for bin in "$@"; do
		name=$(basename "$bin")
		data=$(mktemp -d)
		"$bin" --addr 127.0.0.1:$port --log-level error --data-dir "$data" &
		pid=$!
		for _ in $(seq 100); do
			curl -fs http://127.0.0.1:$port/healthz >/dev/null 2>&1 && break
			sleep 0.1
		done
		# shellcheck disable=SC2086 # the flags are words on purpose
		"$loadgen" --url http://127.0.0.1:$port --server-pid $pid $flags --json "$out/$name.$round.json" >/dev/null
		curl -fs http://127.0.0.1:$port/metrics >"$out/$name.$round.metrics" || true
		kill $pid
		wait $pid 2>/dev/null || true
		rm -rf "$data"
		printf '%s round %d: %s\n' "$name" "$round" \
			"$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("%.2f ms CPU a frame, %.1f %% answered" % (r["server_cpu_ms_per_answered_frame"], 100*r["answered"]/max(1,r["sent"])))' "$out/$name.$round.json")"
	done
done
python3 - "$out" "$@" <<'EOF'
import json, os, statistics, sys
out, bins = sys.argv[1], sys.argv[2:]
for b in bins:
    name = os.path.basename(b)
    runs = [json.load(open(os.path.join(out, f))) for f in sorted(os.listdir(out)) if f.startswith(name + ".") and f.endswith(".json")]
    cpu = [r["server_cpu_ms_per_answered_frame"] for r in runs]
    ans = [100 * r["answered"] / max(1, r["sent"]) for r in runs]
    print("%-16s CPU a frame median %.2f ms (%s); answered median %.1f %% (%s)" % (
        name, statistics.median(cpu), ", ".join("%.2f" % c for c in cpu),
        statistics.median(ans), ", ".join("%.1f" % a for a in ans)))
EOF
