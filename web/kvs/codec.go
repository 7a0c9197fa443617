package kvs

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
)

// decode reads the JSON request body into v (a pointer to an input
// struct), whatever the Content-Type says, and authorizes the caller for
// the streams it names (see authorize.go). An empty body is an input with
// no members. Unknown members are ignored, as AWS does for members
// of newer model versions. Malformed JSON, a member of the wrong JSON type
// and an oversized body are InvalidArgumentException (400), with a message
// that says which.
func (h *Handler) decode(ex *exchange, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(ex.w, ex.r.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		if tooBig, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return newError(errInvalid, "The request body exceeds the limit of %d bytes.", tooBig.Limit)
		}
		return newError(errInvalid, "Reading the request body failed: %v.", err)
	}
	if len(bytes.TrimSpace(body)) != 0 {
		if err := json.Unmarshal(body, v); err != nil {
			return decodeError(err)
		}
	}
	return h.authorize(ex.r.Context(), ex, v)
}

// decodeError explains why a body did not decode.
func decodeError(err error) error {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return newError(errInvalid, "The request body is not valid JSON: %v (at byte %d).", se, se.Offset)
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		where := "the request body"
		if te.Field != "" {
			where = "member " + te.Field
		}
		return newError(errInvalid, "Cannot read %s: expected %s, got a JSON %s.", where, jsonKind(te.Type), te.Value)
	}
	return newError(errInvalid, "Cannot read the request body: %v.", err)
}

// jsonKind names the JSON value that a Go type is decoded from.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case reflect.TypeFor[epochTime]():
		return "a timestamp (a number of epoch seconds)"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer within " + strconv.Itoa(t.Bits()) + "-bit range"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "a " + t.String()
}

// writeJSON sends v as the JSON response body with the given status.
func (h *Handler) writeJSON(ex *exchange, status int, v any) {
	var (
		b   []byte
		err error
	)
	if a, ok := v.(jsonAppender); ok {
		b = a.appendJSON(nil)
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		h.log.Error("encoding response", "request_id", ex.id, "operation", ex.op, "err", err)
		status = http.StatusInternalServerError
		ex.w.Header().Set("x-amzn-ErrorType", errInternal)
		b, _ = json.Marshal(errorBody{Type: errInternal, Message: msgInternal})
	}
	if status < 300 && !ex.authorized {
		h.log.Error("refusing an answer", "request_id", ex.id, "operation", ex.op, "err", errUnauthorizedAnswer)
		status = http.StatusInternalServerError
		ex.w.Header().Set("x-amzn-ErrorType", errInternal)
		b, _ = json.Marshal(errorBody{Type: errInternal, Message: msgInternal})
	}
	hdr := ex.w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Content-Length", strconv.Itoa(len(b)))
	ex.wrote = true
	ex.w.WriteHeader(status)
	_, _ = ex.w.Write(b)
}
