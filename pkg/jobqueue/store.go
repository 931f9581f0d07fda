package jobqueue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Store keeps the jobs' files where every node can reach them: the upload
// a node received, and the result another node made of it. The pipeline
// reads and writes local files (ffprobe and ffmpeg take paths), so a
// Store hands out local paths and is told when a local file is complete.
//
// DirStore, a directory every node mounts (NFS in production), is the one
// implementation; docs/DEPLOY.md says what an S3-compatible one needs.
type Store interface {
	// NewUpload makes a place for a new job and returns its id and the
	// local path its upload is written to.
	NewUpload() (id, path string, err error)
	// Input is a local path to read job id's upload from.
	Input(ctx context.Context, id string) (string, error)
	// Output is a local path to write one attempt's result to; token names
	// the attempt, so two nodes that both believe they own a job never
	// write into one file.
	Output(id, token string) string
	// Commit makes the attempt's output the job's result, atomically:
	// readers see the whole result or none (written beside, then renamed).
	Commit(ctx context.Context, id, token string) (bytes int64, err error)
	// Abort removes an attempt's partial output.
	Abort(id, token string)
	// Finish removes what a finished job no longer needs: the upload, and
	// the partial outputs of attempts whose node died.
	Finish(ctx context.Context, id string)
	// Open opens job id's result, to be served with ranges.
	Open(ctx context.Context, id string) (Result, error)
	// Remove removes everything of job id.
	Remove(ctx context.Context, id string) error
	// Dir is a local directory on the disk uploads land on, for the
	// free-space check.
	Dir() string
}

// lister is a Store that can list the jobs it holds files of, with the
// time each was last written, so that uploads whose node died before
// they became jobs are found and removed.
type lister interface {
	List(ctx context.Context) (map[string]time.Time, error)
}

// Result is a finished job's MP4 as a Store serves it.
type Result interface {
	io.ReadSeekCloser
	ModTime() time.Time
}

// DirStore is a Store in a directory: each job's files in a directory of
// its own, named by the job's id, as pkg/jobs lays them out on one node.
type DirStore struct{ Root string }

var _ Store = DirStore{}

// File names in a job's directory.
const (
	inputName  = "input"
	resultName = "result.mp4"
)

func (s DirStore) dir(id string) (string, error) {
	if !validID(id) {
		return "", errors.New("jobqueue: not a job id")
	}
	return filepath.Join(s.Root, id), nil
}

// validID says whether id is one NewUpload makes: 32 hex digits, so it can
// name a directory whatever a client sent.
func validID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

// NewUpload makes the job's directory.
func (s DirStore) NewUpload() (string, string, error) {
	if err := os.MkdirAll(s.Root, 0o700); err != nil {
		return "", "", fmt.Errorf("jobqueue: the data directory: %w", err)
	}
	b := make([]byte, 16)
	rand.Read(b)
	id := hex.EncodeToString(b)
	dir := filepath.Join(s.Root, id)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("jobqueue: %w", err)
	}
	return id, filepath.Join(dir, inputName), nil
}

// Input is the upload itself: every node reads the shared directory.
func (s DirStore) Input(_ context.Context, id string) (string, error) {
	dir, err := s.dir(id)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, inputName)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("jobqueue: the upload: %w", err)
	}
	return path, nil
}

// Output is beside the result, named by the attempt.
func (s DirStore) Output(id, token string) string {
	return filepath.Join(s.Root, id, resultName+"."+token+".part")
}

// Commit renames the attempt's output over the result: a rename within a
// directory is atomic, on NFS too.
func (s DirStore) Commit(_ context.Context, id, token string) (int64, error) {
	dir, err := s.dir(id)
	if err != nil {
		return 0, err
	}
	final := filepath.Join(dir, resultName)
	if err := os.Rename(s.Output(id, token), final); err != nil {
		return 0, fmt.Errorf("jobqueue: commit the result: %w", err)
	}
	st, err := os.Stat(final)
	if err != nil {
		return 0, fmt.Errorf("jobqueue: commit the result: %w", err)
	}
	return st.Size(), nil
}

// Abort removes the attempt's output.
func (s DirStore) Abort(id, token string) {
	if validID(id) {
		os.Remove(s.Output(id, token))
	}
}

// Finish removes the upload and every attempt's output.
func (s DirStore) Finish(_ context.Context, id string) {
	dir, err := s.dir(id)
	if err != nil {
		return
	}
	os.Remove(filepath.Join(dir, inputName))
	parts, _ := filepath.Glob(filepath.Join(dir, resultName+".*.part"))
	for _, p := range parts {
		os.Remove(p)
	}
}

type fileResult struct {
	*os.File
	mod time.Time
}

func (f fileResult) ModTime() time.Time { return f.mod }

// Open opens the result file.
func (s DirStore) Open(_ context.Context, id string) (Result, error) {
	dir, err := s.dir(id)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(dir, resultName))
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return fileResult{f, st.ModTime()}, nil
}

// Remove removes the job's directory.
func (s DirStore) Remove(_ context.Context, id string) error {
	dir, err := s.dir(id)
	if err != nil {
		return err
	}
	return os.RemoveAll(dir)
}

// List gives each job directory's id and its newest write: the
// directory's or its upload's, which an upload in progress keeps fresh.
func (s DirStore) List(context.Context) (map[string]time.Time, error) {
	entries, err := os.ReadDir(s.Root)
	if err != nil {
		return nil, err
	}
	out := map[string]time.Time{}
	for _, e := range entries {
		if !e.IsDir() || !validID(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		mod := info.ModTime()
		if in, err := os.Stat(filepath.Join(s.Root, e.Name(), inputName)); err == nil && in.ModTime().After(mod) {
			mod = in.ModTime()
		}
		out[e.Name()] = mod
	}
	return out, nil
}

// Dir is the root.
func (s DirStore) Dir() string { return s.Root }
