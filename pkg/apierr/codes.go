package apierr

import (
	"net/http"
	"slices"
)

// Every error code a client sees. They are part of the protocol
// (docs/protocol.md, whose table TestProtocolDocAgrees checks against
// statuses): never rename one.
const (
	// A frame refused before or while decoding (package frame).
	CodeBadPayload    = "bad_payload"     // the frame event's argument has the wrong shape
	CodeNotDataURL    = "not_data_url"    // not data:<type>;base64,<data>
	CodeBadBase64     = "bad_base64"      // the data part is not valid base64
	CodeNotJPEG       = "not_jpeg"        // another MIME type, or bytes that are not a JPEG
	CodeTooLarge      = "too_large"       // more bytes than the limit
	CodeTooManyPixels = "too_many_pixels" // declared dimensions beyond the limits
	CodeTooManyScans  = "too_many_scans"  // more scans (or segments) than any camera or encoder makes
	CodeDecodeFailed  = "decode_failed"   // a valid-looking header whose image data is corrupt
	CodeInternal      = "internal"        // the server failed; the client did nothing wrong

	// Sessions, settings and transports.
	CodeBadConfig       = "bad_config"        // a config message with a bad field, named in field
	CodeBadEffects      = "bad_effects"       // an effects parameter with a bad field
	CodeBadMessage      = "bad_message"       // a message that is not JSON {event, data} with a known event, or not a WebRTC offer
	CodeDropped         = "dropped"           // a newer frame replaced this one before it was processed
	CodeUnknownSession  = "unknown_session"   // a session id that is unknown or expired
	CodeUnknownWatch    = "unknown_watch"     // a watch id that is unknown or whose session ended
	CodeNoFrame         = "no_frame"          // a watch snapshot before the session answered a frame
	CodeTooManySessions = "too_many_sessions" // the server holds as many sessions as it allows
	CodeTooManyViewers  = "too_many_viewers"  // a stream or the server has as many viewers as it allows
	CodeUnauthorized    = "unauthorized"      // the access key is missing or wrong
	CodeForbiddenOrigin = "forbidden_origin"  // a page of another site, not allowed by --cors-origin
	CodeUnknownHost     = "unknown_host"      // a Host name the server does not answer to (--allowed-host)
	CodeTimeout         = "timeout"           // the server is too busy to answer in time; a video job took too long
	CodeShuttingDown    = "shutting_down"     // the server is stopping
	CodeUnavailable     = "unavailable"       // the cluster's shared state (Redis) or the node holding a session does not answer; Retry-After
	CodeSlowReader      = "slow_reader"       // disconnected: the client did not read its messages for the grace time
	CodeTooManyRequests = "too_many_requests" // handshakes or sessions from one address faster than the server allows
	CodeBusy            = "busy"              // the photo queue is full; try again after Retry-After
	CodeBadBody         = "bad_body"          // the HTTP body could not be read
	CodeUnsupportedType = "unsupported_type"  // a Content-Type the endpoint does not take
	CodeNotFound        = "not_found"         // no such endpoint
	CodeMethod          = "method_not_allowed"

	// Uploaded videos (packages video and jobs).
	CodeUnknownJob    = "unknown_job"     // a video job that is unknown, expired or removed
	CodeNotReady      = "not_ready"       // a video job's result before it is done
	CodeNoSpace       = "no_space"        // the server's disk has no room for an upload and its result
	CodeEmpty         = "empty"           // no bytes at all
	CodeNotVideo      = "not_video"       // no video stream, or a still image
	CodeCorrupt       = "corrupt"         // does not parse, truncated, damaged packets
	CodeTooLong       = "too_long"        // over the duration limit
	CodeTooManyFrames = "too_many_frames" // over the frame rate or frame count limit
	CodeInterrupted   = "interrupted"     // a job's error: the server stopped while it was queued or running
	CodeCancelled     = "cancelled"       // a job's error: it was removed before it was done
)

