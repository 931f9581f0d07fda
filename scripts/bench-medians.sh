#!/usr/bin/env bash
# Prints the median of every custom metric (ms/frame, frames/s, ...) per
# benchmark from `go test -bench ... -count N` output on stdin.
#   go test -run '^$' -bench . -count 5 ./pkg/pipeline | scripts/bench-medians.sh
set -euo pipefail
awk '
/^Benchmark/ {
  for (i = 3; i < NF; i++) {
    unit = $(i + 1)
    if (unit ~ /\// && unit != "ns/op" && unit != "B/op" && unit != "allocs/op" && unit != "MB/s") {
      key = $1 " " unit
      vals[key] = vals[key] " " $i
    }
  }
}
END {
  for (k in vals) {
    n = split(substr(vals[k], 2), v, " ")
    # insertion sort: n is small
    for (i = 2; i <= n; i++) { x = v[i] + 0; j = i - 1; while (j >= 1 && v[j] + 0 > x) { v[j + 1] = v[j]; j-- } v[j + 1] = x }
    med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    printf "%-40s %10.3f %s (median of %d)\n", substr(k, 1, index(k, " ") - 1), med, substr(k, index(k, " ") + 1), n
  }
}' | sort
