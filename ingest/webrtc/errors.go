package webrtc

import (
	"errors"
	"fmt"
	"net/http"
)

var (
	errClosed = errors.New("the server is shutting down")
	errFull   = errors.New("too many WebRTC sessions")
)

// httpError is an error with the HTTP status it is answered with. Its
// message is shown to the client: it never holds internals.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func httpErr(status int, format string, args ...any) error {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

// statusOf maps an error to its HTTP status and the message the client
// sees: httpError as given, server states to 503, anything else to 500
// with a generic message (the details go to the log).
func statusOf(err error) (int, string) {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.status, he.msg
	case errors.Is(err, errClosed), errors.Is(err, errFull):
		return http.StatusServiceUnavailable, err.Error()
	}
	return http.StatusInternalServerError, "internal error (see the server log)"
}
