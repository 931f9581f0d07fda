//go:build !linux

package pipeline

import "errors"

// lowerThreadPriority is Linux only: elsewhere threads share the process's
// priority, so batch work competes with live frames as equals.
func lowerThreadPriority(nice int) error {
	return errors.New("per-thread priority is Linux only")
}
