#!/usr/bin/env bash
# Capture-to-display latency over WebRTC in headless Chromium, this server
# against aiortc's example server (its "edges" transform), same clip, same
# machine, rounds interleaved so the machine's noise falls on both alike.
# This server wears lipstick and glasses. Each round prints Chromium's
# getStats (the camera's frames sent; the processed video's received,
# decoded, dropped, jitter buffer), the video element's painted and
# unpainted frames, and this server's frames_total (answered, dropped);
# the server's hang-up line in its log counts the session's frames both
# ways. Run it under the shared lock on a shared machine:
#   flock /work/notes/bench.lock scripts/bench-webrtc.sh
# Usage: scripts/bench-webrtc.sh [ROUNDS] [SECONDS]   (defaults 3 and 10)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
seconds=${2:-10}
bash scripts/install-deps.sh --bench
export GOAMD64=$(bash scripts/goamd64.sh)
go build -o bin/server ./cmd/server
go build -o bin/rtclatency ./cmd/rtclatency
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$out"' EXIT

for round in $(seq "$rounds"); do
  ./bin/server --addr 127.0.0.1:9981 --log-level info >"$out/server-$round.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:9981/readyz >/dev/null && break; sleep 0.3; done
  ./bin/rtclatency --url http://127.0.0.1:9981 --duration "${seconds}s" --json \
    --config '{"effects":[{"name":"lipstick"},{"name":"glasses"}]}' >"$out/ours-$round.json"
  kill $pid; wait $pid 2>/dev/null || true
  grep 'hang up' "$out/server-$round.log" | sed 's/\x1b\[[0-9;]*m//g' || true

  /usr/bin/python3 bench/aiortc/run.py --host 127.0.0.1 --port 9982 >"$out/aiortc.log" 2>&1 &
  pid=$!
  sleep 3
  ./bin/rtclatency --url http://127.0.0.1:9982 --offer-path /offer --transform edges --duration "${seconds}s" --json >"$out/aiortc-$round.json"
  kill $pid; wait $pid 2>/dev/null || true
  echo "round $round: this server $(cat "$out/ours-$round.json")"
  echo "round $round: aiortc      $(cat "$out/aiortc-$round.json")"
done

# Medians over the rounds.
for who in ours aiortc; do
  /usr/bin/python3 - "$who" "$out"/"$who"-*.json <<'PY'
import json, statistics, sys
who, files = sys.argv[1], sys.argv[2:]
runs = [json.load(open(f)) for f in files]
med = lambda k: statistics.median(r[k] for r in runs)
b = lambda k: statistics.median(r["browser"][k] for r in runs)
print(f"{who:7s} median of {len(runs)}: capture to display p50 {med('p50_ms'):.1f} ms, p95 {med('p95_ms'):.1f} ms; {med('fps'):.1f} fps displayed, "
      f"{b('presented')} presented; camera sent {b('frames_sent')}; processed received {b('frames_received')}, decoded {b('frames_decoded')}, "
      f"framesDropped {b('frames_dropped')}, not painted {b('video_frames_dropped')}; jitter buffer {med('jitter_buffer_ms'):.1f} ms")
PY
done
