package pipeline

import (
	"runtime"
	"syscall"
)

// Batch work (video files) runs on workers of its own rather than
// waiting for a gap between live frames: on threads at the lowest CPU
// priority (nice 19; on Linux, niceness is per thread). A live frame's
// worker, at the server's own priority, then takes the CPU from them the
// moment it needs it, which no queue order can do for a frame already
// being processed; and with no camera connected, batch work has every
// core. Raising a thread's niceness needs no privilege.

// BatchNice is the niceness of batch workers' threads, and of the ffmpeg
// processes of video jobs.
const BatchNice = 19

func (e *Engine) runBatch(w *worker) {
	defer e.wg.Done()
	defer w.close()
	runtime.LockOSThread() // for good: the thread's priority is lowered below
	syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), BatchNice)
	for {
		j := e.nextBatch()
		if j == nil {
			return
		}
		j.run(w)
	}
}

// nextBatch blocks until a batch session has a frame, or returns nil when
// the engine is closed.
func (e *Engine) nextBatch() job {
	e.mu.Lock()
	defer e.mu.Unlock()
	for !e.closed && len(e.batch) == 0 {
		e.batchWake.Wait()
	}
	if e.closed {
		return nil
	}
	j := e.batch[0]
	e.batch[0] = nil
	e.batch = e.batch[1:]
	return j
}
