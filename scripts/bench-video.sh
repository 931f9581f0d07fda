#!/usr/bin/env bash
# Uploaded-video benchmarks, the figures of docs/BENCHMARKS.md ("Uploaded
# videos"), against the server built as `go tool task build` builds it:
#   1. frames/s end to end: a 10 s 640x360 H.264 clip of the portrait,
#      moving, with a sine-wave track, given lipstick: from the start of the
#      upload to the end of the job (its "done" event), ROUNDS times;
#   2. the live round trip of 1 and 4 clients (load tool, 30 fps each, 20 s)
#      with no job, and with jobs running back to back;
#   3. the server's peak resident memory (VmHWM) for one 1080p job of 10 s
#      and one of 40 s, each on a fresh server.
# usage: scripts/bench-video.sh [ROUNDS] [PARTS, e.g. 12; default 123]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
parts=${2:-123}
GOAMD64=$(bash scripts/goamd64.sh)
export GOAMD64
go build -o bin/server ./cmd/server
go build -o bin/loadgen ./cmd/loadgen
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
port=9995
base=http://127.0.0.1:$port

# clip W H SECONDS OUT: the portrait seen through a W x H window drifting
# around the face, 30 fps, H.264 4:2:0 and AAC.
clip() {
  local w=$1 h=$2
  ffmpeg -v error -y -loop 1 -framerate 30 -i testdata/obama-480p.jpg \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$3" -t "$3" \
    -filter_complex "[0:v]scale=-2:$((h * 12 / 10)),crop=$w:$h:(iw-$w)/2+(iw-$w)/3*sin(t):(ih-$h)/2+(ih-$h)/3*cos(t),format=yuv420p[v]" \
    -map '[v]' -map 1:a -c:v libx264 -preset veryfast -crf 20 -c:a aac "$4"
}

start_server() {
  bin/server --addr 127.0.0.1:$port --data-dir "$work/data" --log-level error 2>>"$work/server.log" &
  pid=$!
  until curl -sf $base/readyz >/dev/null; do sleep 0.2; done
}
stop_server() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }

# job CLIP: uploads CLIP and waits for its end; prints seconds from the
# upload's start to the done event, and the job's own frames/s.
job() {
  local t0 t1 id
  t0=$(date +%s.%N)
  # The id is cut out with grep, not python3, whose start would count.
  id=$(curl -sf -F effects=lipstick -F "file=@$1" $base/api/v1/videos | grep -o '"id":"[0-9a-f]*"' | cut -d'"' -f4)
  curl -sN $base/api/v1/videos/$id/events | grep -m1 -qE '^event: (done|failed|cancelled)'
  t1=$(date +%s.%N)
  curl -sf $base/api/v1/videos/$id | python3 -c "import json,sys; j=json.load(sys.stdin); print(f'{j[\"state\"]} {j[\"frames_done\"]} frames, {$t1-$t0:.2f} s end to end: {j[\"frames_done\"]/($t1-$t0):.1f} frames/s; the job alone {j[\"fps\"]} frames/s')"
  curl -s -X DELETE $base/api/v1/videos/$id >/dev/null
}

clip 640 360 10 "$work/360p.mp4"
start_server
if [[ $parts == *1* ]]; then
echo "== 1. a 10 s 640x360 clip, end to end ($rounds rounds; the first warms the server)"
job "$work/360p.mp4" >/dev/null
for _ in $(seq "$rounds"); do job "$work/360p.mp4"; done
fi

if [[ $parts == *2* ]]; then
echo "== 2. live round trip, 30 fps per client, 20 s, without and with jobs running"
live() {
  bin/loadgen --url $base --clients "$1" --fps 30 --duration 20s --json "$work/live.json" >/dev/null
  python3 -c "import json; r=json.load(open('$work/live.json')); print(f'$1 client(s), $2: p50 {r[\"age_p50_ms\"]:.1f} ms, p95 {r[\"age_p95_ms\"]:.1f} ms, answered {r[\"answered\"]} of {r[\"sent\"]}')"
}
for n in 1 4; do
  live "$n" "no job"
  # The uploader stands for a remote client: its curl and python3 run at
  # the lowest priority, so they do not count against the live clients.
  ( renice -n 19 $BASHPID >/dev/null; while [ ! -f "$work/stop" ]; do job "$work/360p.mp4" >>"$work/jobs.log"; done ) &
  loop=$!
  sleep 1
  live "$n" "jobs running"
  touch "$work/stop"; wait "$loop"; rm -f "$work/stop"
  sed 's/^/    during: /' "$work/jobs.log"; rm -f "$work/jobs.log"
done
fi
stop_server
[[ $parts == *3* ]] || exit 0

echo "== 3. peak resident memory, 1920x1080 input"
for secs in 10 40; do
  clip 1920 1080 "$secs" "$work/1080p.mp4"
  start_server
  job "$work/1080p.mp4"
  echo "  ${secs} s of 1080p: $(grep VmHWM /proc/$pid/status)"
  stop_server
done
