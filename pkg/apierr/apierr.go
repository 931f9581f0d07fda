// Package apierr is the one error type a client sees and the one table of
// its codes: every package that refuses a client's input returns an
// *Error (or an error that wraps one), and every transport turns it into
// its answer through the same writer (WriteHTTP for HTTP; the other
// transports send the Error itself as their error message).
package apierr

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// Error is a refusal with a stable code, a message for people and, where
// it applies, the setting at fault and when to try again. Its JSON shape is
// the error body of every transport: {code, message, field?}.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"` // bad_config, bad_effects: the setting at fault
	// Status is the HTTP status; 0: the code's own (StatusOf). Only the
	// alternates the protocol documents may be set here.
	Status int `json:"-"`
	// RetryAfter is in seconds (the Retry-After header); 0: none.
	RetryAfter int `json:"-"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Code + ": " + e.Field + ": " + e.Message
	}
	return e.Code + ": " + e.Message
}

// HTTPStatus is the status an HTTP answer with e has.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	return StatusOf(e.Code)
}

// New is an Error with code's own status.
func New(code, message string) *Error { return &Error{Code: code, Message: message} }

// fielder is an error that names the setting at fault (effects.FieldError).
type fielder interface {
	error
	ErrorField() string
	ErrorMessage() string
}

// From finds the *Error in err's chain. An error that names a field
// becomes an Error of code with that field; anything else is code's
// Error with err's text, or internal when code is empty.
func From(err error, code string) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if code == "" {
		code = CodeInternal
	}
	var f fielder
	if errors.As(err, &f) {
		return &Error{Code: code, Field: f.ErrorField(), Message: f.ErrorMessage()}
	}
	return &Error{Code: code, Message: err.Error()}
}

// HTTPReply is the JSON body of every HTTP error answer.
type HTTPReply struct {
	Error *Error `json:"error"`
}

// WriteHTTP is the one writer of HTTP error answers: err's status (its
// *Error's, or 500 internal), Retry-After when it has one, and the JSON
// body {"error": {code, message, field?}}.
func WriteHTTP(w http.ResponseWriter, err error) {
	e := From(err, CodeInternal)
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Del("Content-Length")
	w.WriteHeader(e.HTTPStatus())
	json.NewEncoder(w).Encode(HTTPReply{Error: e})
}

// Clip shortens text a client sent, for quoting it in a message or a log
// line: at most n bytes, cut at a character boundary, with "…" after a
// cut. Untrusted text is never quoted whole.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
