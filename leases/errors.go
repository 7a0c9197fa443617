package leases

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrHeld is matched (errors.Is) by a *HeldError: Claim found the lease
	// held by a live holder.
	ErrHeld = errors.New("leases: held")
	// ErrClosed is returned by Claim, Watch and NewAssigner after Close.
	ErrClosed = errors.New("leases: table closed")
	// ErrInvalidKey is returned by Claim for a key that ValidKey refuses.
	ErrInvalidKey = errors.New("leases: invalid key")
)

// HeldError is Claim's answer when another holder has the lease: another
// node, or this Table itself (Owner is then this node's name). It matches
// ErrHeld.
type HeldError struct {
	Key string
	// Owner is the holder's node name; "" when the holder could not be
	// read (the claim lost a compare-and-set, but a lagging replica still
	// answered that the key was free).
	Owner string
	// Expires is when the server lets the lease go unless the holder renews
	// it: the server's time of the last renewal plus the holder's TTL.
	// Informational (clocks differ); watch for the release instead.
	Expires time.Time
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("leases: %s is held by %s (until %s unless renewed)", e.Key, e.Owner, e.Expires.Format(time.RFC3339Nano))
}

// Is makes errors.Is(err, ErrHeld) true.
func (e *HeldError) Is(target error) bool { return target == ErrHeld }
