package client

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/livetryon/server/pkg/frame"
	"github.com/livetryon/server/pkg/video"
)

// Error codes that clients see, besides those of package frame. Like
// those, they are part of the protocol (docs/protocol.md): never rename one.
const (
	CodeBadConfig       = "bad_config"        // a config message with a bad field, named in field
	CodeBadEffects      = "bad_effects"       // an effects parameter with a bad field
	CodeBadMessage      = "bad_message"       // a text message that is not JSON {event, data} with a known event
	CodeDropped         = "dropped"           // a newer frame replaced this one before it was processed
	CodeUnknownSession  = "unknown_session"   // a session id that is unknown or expired
	CodeUnknownWatch    = "unknown_watch"     // a watch id that is unknown or whose session ended
	CodeNoFrame         = "no_frame"          // a watch snapshot before the session answered a frame
	CodeTooManySessions = "too_many_sessions" // the server holds as many sessions as it allows
	CodeTooManyViewers  = "too_many_viewers"  // a stream or the server has as many viewers as it allows
	CodeUnauthorized    = "unauthorized"      // the access key is missing or wrong
	CodeForbiddenOrigin = "forbidden_origin"  // a page of another site, not allowed by --cors-origin
	CodeUnknownHost     = "unknown_host"      // a Host name the server does not answer to (--allowed-host)
	CodeTimeout         = "timeout"           // the server is too busy to answer in time
	CodeShuttingDown    = "shutting_down"     // the server is stopping
	CodeSlowReader      = "slow_reader"       // disconnected: the client did not read its messages for the grace time
	CodeTooManyRequests = "too_many_requests" // handshakes or sessions from one address faster than the server allows
	CodeBusy            = "busy"              // the photo queue is full; try again after Retry-After
	CodeBadBody         = "bad_body"          // the HTTP body could not be read
	CodeUnsupportedType = "unsupported_type"  // a Content-Type the endpoint does not take
	CodeNotFound        = "not_found"
	CodeUnknownJob      = "unknown_job" // a video job that is unknown, expired or removed
	CodeNotReady        = "not_ready"   // a video job's result before it is done
	CodeNoSpace         = "no_space"    // the server's disk has no room for an upload and its result
	CodeMethod          = "method_not_allowed"
)

// httpStatus is the one table of error codes: each code's HTTP status, for
// the HTTP transports. The others carry the code itself.
var httpStatus = map[string]int{
	frame.CodeBadPayload:    http.StatusBadRequest,
	frame.CodeNotDataURL:    http.StatusBadRequest,
	frame.CodeBadBase64:     http.StatusBadRequest,
	frame.CodeNotJPEG:       http.StatusBadRequest,
	frame.CodeTooLarge:      http.StatusRequestEntityTooLarge,
	frame.CodeTooManyPixels: http.StatusRequestEntityTooLarge,
	frame.CodeTooManyScans:  http.StatusRequestEntityTooLarge,
	frame.CodeDecodeFailed:  http.StatusBadRequest,
	frame.CodeInternal:      http.StatusInternalServerError,
	CodeBadConfig:           http.StatusBadRequest,
	CodeBadEffects:          http.StatusBadRequest,
	CodeBadMessage:          http.StatusBadRequest,
	CodeDropped:             http.StatusConflict,
	CodeUnknownSession:      http.StatusNotFound,
	CodeUnknownWatch:        http.StatusNotFound,
	CodeNoFrame:             http.StatusNotFound,
	CodeTooManySessions:     http.StatusServiceUnavailable,
	CodeTooManyViewers:      http.StatusServiceUnavailable,
	CodeUnauthorized:        http.StatusUnauthorized,
	CodeForbiddenOrigin:     http.StatusForbidden,
	CodeUnknownHost:         http.StatusMisdirectedRequest,
	CodeTimeout:             http.StatusServiceUnavailable,
	CodeShuttingDown:        http.StatusServiceUnavailable,
	CodeSlowReader:          http.StatusTooManyRequests,
	CodeTooManyRequests:     http.StatusTooManyRequests,
	CodeBusy:                http.StatusServiceUnavailable,
	CodeBadBody:             http.StatusBadRequest,
	CodeUnsupportedType:     http.StatusUnsupportedMediaType,
	CodeNotFound:            http.StatusNotFound,
	CodeUnknownJob:          http.StatusNotFound,
	CodeNotReady:            http.StatusConflict,
	CodeNoSpace:             http.StatusInsufficientStorage,
	video.CodeEmpty:         http.StatusBadRequest,
	video.CodeNotVideo:      http.StatusUnsupportedMediaType,
	video.CodeCorrupt:       http.StatusUnprocessableEntity,
	video.CodeTooLong:       http.StatusRequestEntityTooLarge,
	video.CodeTooManyFrames: http.StatusRequestEntityTooLarge,
	CodeMethod:              http.StatusMethodNotAllowed,
}

// HTTPStatus is the status an HTTP answer with this error code has; an
// unknown code is a server fault.
func HTTPStatus(code string) int {
	if s, ok := httpStatus[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Codes lists every error code, for documentation tests.
func Codes() []string {
	out := make([]string, 0, len(httpStatus))
	for c := range httpStatus {
		out = append(out, c)
	}
	return out
}

// HTTPErrorReply is the JSON body of every HTTP error answer.
type HTTPErrorReply struct {
	Error ErrorBody `json:"error"`
}

// WriteHTTPError answers with code's status and the JSON error body.
func WriteHTTPError(w http.ResponseWriter, code, message string) {
	WriteHTTPErrorStatus(w, HTTPStatus(code), code, message)
}

// WriteHTTPRetry is WriteHTTPError with a Retry-After header: the
// request may work again after that many seconds.
func WriteHTTPRetry(w http.ResponseWriter, code, message string, afterSeconds int) {
	w.Header().Set("Retry-After", strconv.Itoa(max(afterSeconds, 1)))
	WriteHTTPError(w, code, message)
}

// WriteHTTPErrorStatus is WriteHTTPError with another status than the
// code's own.
func WriteHTTPErrorStatus(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(HTTPErrorReply{Error: ErrorBody{Code: code, Message: message}})
}
