package kds

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/sluice-dev/sluice/streams"
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
)

// errorTable is the one mapping from failures to AWS error names and HTTP
// statuses. Rows with a kind translate the core's sentinels; rows without
// are raised by this package. It is read-only.
var errorTable = []struct {
	kind   error
	name   string
	status int
}{
	{streams.ErrNotFound, errNotFound, http.StatusBadRequest},
	{streams.ErrInUse, errInUse, http.StatusBadRequest},
	{streams.ErrInvalidArgument, errInvalid, http.StatusBadRequest},
	{streams.ErrLimitExceeded, errLimit, http.StatusBadRequest},
	{streams.ErrThroughputExceeded, errThroughput, http.StatusBadRequest},
	{streams.ErrExpiredIterator, errExpiredIter, http.StatusBadRequest},
	{streams.ErrValidation, errValidation, http.StatusBadRequest},
	{streams.ErrUnavailable, errUnavailable, http.StatusServiceUnavailable},
	{nil, errSerialization, http.StatusBadRequest},
	{nil, errUnknownOp, http.StatusBadRequest},
	{nil, errExpiredToken, http.StatusBadRequest},
	{nil, errAccessDenied, http.StatusForbidden},
	{nil, errInternal, http.StatusInternalServerError},
}

// apiError is a failure as it goes on the wire.
type apiError struct {
	Name   string // the "__type", e.g. ResourceNotFoundException
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

// toAPIError translates any error from an action: apiErrors pass through,
// core errors are mapped by kind with their message kept, anything else is
// an InternalFailure that does not leak its text.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var ce *streams.Error
	if errors.As(err, &ce) {
		for _, row := range errorTable {
			if row.kind != nil && errors.Is(ce.Kind, row.kind) {
				return &apiError{Name: row.name, Status: row.status, Msg: ce.Msg}
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
type errorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}
