#!/usr/bin/env bash
# Prints the GOAMD64 level to build with: the caller's own GOAMD64 if set,
# else v3 when this machine's CPU runs a v3 program (AVX2, FMA, BMI1/2,
# F16C, LZCNT, MOVBE: Go's runtime checks them at start), else v1. The C++
# shim over dlib follows the same level (pkg/landmarks/simd_amd64v3.go).
set -uo pipefail
cd "$(dirname "$0")/.."
if [[ -n "${GOAMD64:-}" ]]; then
	echo "$GOAMD64"
elif [[ "$(go env GOARCH)" == amd64 ]] && [[ "$(GOAMD64=v3 go run ./scripts/cpulevel 2>/dev/null)" == ok ]]; then
	echo v3
else
	echo v1
fi
