package client

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"

	"github.com/livetryon/server/pkg/apierr"
)

// ReadJPEG reads a request's JPEG body, for the HTTP transports (a frame,
// a photo): it checks the method, the type and the declared size before
// reading, and reads no more than limit bytes. On failure it has answered
// with the JSON error.
func ReadJPEG(w http.ResponseWriter, r *http.Request, limit int) ([]byte, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		WriteHTTPError(w, CodeMethod, "use POST with a JPEG body")
		return nil, false
	}
	// Parsed strictly: image/jpeg, with parameters if any; not image/jpegXYZ.
	if ct := r.Header.Get("Content-Type"); !isJPEGType(ct) {
		apierr.WriteHTTP(w, apierr.WithStatus(http.StatusUnsupportedMediaType, apierr.CodeNotJPEG, fmt.Sprintf("Content-Type must be image/jpeg, got %q", apierr.Clip(ct, 64))))
		return nil, false
	}
	if r.ContentLength > int64(limit) {
		WriteHTTPError(w, apierr.CodeTooLarge, fmt.Sprintf("body is %d bytes; the limit is %d", r.ContentLength, limit))
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(limit)))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		WriteHTTPError(w, apierr.CodeTooLarge, fmt.Sprintf("body is over the %d-byte limit", limit))
		return nil, false
	case errors.Is(err, os.ErrDeadlineExceeded):
		WriteHTTPError(w, CodeBadBody, "the body did not arrive in time (the server's --body-timeout)")
		return nil, false
	case err != nil:
		WriteHTTPError(w, CodeBadBody, "cannot read the body: "+err.Error())
		return nil, false
	}
	return body, true
}

func isJPEGType(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "image/jpeg" || mt == "image/jpg")
}