// statuses is the one table: each code's HTTP status. 0: the code is never
// an HTTP answer (a close reason, or a failed video job's error).
var statuses = map[string]int{
	CodeBadPayload:      http.StatusBadRequest,
	CodeNotDataURL:      http.StatusBadRequest,
	CodeBadBase64:       http.StatusBadRequest,
	CodeNotJPEG:         http.StatusBadRequest,
	CodeTooLarge:        http.StatusRequestEntityTooLarge,
	CodeTooManyPixels:   http.StatusRequestEntityTooLarge,
	CodeTooManyScans:    http.StatusRequestEntityTooLarge,
	CodeDecodeFailed:    http.StatusBadRequest,
	CodeInternal:        http.StatusInternalServerError,
	CodeBadConfig:       http.StatusBadRequest,
	CodeBadEffects:      http.StatusBadRequest,
	CodeBadMessage:      http.StatusBadRequest,
	CodeDropped:         http.StatusConflict,
	CodeUnknownSession:  http.StatusNotFound,
	CodeUnknownWatch:    http.StatusNotFound,
	CodeNoFrame:         http.StatusNotFound,
	CodeTooManySessions: http.StatusServiceUnavailable,
	CodeTooManyViewers:  http.StatusServiceUnavailable,
	CodeUnauthorized:    http.StatusUnauthorized,
	CodeForbiddenOrigin: http.StatusForbidden,
	CodeUnknownHost:     http.StatusMisdirectedRequest,
	CodeTimeout:         http.StatusServiceUnavailable,
	CodeShuttingDown:    http.StatusServiceUnavailable,
	CodeUnavailable:     http.StatusServiceUnavailable,
	CodeSlowReader:      0,
	CodeTooManyRequests: http.StatusTooManyRequests,
	CodeBusy:            http.StatusServiceUnavailable,
	CodeBadBody:         http.StatusBadRequest,
	CodeUnsupportedType: http.StatusUnsupportedMediaType,
	CodeNotFound:        http.StatusNotFound,
	CodeMethod:          http.StatusMethodNotAllowed,
	CodeUnknownJob:      http.StatusNotFound,
	CodeNotReady:        http.StatusConflict,
	CodeNoSpace:         http.StatusInsufficientStorage,
	CodeEmpty:           http.StatusBadRequest,
	CodeNotVideo:        http.StatusUnsupportedMediaType,
	CodeCorrupt:         http.StatusUnprocessableEntity,
	CodeTooLong:         http.StatusRequestEntityTooLarge,
	CodeTooManyFrames:   http.StatusRequestEntityTooLarge,
	CodeInterrupted:     0,
	CodeCancelled:       0,
}

// alternates are the other statuses a code may answer with, each where
// the protocol documents it: not_jpeg is 415 for a Content-Type other than
// image/jpeg, bad_message is 426 for a plain HTTP request to /ws.
var alternates = map[string][]int{
	CodeNotJPEG:    {http.StatusUnsupportedMediaType},
	CodeBadMessage: {http.StatusUpgradeRequired},
}

// StatusOf is the status of an HTTP answer with this code; an unknown
// code, or one that is never an HTTP answer, is a server fault.
func StatusOf(code string) int {
	if s := statuses[code]; s != 0 {
		return s
	}
	return http.StatusInternalServerError
}

// Statuses are every status code may answer with: its own first, then its
// documented alternates; none for a code that is never an HTTP answer.
func Statuses(code string) []int {
	s, ok := statuses[code]
	if !ok || s == 0 {
		return nil
	}
	return append([]int{s}, alternates[code]...)
}

// Codes lists every error code, sorted.
func Codes() []string {
	out := make([]string, 0, len(statuses))
	for c := range statuses {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// WithStatus is e answering with status, one of its code's alternates.
func WithStatus(status int, code, message string) *Error {
	return &Error{Code: code, Message: message, Status: status}
}
