#!/usr/bin/env bash
# Red team, issue 21 rows 6 and 10, against a server on 127.0.0.1.
#  row 6:  one WebRTC session offering 8 video tracks at 1080p60, all
#          sending (scripts/redteam/rtcattack), beside a live WebSocket
#          client at 30 fps (cmd/loadgen): the answer's receiving m-lines,
#          the server's decoders (/api/v1/stats webrtc_decoders), its CPU,
#          and the live client's p50/p95 and fps, alone and during the
#          attack, in the same run.
#  row 10: 4096x4096 key frames, then key frames declaring 3x3, 30 a second
#          for 5 s each: error events on the data channel, the refused
#          frames the metrics count, and the level the hang-ups log at.
# Usage: scripts/redteam/row06-10-webrtc.sh [SECONDS]   (default 20: the live client's run)
#        SERVER=path/to/server scripts/redteam/row06-10-webrtc.sh   (a server built elsewhere)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
port=${PORT:-9994}
base=http://127.0.0.1:$port
export GOAMD64=$(bash scripts/goamd64.sh)
server=${SERVER:-bin/server}
[[ -z ${SERVER:-} ]] && go build -o bin/server ./cmd/server
go build -o bin/loadgen ./cmd/loadgen
go build -o bin/rtcattack ./scripts/redteam/rtcattack
out=$(mktemp -d)
"$server" --addr 127.0.0.1:$port --log-level info --log-format json >"$out/server.log" 2>&1 &
pid=$!
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$out"' EXIT
for _ in $(seq 300); do curl -fs "$base/readyz" >/dev/null && break; sleep 0.1; done
echo "server ${SERVER:-bin/server built at commit $(git rev-parse --short HEAD)}, $(nproc) CPUs"

ticks() { awk '{print $14 + $15}' /proc/$pid/stat; }
hz=$(getconf CLK_TCK)
# live LABEL: the live client for $seconds s, with the server's CPU over that time.
live() {
  local t0 c0 t1 c1
  t0=$(date +%s.%N); c0=$(ticks)
  ./bin/loadgen --url "$base" --transport ws --clients 1 --fps 30 --duration "${seconds}s" --json "$out/$1.json" >/dev/null
  t1=$(date +%s.%N); c1=$(ticks)
  python3 - "$out/$1.json" "$1" "$(echo "($c1 - $c0) * 100 / $hz / ($t1 - $t0)" | bc -l)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{sys.argv[2]:>16}: live client p50 {r['age_p50_ms']:.0f} ms, p95 {r['age_p95_ms']:.0f} ms, {r['answered_fps']:.1f} fps answered; server CPU {float(sys.argv[3]):.0f} %")
PY
}
stat() { curl -s "$base/api/v1/stats" | python3 -c "import json,sys; print(json.load(sys.stdin).get('$1', 'absent'))"; }

echo "-- row 6"
live alone
./bin/rtcattack --url "$base" --tracks 8 --size 1920x1080 --fps 60 --duration "$((seconds + 10))s" >"$out/attack.json" &
attack=$!
for _ in $(seq 300); do [[ $(stat webrtc_sessions) -ge 1 ]] && break; sleep 0.1; done # it encodes its loop first
sleep 2
echo "during the attack: webrtc_sessions $(stat webrtc_sessions), webrtc_decoders $(stat webrtc_decoders)"
live "8 tracks 1080p60"
wait $attack
echo "attacker: $(cat "$out/attack.json")"
echo "server peak RSS: $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$pid/status)"

echo "-- row 10"
for kind in huge tiny; do
  ./bin/rtcattack --url "$base" --tracks 1 --frames $kind --fps 30 --duration 5s
done
curl -s "$base/metrics" | grep '^tryon_frames_total{.*outcome="refused",transport="webrtc"}' || echo "no refused webrtc frames in /metrics"
sleep 1
python3 - "$out/server.log" <<'PY'
import collections, json, sys
levels, warns = collections.Counter(), collections.Counter()
for line in open(sys.argv[1]):
    try:
        l = json.loads(line)
    except ValueError:
        continue
    if l.get("message") in ("hang up", "disconnect") or "stopping" in l.get("message", ""):
        levels[(l.get("message"), l.get("level"))] += 1
    if l.get("level") in ("warn", "error"):
        warns[l.get("message")] += 1
print("hang-up log lines by level:", dict(levels))
print("warnings:", sum(warns.values()), dict(warns.most_common(5)))
PY
