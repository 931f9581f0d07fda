package jobs

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// A job's directory is named by its id and holds these files.
const (
	inputName  = "input"           // the upload, until the job ends
	resultName = "result.mp4"      // a done job's result
	resultPart = "result.mp4.part" // the result while it is written
	recordName = "job.json"        // the job's state (record)
)

// record is what a job's directory keeps of it across restarts.
type record struct {
	Status Status `json:"status"`
}

// load reads the jobs a previous run left; New calls it before the
// Manager is shared.
func (m *Manager) load() error {
	entries, err := os.ReadDir(m.cfg.Dir)
	if err != nil {
		return fmt.Errorf("jobs: the data directory: %w", err)
	}
	now := time.Now()
	for _, e := range entries {
		dir := filepath.Join(m.cfg.Dir, e.Name())
		if !e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, recordName))
		var rec record
		if err != nil || json.Unmarshal(b, &rec) != nil || rec.Status.ID != e.Name() {
			os.RemoveAll(dir) // an upload that never became a job
			continue
		}
		j := &job{dir: dir, changed: make(chan struct{}), status: rec.Status}
		if !j.status.State.Finished() {
			j.status.State = Failed
			j.status.Error = &Error{Code: CodeInterrupted, Message: "the server stopped before this video was finished; upload it again"}
			j.status.Finished = &now
			j.status.Position = 0
			os.Remove(filepath.Join(dir, resultPart))
			m.log.Warn().Str("job", Short(j.status.ID)).Msg("video job interrupted by a restart: marked failed")
		}
		if j.status.State != Done {
			os.Remove(filepath.Join(dir, inputName)) // nothing will use it again
		}
		m.setExpiry(j)
		m.jobs[j.status.ID] = j
		m.save(j)
	}
	return nil
}

// Short is the prefix of a job id that logs carry: a job's id is its
// owner's key to it (whoever has it can watch, download and DELETE), so
// the whole of it is never written to a log.
func Short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// NewUpload makes a directory for an upload and returns its id and the
// path to write the file to. The caller passes both to Add, or calls
// Discard.
func (m *Manager) NewUpload() (id, path string, err error) {
	b := make([]byte, 16)
	rand.Read(b)
	id = hex.EncodeToString(b)
	dir := filepath.Join(m.cfg.Dir, id)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("jobs: %w", err)
	}
	return id, filepath.Join(dir, inputName), nil
}

// Discard removes an upload that did not become a job.
func (m *Manager) Discard(id string) {
	if len(id) == 32 {
		os.RemoveAll(filepath.Join(m.cfg.Dir, id))
	}
}

// save writes the job's state to its directory, atomically, unless the
// job is gone. A failure is logged: the job goes on, but a restart would
// not know it. It takes Manager.mu only to copy the status.
func (m *Manager) save(j *job) {
	j.disk.Lock()
	defer j.disk.Unlock()
	m.mu.Lock()
	st, gone := j.status, j.gone
	m.mu.Unlock()
	if gone {
		return
	}
	b, err := json.Marshal(record{Status: st})
	if err == nil {
		tmp := filepath.Join(j.dir, recordName+".tmp")
		if err = os.WriteFile(tmp, b, 0o600); err == nil {
			err = os.Rename(tmp, filepath.Join(j.dir, recordName))
		}
	}
	if err != nil {
		m.log.Warn().Err(err).Str("job", Short(st.ID)).Msg("cannot save the video job's state")
	}
}

// removeFiles removes a gone job's directory (forgetLocked first).
func (m *Manager) removeFiles(j *job) {
	j.disk.Lock()
	defer j.disk.Unlock()
	os.RemoveAll(j.dir)
}
