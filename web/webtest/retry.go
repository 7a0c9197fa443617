// Package webtest has helpers for tests that drive Sluice's HTTP APIs with
// AWS SDK clients.
package webtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
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

// StableBodies wraps hc's transport so that each request's body is read
// into memory before the request is sent, and the transport sends its own
// copy. The SDK closes a request's body once the response has come; with
// Go's HTTP/1.1 transport still finishing the body's write (it waits for
// the body's EOF), that close makes the write fail and the transport
// close the connection under the response being read: "use of closed
// network connection" (aws/aws-sdk-go-v2#2737). An ordinary call can be
// retried (Retryer), a SubscribeToShard event stream cannot: it dies
// after the call returned.
func StableBodies(hc *http.Client) *http.Client {
	c := *hc
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = stableBodies{rt}
	return &c
}

type stableBodies struct{ rt http.RoundTripper }

func (s stableBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return s.rt.RoundTrip(r)
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r = r.Clone(r.Context())
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	r.ContentLength = int64(len(b))
	return s.rt.RoundTrip(r)
}
