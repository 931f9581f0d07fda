package videoapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/livetryon/server/pkg/apierr"
	"github.com/livetryon/server/pkg/client"
	"github.com/livetryon/server/pkg/jobs"
)

func peerAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr()
}

// addressKey groups an address with those of the same subscriber.
func addressKey(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p
	}
	p, _ := a.Prefix(a.BitLen())
	return p
}

// startUpload counts an upload in progress, or says which cap refuses it.
func (s *Server) startUpload(r *http.Request) (done func(), code, message string) {
	key := addressKey(s.opts.AddrOf(r))
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.uploads >= s.opts.MaxUploads:
		return nil, client.CodeBusy, fmt.Sprintf("%d uploads are in progress, as many as the server takes at once (--video-max-uploads); try again later", s.uploads)
	case s.uploading[key] >= s.opts.MaxUploadsPerAddress:
		return nil, client.CodeTooManyRequests, fmt.Sprintf("this address has %d uploads in progress, as many as the server takes from one (--video-max-uploads-per-ip)", s.uploading[key])
	}
	s.uploads++
	s.uploading[key]++
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.uploads--
		if s.uploading[key]--; s.uploading[key] <= 0 {
			delete(s.uploading, key)
		}
	}, "", ""
}

// Uploads is how many uploads are in progress.
func (s *Server) Uploads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.uploads
}

// refuseEarly answers before the body is read, and closes the connection
// after: a client refused for a cap keeps no descriptor open with an
// unread body.
func refuseEarly(w http.ResponseWriter, code, message string, retryAfter int) {
	w.Header().Set("Connection", "close")
	if retryAfter > 0 {
		client.WriteHTTPRetry(w, code, message, retryAfter)
		return
	}
	client.WriteHTTPError(w, code, message)
}

// Refused is how many uploads were answered with an error.
func (s *Server) Refused() uint64 { return s.refused.Load() }

// countRefusal counts an upload answered with an error.
func (s *Server) countRefusal(w *statusRecorder) {
	if w.status >= 400 {
		s.refused.Add(1)
	}
}

// statusRecorder remembers the status an upload was answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the connection's deadlines.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) upload(rw http.ResponseWriter, r *http.Request) {
	w := &statusRecorder{ResponseWriter: rw}
	defer s.countRefusal(w)
	limit := s.opts.MaxUploadBytes
	// Every cap is checked before a byte of the body is read or a file
	// made: a refused upload costs a map lookup and a directory read.
	if err := s.jobs.Admit(r.Context()); err != nil {
		w.Header().Set("Connection", "close") // as refuseEarly: the body stays unread
		apierr.WriteHTTP(w, err)
		return
	}
	if fdsNearLimit() {
		refuseEarly(w, client.CodeBusy, "the server has nearly as many connections and files open as it may; try again later", 10)
		return
	}
	if r.ContentLength > limit {
		refuseEarly(w, apierr.CodeTooLarge, fmt.Sprintf("the upload is %d bytes; the limit is %d (--max-upload-bytes)", r.ContentLength, limit), 0)
		return
	}
	done, code, message := s.startUpload(r)
	if done == nil {
		refuseEarly(w, code, message, 10)
		return
	}
	defer done()
	// A body of unknown length is assumed to be of 64 MiB here; if it is
	// longer and the disk fills, the write fails and says so (no_space).
	need := min(limit, 64<<20)
	if r.ContentLength > 0 {
		need = r.ContentLength
	}
	if free, err := freeBytes(s.jobs.Dir()); err == nil && free < 2*need+s.opts.DiskReserve {
		client.WriteHTTPRetry(w, CodeNoSpace, "the server's disk has no room for this upload and its result now", 60)
		return
	}
	fx := s.opts.Effects()
	if q, look := r.URL.Query().Get("effects"), r.URL.Query().Get("look"); q != "" || look != "" {
		var err error
		if fx, err = client.BuildEffectsParam(look, q); err != nil {
			client.WriteHTTPError(w, client.CodeBadEffects, err.Error())
			return
		}
	}
	id, path, err := s.jobs.NewUpload()
	if err != nil {
		s.log.Error().Err(err).Msg("video upload")
		client.WriteHTTPError(w, apierr.CodeInternal, "the server cannot store the upload")
		return
	}
	// MaxBytesReader is given the server's own writer: past the limit it
	// tells the server to close the connection rather than read on.
	body := &idleBody{r: http.MaxBytesReader(rw, r.Body, limit), rc: http.NewResponseController(w), idle: s.opts.BodyIdle}
	name, fxField, lookField, err := s.receive(r, body, path)
	// The body is in (or refused): what is left is the probe and the answer.
	body.rc.SetReadDeadline(time.Time{})
	body.rc.SetWriteDeadline(time.Now().Add(3 * time.Minute))
	if err == nil && (fxField != "" || lookField != "") {
		fx, err = client.BuildEffectsParam(lookField, fxField)
		if err != nil {
			s.jobs.Discard(id)
			client.WriteHTTPError(w, client.CodeBadEffects, err.Error())
			return
		}
	}
	if err != nil {
		s.jobs.Discard(id)
		var tooBig *http.MaxBytesError
		var bad *apierr.Error
		switch {
		case errors.As(err, &tooBig):
			client.WriteHTTPError(w, apierr.CodeTooLarge, fmt.Sprintf("the upload is over the %d-byte limit (--max-upload-bytes)", limit))
		case errors.As(err, &bad):
			apierr.WriteHTTP(w, bad)
		case errors.Is(err, os.ErrDeadlineExceeded):
			client.WriteHTTPError(w, client.CodeBadBody, fmt.Sprintf("the upload sent nothing for %v", s.opts.BodyIdle))
		case errors.Is(err, syscall.ENOSPC):
			client.WriteHTTPRetry(w, CodeNoSpace, "the server's disk filled up during the upload", 60)
		default:
			// The error may name the server's own file: it goes to the log only.
			s.log.Debug().Err(err).Msg("video upload could not be read")
			client.WriteHTTPError(w, client.CodeBadBody, "the upload could not be read")
		}
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	st, err := s.jobs.Add(ctx, id, name, fx, s.openPreview())
	var refused *apierr.Error // a *video.Error wraps one
	switch {
	case errors.As(err, &refused):
		apierr.WriteHTTP(w, refused)
		return
	case errors.Is(err, jobs.ErrQueueFull):
		client.WriteHTTPRetry(w, client.CodeBusy, "as many videos are waiting as the server queues (--video-queue); try again later", 30)
		return
	case errors.Is(err, jobs.ErrBusy):
		client.WriteHTTPRetry(w, client.CodeBusy, "as many uploads are being checked as the server checks at once (--video-max-probes); try again later", 10)
		return
	case errors.Is(err, jobs.ErrClosed):
		client.WriteHTTPError(w, client.CodeShuttingDown, "the server is stopping")
		return
	case err != nil:
		s.log.Error().Err(err).Msg("video upload")
		client.WriteHTTPError(w, apierr.CodeInternal, "the upload could not be checked")
		return
	}
	w.Header().Set("Location", "/api/v1/videos/"+st.ID)
	writeJSON(w, http.StatusCreated, reply(st))
}

