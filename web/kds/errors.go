package kds

import (
	"errors"
	"net/http"

	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/web/awswire"
)

// AWS error names this package sends.
const (
	errNotFound      = "ResourceNotFoundException"
	errInUse         = "ResourceInUseException"
	errInvalid       = "InvalidArgumentException"
	errLimit         = "LimitExceededException"
	errThroughput    = "ProvisionedThroughputExceededException"
	errExpiredIter   = "ExpiredIteratorException"
	errValidation    = "ValidationException"
	errUnavailable   = "ServiceUnavailable"
	errSerialization = "SerializationException"
	errUnknownOp     = "UnknownOperationException"
	errExpiredToken  = "ExpiredNextTokenException"
	errAccessDenied  = "AccessDeniedException"
	errInternal      = "InternalFailure"
	// errInternalFailureEvent is the name of the internal failure inside a
	// SubscribeToShard event stream (a member of its union, not an error).
	errInternalFailureEvent = "InternalFailureException"
)

// errorTable is the one mapping from failures to AWS error names and HTTP
// statuses. Rows with a kind translate the core's sentinels; rows without
// are raised by this package. It is read-only.
var errorTable = awswire.Table{
	{Kind: streams.ErrNotFound, Name: errNotFound, Status: http.StatusBadRequest},
	{Kind: streams.ErrInUse, Name: errInUse, Status: http.StatusBadRequest},
	{Kind: streams.ErrInvalidArgument, Name: errInvalid, Status: http.StatusBadRequest},
	{Kind: streams.ErrLimitExceeded, Name: errLimit, Status: http.StatusBadRequest},
	{Kind: streams.ErrThroughputExceeded, Name: errThroughput, Status: http.StatusBadRequest},
	{Kind: streams.ErrExpiredIterator, Name: errExpiredIter, Status: http.StatusBadRequest},
	{Kind: streams.ErrValidation, Name: errValidation, Status: http.StatusBadRequest},
	{Kind: streams.ErrUnavailable, Name: errUnavailable, Status: http.StatusServiceUnavailable},
	{Name: errSerialization, Status: http.StatusBadRequest},
	{Name: errUnknownOp, Status: http.StatusBadRequest},
	{Name: errExpiredToken, Status: http.StatusBadRequest},
	// A Coral JSON 1.1 service answers every client error with 400, access
	// denied included.
	{Name: errAccessDenied, Status: http.StatusBadRequest},
	{Name: errInternal, Status: http.StatusInternalServerError},
}

// apiError is a failure as it goes on the wire.
type apiError = awswire.Error

// newError builds an apiError whose status comes from errorTable.
func newError(name, format string, args ...any) *apiError {
	return errorTable.New(name, format, args...)
}

// toAPIError translates any error from an action: apiErrors pass through,
// core errors are mapped by kind with their message kept, anything else is
// an InternalFailure that does not leak its text.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	if ae, ok := deniedError(err); ok {
		return ae
	}
	var ce *streams.Error
	if errors.As(err, &ce) {
		for _, row := range errorTable {
			if row.Kind != nil && errors.Is(ce.Kind, row.Kind) {
				return &apiError{Name: row.Name, Status: row.Status, Msg: ce.Msg}
			}
		}
	}
	return newError(errInternal, "An internal error occurred; the request can be retried.")
}

// recordErrorCode is the ErrorCode of a failed PutRecords entry: AWS sends
// only these two.
func recordErrorCode(err error) string {
	if errors.Is(err, streams.ErrThroughputExceeded) {
		return errThroughput
	}
	return errInternal
}

// errorBody is the body of an error response, in either encoding.
type errorBody = awswire.Body
