#!/usr/bin/env bash
# Runs every fuzzer of the module for FUZZTIME each (default 10m), one after
# another, and prints one line per fuzzer: its name, the executions run and
# whether it found a crash. A crash leaves its input under the package's
# testdata/fuzz/, where `go test` then replays it as a regression case.
# CI runs only the seed corpora (plain `go test`).
#
#   FUZZTIME=10m PARALLEL=1 scripts/fuzz.sh
set -uo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10m}
parallel=${PARALLEL:-$(nproc)}
status=0
for pkg in $(go list ./... | grep -v /third_party/); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for fuzzer in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
		log=$(mktemp)
		start=$(date +%s)
		if go test -run '^$' -fuzz "^${fuzzer}\$" -fuzztime "$fuzztime" -parallel "$parallel" "$pkg" >"$log" 2>&1; then
			result="0 crashes"
		else
			result="FAILED (see below)"
			status=1
		fi
		execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
		echo "$pkg $fuzzer: ${execs:-?} execs in $(( $(date +%s) - start )) s, $result"
		[ "$result" = "0 crashes" ] || tail -30 "$log"
		rm -f "$log"
	done
done
exit $status