// receive writes the request's video to path: the body itself, or the
// first file of a multipart form. It returns the client's file name and
// the effects and look form fields that came before the file.
func (s *Server) receive(r *http.Request, body io.Reader, path string) (name, fx, look string, err error) {
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	src := body
	name = r.URL.Query().Get("name")
	switch {
	case mt == "multipart/form-data":
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return "", "", "", apierr.New(client.CodeBadBody, "the form has no file part")
			}
			if err != nil {
				return "", "", "", err
			}
			if part.FileName() == "" && (part.FormName() == "effects" || part.FormName() == "look") {
				b, err := io.ReadAll(io.LimitReader(part, 4<<10))
				if err != nil {
					return "", "", "", err
				}
				if part.FormName() == "look" {
					look = string(b)
				} else {
					fx = string(b)
				}
				continue
			}
			if part.FileName() != "" || part.FormName() == "file" || part.FormName() == "video" {
				src, name = part, part.FileName()
				break
			}
		}
	case mt == "" || mt == "application/octet-stream" || strings.HasPrefix(mt, "video/"):
	default:
		return "", "", "", apierr.New(client.CodeUnsupportedType,
			fmt.Sprintf("send the video as the body (video/*, application/octet-stream) or as a multipart/form-data file, not %q", apierr.Clip(mt, 64)))
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", "", "", err
	}
	_, err = io.Copy(f, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return name, fx, look, err
}

// idleBody drops an upload that stops sending: each read must bring bytes
// within idle of the last.
type idleBody struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.rc.SetReadDeadline(time.Now().Add(b.idle))
	n, err := b.r.Read(p)
	if err == io.EOF {
		b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// fdsNearLimit says whether the process has three quarters of its file
// descriptor limit open (or the limit less 64, if lower): past it, new
// uploads and event streams are refused, so that live clients, the
// ffmpegs' pipes and the jobs' files still find descriptors.
func fdsNearLimit() bool {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur == 0 {
		return false
	}
	f, err := os.Open("/proc/self/fd")
	if err != nil {
		return false
	}
	defer f.Close()
	names, _ := f.Readdirnames(-1)
	return uint64(len(names)) >= min(lim.Cur*3/4, max(lim.Cur, 64)-64)
}

// freeBytes is the space left for an unprivileged user on dir's disk.
func freeBytes(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * st.Bsize, nil
}
