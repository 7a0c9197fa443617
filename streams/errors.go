package streams

import (
	"errors"
	"fmt"
)

// Sentinel kinds of failure. Every error returned by Core wraps exactly one of
// them (test with errors.Is); the web edge maps each kind to one AWS error name
// in a single table, and uses Error.Msg as the message.
var (
	// ErrNotFound: the stream, shard or consumer does not exist, or the stream
	// is not in a state where it can be read or written (CREATING, DELETING).
	ErrNotFound = errors.New("resource not found")
	// ErrInUse: the resource is in a state that does not allow the call
	// (e.g. SplitShard while UPDATING, CreateStream for an existing name,
	// a second subscription of one consumer to one shard).
	ErrInUse = errors.New("resource in use")
	// ErrInvalidArgument: a value is well formed but not acceptable in
	// context (a hash key outside the shard, a sequence number of another
	// shard, a retention decrease that increases, a tampered iterator).
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrLimitExceeded: an account-level limit (shard count, consumers, tags,
	// on-demand streams) would be exceeded.
	ErrLimitExceeded = errors.New("limit exceeded")
	// ErrThroughputExceeded: a per-shard read or write rate limit was hit.
	ErrThroughputExceeded = errors.New("provisioned throughput exceeded")
	// ErrExpiredIterator: the shard iterator is older than Config.IteratorTTL.
	ErrExpiredIterator = errors.New("expired iterator")
	// ErrValidation: the request violates a constraint that AWS reports as
	// ValidationException rather than InvalidArgumentException.
	ErrValidation = errors.New("validation")
	// ErrUnavailable: the underlying JetStream could not serve the call;
	// retrying later may succeed.
	ErrUnavailable = errors.New("stream core unavailable")
	// ErrFenced: a PutFenced found records past the sequence it expected:
	// another writer appended meanwhile. Never returned by the AWS APIs'
	// calls.
	ErrFenced = errors.New("fenced")
)

// Error carries one of the sentinel kinds above and the message that AWS
// would send for it.
type Error struct {
	Kind error
	Msg  string
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Kind }

func errf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

func isKind(err, kind error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == kind
}
