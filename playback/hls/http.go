package hls

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// Content types of what the server sends.
const (
	typePlaylist = "application/vnd.apple.mpegurl"
	typeMP4      = "video/mp4"
	typeTS       = "video/mp2t"
	// TypeDASH is the content type of an MPD.
	TypeDASH = "application/dash+xml"
)

// Cache-Control values: playlists change with every fragment; media is
// immutable under its URL.
const (
	cachePlaylist = "no-cache"
	cacheMedia    = "max-age=3600"
)

// Error is a failure with the HTTP status it is answered with.
type Error struct {
	Status int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

func errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Msg: fmt.Sprintf(format, args...)}
}

// Write sends a response body with its content type and caching.
func Write(w http.ResponseWriter, contentType, cache string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", cache)
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// WriteError answers err: an *Error with its status, ErrNotFound with 404,
// a cancelled request not at all, anything else with 500 (logged by the
// caller; its text is not sent).
func WriteError(w http.ResponseWriter, r *http.Request, err error) (status int) {
	if r.Context().Err() != nil && errors.Is(err, context.Canceled) {
		return 0
	}
	status, msg := http.StatusInternalServerError, "internal error; the request can be retried"
	var he *Error
	switch {
	case errors.As(err, &he):
		status, msg = he.Status, he.Msg
	case errors.Is(err, ErrNotFound):
		status, msg = http.StatusNotFound, err.Error()
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(status)
	_, _ = fmt.Fprintln(w, msg)
	return status
}

// Fail answers err (see WriteError) and logs it when it is the server's
// fault.
func (s *Server) Fail(w http.ResponseWriter, r *http.Request, err error) {
	if WriteError(w, r, err) >= 500 {
		// the route, not the path: a path may carry a token (/t/<token>/)
		s.log.Error("serving HLS", "route", r.Pattern, "stream", r.PathValue("stream"), "err", err)
	}
}
