package kvs

import (
	"errors"
	"net/http"
	"strings"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/web/awswire"
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
var errorTable = awswire.Table{
	{Kind: fragments.ErrVersionMismatch, Name: errVersion, Status: http.StatusBadRequest},
	{Kind: fragments.ErrNotFound, Name: errNotFound, Status: http.StatusNotFound},
	{Kind: streams.ErrNotFound, Name: errNotFound, Status: http.StatusNotFound},
	{Kind: streams.ErrInUse, Name: errInUse, Status: http.StatusBadRequest},
	{Kind: streams.ErrInvalidArgument, Name: errInvalid, Status: http.StatusBadRequest},
	{Kind: streams.ErrValidation, Name: errInvalid, Status: http.StatusBadRequest},
	// The only registry limit a video stream can hit is the core's shard
	// limit: one shard per video stream, so it is the stream count.
	{Kind: streams.ErrLimitExceeded, Name: errAccountLimit, Status: http.StatusBadRequest},
	{Kind: streams.ErrThroughputExceeded, Name: errClientLimit, Status: http.StatusBadRequest},
	{Kind: streams.ErrUnavailable, Name: errInternal, Status: http.StatusInternalServerError},
	{Name: errTagLimit, Status: http.StatusBadRequest},
	{Name: errMissingCodecPrivateData, Status: http.StatusBadRequest},
	{Name: errUnsupportedMediaType, Status: http.StatusBadRequest},
	{Name: errInvalidMediaFrame, Status: http.StatusBadRequest},
	{Name: errNoDataRetention, Status: http.StatusBadRequest},
	{Name: errUnknownOp, Status: http.StatusNotFound},
	{Name: errMethod, Status: http.StatusMethodNotAllowed},
	{Name: errInternal, Status: http.StatusInternalServerError},
}

// apiError is a failure as it goes on the wire.
type apiError = awswire.Error

// newError builds an apiError whose status comes from errorTable.
func newError(name, format string, args ...any) *apiError {
	return errorTable.New(name, format, args...)
}

// toAPIError translates an operation's error. apiErrors pass through;
// errors of a kind in errorTable keep their message (a *streams.Error's
// Msg, or the text after the sentinel's own "kind: " prefix); anything else
// is an InternalFailure whose text is not sent (the caller logs it).
func toAPIError(err error) *apiError {
	if ae, ok := errors.AsType[*apiError](err); ok {
		return ae
	}
	if ae, ok := deniedError(err); ok {
		return ae
	}
	for _, row := range errorTable {
		if row.Kind == nil || !errors.Is(err, row.Kind) {
			continue
		}
		if row.Status >= 500 {
			break
		}
		msg := err.Error()
		if ce, ok := errors.AsType[*streams.Error](err); ok {
			msg = ce.Msg
		} else {
			msg = strings.TrimPrefix(msg, row.Kind.Error()+": ")
		}
		return &apiError{Name: row.Name, Status: row.Status, Msg: msg}
	}
	return newError(errInternal, msgInternal)
}

// msgInternal is the message of an InternalFailure: the cause is logged,
// not sent.
const msgInternal = "An internal error occurred; the request can be retried."

// errorBody is the body of an error response.
type errorBody = awswire.Body
