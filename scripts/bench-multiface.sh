#!/usr/bin/env bash
# Issue 25's video figure (docs/BENCHMARKS.md, "Issue 25: video on
# multi-face footage"): frames/s end to end through POST /api/v1/videos for
# the multi-face clip of internal/testvideo (composed at run time from the
# shared photos), given lipstick: from the start of the upload to the job's
# done event, ROUNDS times after a warm-up round, with the server's CPU
# seconds (utime+stime) per job.
# usage: flock /work/notes/bench.lock scripts/bench-multiface.sh [ROUNDS] [SERVER-BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
server=${2:-}
GOAMD64=$(bash scripts/goamd64.sh)
export GOAMD64
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
if [ -z "$server" ]; then
  go build -o "$work/server" ./cmd/server
  server=$work/server
fi
LIVETRYON_MULTIFACE_OUT=$work/multiface.mp4 go test -count=1 -run TestMakeMultiFaceClip ./internal/testvideo/ >/dev/null
port=9994
base=http://127.0.0.1:$port
"$server" --addr 127.0.0.1:$port --data-dir "$work/data" --log-level error 2>>"$work/server.log" &
pid=$!
until curl -sf $base/readyz >/dev/null; do sleep 0.2; done
# The server's own CPU (utime+stime) and its finished children's, the
# jobs' ffmpegs and ffprobes (cutime+cstime), in clock ticks.
cpu() { awk '{print $14+$15, $16+$17}' /proc/$pid/stat; }
tck=$(getconf CLK_TCK)
job() {
  local t0 t1 c0 c1 k0 k1 id
  read -r c0 k0 < <(cpu)
  t0=$(date +%s.%N)
  id=$(curl -sf -F effects=lipstick -F "file=@$work/multiface.mp4" $base/api/v1/videos | grep -o '"id":"[0-9a-f]*"' | cut -d'"' -f4)
  curl -sN $base/api/v1/videos/$id/events | grep -m1 -qE '^event: (done|failed|cancelled)'
  t1=$(date +%s.%N)
  sleep 0.3 # the ffmpegs are waited for just after the done event
  read -r c1 k1 < <(cpu)
  curl -sf $base/api/v1/videos/$id | /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin); print(f'{j[\"state\"]} {j[\"frames_done\"]} frames, {$t1-$t0:.2f} s end to end: {j[\"frames_done\"]/($t1-$t0):.1f} frames/s; the job alone {j[\"fps\"]} frames/s; server CPU {($c1-$c0)/$tck:.2f} s, ffmpeg {($k1-$k0)/$tck:.2f} s: {1000*($c1-$c0+$k1-$k0)/$tck/j[\"frames_done\"]:.1f} ms of CPU per frame')"
  curl -s -X DELETE $base/api/v1/videos/$id >/dev/null
}
job >/dev/null
for _ in $(seq "$rounds"); do job; done
