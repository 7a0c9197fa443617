package kvs

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/streams"
)

// AWS error names this package sends. The statuses are the API models'.
const (
	errNotFound     = "ResourceNotFoundException"
	errInUse        = "ResourceInUseException"
	errInvalid      = "InvalidArgumentException"
	errVersion      = "VersionMismatchException"
	errAccountLimit = "AccountStreamLimitExceededException"
	errClientLimit  = "ClientLimitExceededException"
	errTagLimit     = "TagsPerResourceExceededLimitException"
	errUnknownOp    = "UnknownOperationException"
	errMethod       = "MethodNotAllowedException"
	errInternal     = "InternalFailure"
)

// errorTable is the one mapping from failures to AWS error names and HTTP
// statuses. Rows with a kind translate the sentinels of the registry
// (streams, fragments); rows without are raised by this package. The first
// row whose kind matches wins. It is read-only.
var errorTable = []struct {
	kind   error
	name   string
	status int
}{
	{fragments.ErrVersionMismatch, errVersion, http.StatusBadRequest},
	{fragments.ErrNotFound, errNotFound, http.StatusNotFound},
	{streams.ErrNotFound, errNotFound, http.StatusNotFound},
	{streams.ErrInUse, errInUse, http.StatusBadRequest},
	{streams.ErrInvalidArgument, errInvalid, http.StatusBadRequest},
	{streams.ErrValidation, errInvalid, http.StatusBadRequest},
	// The only registry limit a video stream can hit is the core's shard
	// limit: one shard per video stream, so it is the stream count.
	{streams.ErrLimitExceeded, errAccountLimit, http.StatusBadRequest},
	{streams.ErrThroughputExceeded, errClientLimit, http.StatusBadRequest},
	{streams.ErrUnavailable, errInternal, http.StatusInternalServerError},
	{nil, errTagLimit, http.StatusBadRequest},
	{nil, errMissingCodecPrivateData, http.StatusBadRequest},
	{nil, errUnsupportedMediaType, http.StatusBadRequest},
	{nil, errInvalidMediaFrame, http.StatusBadRequest},
	{nil, errNoDataRetention, http.StatusBadRequest},
	{nil, errUnknownOp, http.StatusNotFound},
	{nil, errMethod, http.StatusMethodNotAllowed},
	{nil, errInternal, http.StatusInternalServerError},
}

// apiError is a failure as it goes on the wire.
type apiError struct {
	Name   string // x-amzn-ErrorType and __type, e.g. ResourceNotFoundException
	Status int
	Msg    string
}

func (e *apiError) Error() string { return e.Name + ": " + e.Msg }

// newError builds an apiError whose status comes from errorTable.
func newError(name, format string, args ...any) *apiError {
	status := http.StatusInternalServerError
	for _, row := range errorTable {
		if row.name == name {
			status = row.status
			break
		}
	}
	return &apiError{Name: name, Status: status, Msg: fmt.Sprintf(format, args...)}
}

// toAPIError translates an operation's error. apiErrors pass through;
// errors of a kind in errorTable keep their message (a *streams.Error's
// Msg, or the text after the sentinel's own "kind: " prefix); anything else
// is an InternalFailure whose text is not sent (the caller logs it).
func toAPIError(err error) *apiError {
	if ae, ok := errors.AsType[*apiError](err); ok {
		return ae
	}
	for _, row := range errorTable {
		if row.kind == nil || !errors.Is(err, row.kind) {
			continue
		}
		if row.status >= 500 {
			break
		}
		msg := err.Error()
		if ce, ok := errors.AsType[*streams.Error](err); ok {
			msg = ce.Msg
		} else {
			msg = strings.TrimPrefix(msg, row.kind.Error()+": ")
		}
		return &apiError{Name: row.name, Status: row.status, Msg: msg}
	}
	return newError(errInternal, msgInternal)
}

// msgInternal is the message of an InternalFailure: the cause is logged,
// not sent.
const msgInternal = "An internal error occurred; the request can be retried."

// errorBody is the body of an error response. The Go SDK reads the name
// from x-amzn-ErrorType (or __type), botocore from x-amzn-ErrorType or
// __type / code; both read "message".
type errorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}
