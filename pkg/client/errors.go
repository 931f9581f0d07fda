package client

import (
	"net/http"

	"github.com/livetryon/server/pkg/apierr"
)

// Error codes that clients see, from the one table in package apierr:
// these names stay so that transports read as before.
const (
	CodeBadConfig       = apierr.CodeBadConfig
	CodeBadEffects      = apierr.CodeBadEffects
	CodeBadMessage      = apierr.CodeBadMessage
	CodeDropped         = apierr.CodeDropped
	CodeUnknownSession  = apierr.CodeUnknownSession
	CodeUnknownWatch    = apierr.CodeUnknownWatch
	CodeNoFrame         = apierr.CodeNoFrame
	CodeTooManySessions = apierr.CodeTooManySessions
	CodeTooManyViewers  = apierr.CodeTooManyViewers
	CodeUnauthorized    = apierr.CodeUnauthorized
	CodeForbiddenOrigin = apierr.CodeForbiddenOrigin
	CodeUnknownHost     = apierr.CodeUnknownHost
	CodeTimeout         = apierr.CodeTimeout
	CodeShuttingDown    = apierr.CodeShuttingDown
	CodeUnavailable     = apierr.CodeUnavailable
	CodeSlowReader      = apierr.CodeSlowReader
	CodeTooManyRequests = apierr.CodeTooManyRequests
	CodeBusy            = apierr.CodeBusy
	CodeBadBody         = apierr.CodeBadBody
	CodeUnsupportedType = apierr.CodeUnsupportedType
	CodeNotFound        = apierr.CodeNotFound
	CodeUnknownJob      = apierr.CodeUnknownJob
	CodeNotReady        = apierr.CodeNotReady
	CodeNoSpace         = apierr.CodeNoSpace
	CodeMethod          = apierr.CodeMethod
)

// HTTPStatus is the status an HTTP answer with this error code has; an
// unknown code is a server fault.
func HTTPStatus(code string) int { return apierr.StatusOf(code) }

// Codes lists every error code, for documentation tests.
func Codes() []string { return apierr.Codes() }

// HTTPErrorReply is the JSON body of every HTTP error answer.
type HTTPErrorReply = apierr.HTTPReply

// WriteHTTPError answers with code's status and the JSON error body.
func WriteHTTPError(w http.ResponseWriter, code, message string) {
	apierr.WriteHTTP(w, apierr.New(code, message))
}

// WriteHTTPRetry is WriteHTTPError with a Retry-After header: the
// request may work again after that many seconds.
func WriteHTTPRetry(w http.ResponseWriter, code, message string, afterSeconds int) {
	apierr.WriteHTTP(w, &apierr.Error{Code: code, Message: message, RetryAfter: max(afterSeconds, 1)})
}
