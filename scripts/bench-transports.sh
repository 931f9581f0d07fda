#!/usr/bin/env bash
# Compares the live transports on this machine: the same frames, the same
# server, the same run. For each transport (Socket.IO, raw WebSocket, HTTP
# per frame with keep-alive, and HTTP with a new connection per frame) it
# runs the load tool ROUNDS times, interleaved, with 1 client and with 4
# clients in a closed loop, and prints the medians over the rounds:
#   1 client: median and p95 round trip; 4 clients: answered frames/s;
#   bytes on the wire per frame, up and down.
#
#   scripts/bench-transports.sh            # ROUNDS=3 SECONDS_PER_RUN=10
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
secs=${SECONDS_PER_RUN:-10}
addr=127.0.0.1:${PORT:-9991}
out=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$out"' EXIT

go build -o bin/server ./cmd/server
go build -o bin/loadgen ./cmd/loadgen
./bin/server --addr "$addr" --log-level error &
server=$!
for _ in $(seq 50); do curl -fs "http://$addr/healthz" >/dev/null && break; sleep 0.2; done

variants=(socketio ws http http-new-conn)
flags() {
  case $1 in
    http-new-conn) echo "--transport http --http-no-keepalive" ;;
    *) echo "--transport $1" ;;
  esac
}
for r in $(seq "$rounds"); do
  for v in "${variants[@]}"; do
    # shellcheck disable=SC2046
    ./bin/loadgen --url "http://$addr" $(flags "$v") --clients 1 --duration "${secs}s" >"$out/$v.1.$r"
    # shellcheck disable=SC2046
    ./bin/loadgen --url "http://$addr" $(flags "$v") --clients 4 --duration "${secs}s" >"$out/$v.4.$r"
  done
  echo "round $r of $rounds done" >&2
done

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
field() { # field FILE-GLOB AWK-PROGRAM: the median over the rounds
  cat $1 | awk "$2" | median
}
printf '%-14s %12s %12s %14s %14s %16s\n' transport "1 cl p50 ms" "1 cl p95 ms" "4 cl frames/s" "up B/frame" "down B/frame"
for v in "${variants[@]}"; do
  p50=$(field "$out/$v.1.*" '/^age/ { sub(/,/, "", $3); print $3 }')
  p95=$(field "$out/$v.1.*" '/^age/ { sub(/,/, "", $6); print $6 }')
  fps=$(field "$out/$v.4.*" '/^answered/ { print $2 }')
  up=$(field "$out/$v.1.*" '/^wire/ { print $2 }')
  down=$(field "$out/$v.1.*" '/^wire/ { print $8 }')
  printf '%-14s %12s %12s %14s %14s %16s\n' "$v" "$p50" "$p95" "$fps" "$up" "$down"
done
