#!/usr/bin/env bash
# Red team, issue 21 row 3: forged "local" addresses behind --trusted-proxy.
# Starts the server on 127.0.0.1 with an access key, 127.0.0.1 as its
# trusted proxy and a per-address cap of 2 sessions; curl plays the proxy
# and sends forwarding headers naming loopback. Prints one line per
# request: the headers, the path and the status (401 expected without the
# key), then the per-address cap as the server sees it.
# Usage: scripts/redteam/row03-forwarded.sh [PORT]   (default 9993)
#        SERVER=path/to/server scripts/redteam/row03-forwarded.sh   (a server built elsewhere, e.g. an older commit)
set -euo pipefail
cd "$(dirname "$0")/../.."
port=${1:-9993}
base=http://127.0.0.1:$port
server=${SERVER:-bin/server}
if [[ -z ${SERVER:-} ]]; then
  export GOAMD64=$(bash scripts/goamd64.sh)
  go build -o bin/server ./cmd/server
fi
log=$(mktemp)
"$server" --addr 127.0.0.1:$port --access-key redteam-key --trusted-proxy 127.0.0.1 \
  --max-sessions-per-ip 2 --session-burst 100 --log-level warn >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.1; done

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
echo "server ${SERVER:-bin/server built at commit $(git rev-parse --short HEAD)}, $(nproc) CPUs"
echo "-- without the key (want 401 everywhere but the unforwarded request):"
printf '%-48s %-40s %s\n' "headers" "path" "status"
while IFS='|' read -r h1 h2; do
  args=()
  [[ -n $h1 ]] && args+=(-H "$h1")
  [[ -n $h2 ]] && args+=(-H "$h2")
  for path in /api/v1/stats "/socket.io/?EIO=4&transport=polling" /api/v1/videos; do
    method=GET; [[ $path == /api/v1/videos ]] && method=POST
    printf '%-48s %-40s %s\n' "${h1:-(none)}${h2:+; $h2}" "$method $path" \
      "$(code -X $method "${args[@]}" -H 'Content-Type: video/mp4' --data-binary @/dev/null "$base$path" 2>/dev/null || true)"
  done
done <<'CASES'
X-Forwarded-For: 127.0.0.9|
X-Forwarded-For: ::1|
X-Forwarded-For: ::ffff:127.0.0.1|
X-Forwarded-For: 203.0.113.5, 127.0.0.1|
X-Real-IP: 127.0.0.1|X-Forwarded-For: 127.0.0.1
X-Real-IP: ::1|
Forwarded: for="[::1]"|
X-Forwarded-For: garbage|
CASES
echo "-- not forwarded, from this machine (want 200): $(code "$base/api/v1/stats")"

echo "-- per-address cap of 2, with the key: status of handshakes 1..3 (want 200 200 503)"
hs() { code -H "$1" -H "${2:-X-Dummy: 1}" "$base/socket.io/?EIO=4&transport=polling&key=redteam-key"; }
echo "X-Forwarded-For: 127.0.0.9:                  $(hs 'X-Forwarded-For: 127.0.0.9') $(hs 'X-Forwarded-For: 127.0.0.9') $(hs 'X-Forwarded-For: 127.0.0.9')"
echo "forged hops, right-most 203.0.113.5:         $(hs 'X-Forwarded-For: 127.0.0.2, 203.0.113.5') $(hs 'X-Forwarded-For: 198.51.100.3, 203.0.113.5') $(hs 'X-Forwarded-For: 127.0.0.4, 203.0.113.5')"
echo "X-Real-IP 203.0.113.7, X-Forwarded-For vary: $(hs 'X-Real-IP: 203.0.113.7' 'X-Forwarded-For: 198.51.100.2') $(hs 'X-Real-IP: 203.0.113.7' 'X-Forwarded-For: 198.51.100.3') $(hs 'X-Real-IP: 203.0.113.7' 'X-Forwarded-For: 198.51.100.4')"
echo "server peak RSS: $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$pid/status)"
