package videoapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/client"
)

// events sends the job at each change, until it is finished: each event is
// named by the job's state and carries the job as JSON.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	st, changed, ok := s.job(w, r)
	if !ok {
		return
	}
	if fdsNearLimit() {
		refuseEarly(w, client.CodeBusy, "the server has nearly as many connections and files open as it may; try again later", 10)
		return
	}
	s.mu.Lock()
	if s.listeners[st.ID] >= s.opts.MaxEventsPerJob {
		s.mu.Unlock()
		refuseEarly(w, client.CodeTooManyViewers, fmt.Sprintf("this job has %d event listeners, as many as the server serves one job (--video-events-per-job)", s.opts.MaxEventsPerJob), 10)
		return
	}
	s.listeners[st.ID]++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.listeners[st.ID]--; s.listeners[st.ID] <= 0 {
			delete(s.listeners, st.ID)
		}
		s.mu.Unlock()
	}()
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: pass events on at once
	w.WriteHeader(http.StatusOK)
	keepAlive := time.NewTicker(15 * time.Second)
	defer keepAlive.Stop()
	send := func(event string, v any) bool {
		b, _ := json.Marshal(v)
		rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	var last []byte // a backend that wakes without a change sends nothing
	for {
		b, _ := json.Marshal(st)
		if !bytes.Equal(b, last) && !send(string(st.State), reply(st)) || st.State.Finished() {
			return
		}
		last = b
		for waiting := true; waiting; {
			select {
			case <-changed:
				waiting = false
			case <-keepAlive.C:
				rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
				if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
					return
				}
			case <-r.Context().Done():
				return
			}
		}
		next, nextChanged, err := s.jobs.Get(r.Context(), st.ID)
		if e := apierr.From(err, ""); e != nil && e.Code == CodeUnknownJob {
			send("removed", map[string]string{"id": r.PathValue("id")})
			return
		}
		if err != nil {
			// The backend is away (a cluster's Redis): the stream stays
			// open and asks again.
			t := time.NewTimer(time.Second)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
			changed = closedChan
			continue
		}
		st, changed = next, nextChanged
	}
}

// closedChan is a channel that is closed.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// watch serves the job's frames as they are finished, as MJPEG.
func (s *Server) watch(w http.ResponseWriter, r *http.Request) {
	st, _, ok := s.job(w, r)
	if !ok {
		return
	}
	p, ok := s.jobs.Preview(r.Context(), st.ID)
	if !ok {
		writeJSON(w, http.StatusConflict, notReady{Error: client.ErrorBody{Code: CodeNotReady,
			Message: fmt.Sprintf("the job is %s: there is nothing more to watch; play its result", st.State)}, Job: reply(st)})
		return
	}
	p.ServeHTTP(w, r)
}
