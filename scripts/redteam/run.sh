#!/usr/bin/env bash
# Red team of the upload path (issue 21): builds the server and the load
# tool, starts the server on 127.0.0.1 with its defaults (its own data
# directory, a JSON log), runs scripts/redteam/redteam.py against it and
# prints one Markdown table row per attack (docs/BENCHMARKS.md, "Red team:
# uploads (issue 21)").
#
#   scripts/redteam/run.sh            # every row: 1 2 4 5 7 8 9 11
#   scripts/redteam/run.sh 1 2        # some rows
#
# Extra server flags go in SERVER_FLAGS; PORT (default 9993) and WORK (a
# temporary directory) may be set.
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT=${PORT:-9993}
WORK=${WORK:-$(mktemp -d /tmp/redteam.XXXXXX)}
mkdir -p "$WORK" bin
go build -o bin/server ./cmd/server
go build -o bin/loadgen ./cmd/loadgen
./bin/server --addr 127.0.0.1:$PORT --data-dir "$WORK/data" --log-level info --log-format json ${SERVER_FLAGS:-} >"$WORK/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do
	curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
	sleep 0.2
done
echo "commit $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty), $(nproc) vCPU, server pid $PID, work $WORK"
python3 scripts/redteam/redteam.py --url "http://127.0.0.1:$PORT" --server-pid $PID --work "$WORK" \
	--data "$WORK/data" --log "$WORK/server.log" "$@"
