package pipeline

import (
	"runtime"
	"time"
)

// liveSessionsChanged wakes the batch workers when the last live session
// closes: all of them may work again.
func (e *Engine) liveSessionsChanged(open int64) {
	if open == 0 {
		e.mu.Lock()
		e.batchWake.Broadcast()
		e.mu.Unlock()
	}
}

// Batch work (video files) runs on workers of its own rather than
// waiting for a gap between live frames: on threads at the lowest CPU
// priority (nice 19; on Linux, niceness is per thread). A live frame's
// worker, at the server's own priority, then takes the CPU from them the
// moment it needs it, which no queue order can do for a frame already
// being processed; and with no camera connected, batch work has every
// core. Raising a thread's niceness needs no privilege.

// startBatchWorkers starts the batch workers, as many as the live ones
// (with no camera connected, a video file has every core), when the first
// batch session opens: a server that never gets a video does not pay for
// their detectors (0.6 s of start-up and a few megabytes on 2 workers).
// If they cannot start, batch sessions go to the live workers' queue.
func (e *Engine) startBatchWorkers() {
	e.batchOnce.Do(func() {
		pool := make([]*worker, len(e.workers))
		for i := range pool {
			w, err := newWorker(e)
			if err != nil {
				for _, w := range pool[:i] {
					w.close()
				}
				e.log.Error().Err(err).Msg("pipeline: batch workers cannot start; video files share the live workers")
				return
			}
			pool[i] = w
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.closed {
			for _, w := range pool {
				w.close()
			}
			return
		}
		e.batchPool = pool
		for i, w := range pool {
			e.wg.Add(1)
			go e.runBatch(w, i)
		}
	})
}

// BatchNice is the niceness of batch workers' threads, and of the ffmpeg
// processes of video jobs.
const BatchNice = 19

// batchRest is how many times as long as it worked batch work rests while
// a camera is connected: one third of a core for a video, then.
const batchRest = 2

func (e *Engine) runBatch(w *worker, index int) {
	defer e.wg.Done()
	defer w.close()
	runtime.LockOSThread() // for good: the thread's priority is lowered below
	if err := lowerThreadPriority(BatchNice); err != nil {
		// Still correct, but live frames no longer get the CPU first while
		// a video is processed (the rest below still spaces batch work).
		e.log.Warn().Err(err).Int("worker", index).Msg("could not lower a batch worker's CPU priority")
	}
	for {
		j := e.nextBatch(index)
		if j == nil {
			return
		}
		start := time.Now()
		j.run(w)
		// With a camera connected, batch work rests twice as long as it
		// worked: priority keeps the live frames first on the CPU, but
		// batch work running beside them still slows them (shared caches,
		// memory, sibling hyper-threads), and so do the video's ffmpegs,
		// which follow the batch worker's pace through their pipes
		// (docs/BENCHMARKS.md, "Uploaded videos").
		if e.sessions.Load() > 0 {
			time.Sleep(batchRest * time.Since(start))
		}
	}
}

// nextBatch blocks until a batch session has a frame for the batch
// worker of this index, or returns nil when the engine is closed. While a
// live session is open only the first batch worker works: the threads'
// priority keeps live frames first on the CPU, but not in its caches, and
// each core that batch work runs on slows the live frames beside it.
func (e *Engine) nextBatch(index int) job {
	e.mu.Lock()
	defer e.mu.Unlock()
	for !e.closed && (len(e.batch) == 0 || index > 0 && e.sessions.Load() > 0) {
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
