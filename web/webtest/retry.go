// Package webtest has helpers for tests that drive Sluice's HTTP APIs with
// AWS SDK clients.
package webtest

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Retryer retries a call only when the client's own HTTP transport closed
// the connection under it (net.ErrClosed: a race in Go's HTTP client that
// shows under load, aws/aws-sdk-go-v2#2737, which the SDK's standard
// retryer also retries). API errors are never retried, so tests see every
// AWS error the server sends.
func Retryer() aws.Retryer { return closedConnRetryer{} }

type closedConnRetryer struct{}

func (closedConnRetryer) IsErrorRetryable(err error) bool { return errors.Is(err, net.ErrClosed) }
func (closedConnRetryer) MaxAttempts() int                { return 3 }
func (closedConnRetryer) RetryDelay(int, error) (time.Duration, error) {
	return 10 * time.Millisecond, nil
}
func (closedConnRetryer) GetRetryToken(context.Context, error) (func(error) error, error) {
	return func(error) error { return nil }, nil
}
func (closedConnRetryer) GetInitialToken() func(error) error { return func(error) error { return nil } }
