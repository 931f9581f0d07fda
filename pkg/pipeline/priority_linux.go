package pipeline

import "syscall"

// lowerThreadPriority sets the calling OS thread's niceness. On Linux a
// thread has its own nice value (its tid stands for it in setpriority),
// which is what lets batch workers yield the CPU to live ones in the same
// process.
func lowerThreadPriority(nice int) error {
	return syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), nice)
}
