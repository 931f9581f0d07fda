//go:build amd64.v3

package landmarks

// Built with GOAMD64=v3 (which `go tool task` chooses on a CPU that has
// AVX2 and FMA: scripts/goamd64.sh), the shim is compiled for the same
// level. dlib's HOG scan then uses its AVX code paths and the shape
// predictor's leaf sums use 256-bit registers: detection takes about a
// quarter less time and a fit about a quarter less (docs/BENCHMARKS.md).
// A binary built so refuses to start on an older CPU, with Go's own
// message, rather than failing on an illegal instruction.

/*
#cgo CXXFLAGS: -march=x86-64-v3
*/
import "C"
