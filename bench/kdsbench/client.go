package main

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go"
)

// clients are the two SDK clients of a run. They share one keep-alive HTTP
// connection pool sized for every goroutine that may call at once.
type clients struct {
	// data makes no retries, so throttling and errors show as failures in
	// the figures instead of as client-side sleeps. Used by the load loops.
	data *kinesis.Client
	// control retries (standard retryer, client-side rate limiting off).
	// Used for stream setup, iterators and consumer registration.
	control *kinesis.Client

	// For the raw SubscribeToShard reader (subscribe_raw.go).
	http     *awshttp.BuildableClient
	endpoint string
	creds    aws.CredentialsProvider
}

// newClients builds the clients for endpoint; conns is the number of
// connections that may be busy at once.
func newClients(endpoint string, conns int) *clients {
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = conns
		t.MaxIdleConnsPerHost = conns
		t.IdleConnTimeout = 90 * time.Second
		t.DisableCompression = true
	})
	base := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDKDSBENCH", "kdsbench-secret", ""),
		HTTPClient:  httpClient,
	}
	withEndpoint := func(o *kinesis.Options) { o.BaseEndpoint = aws.String(endpoint) }

	data := base.Copy()
	data.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	control := base.Copy()
	control.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.RateLimiter = ratelimit.None
			o.MaxAttempts = 5
		})
	}
	return &clients{
		data:     kinesis.NewFromConfig(data, withEndpoint),
		control:  kinesis.NewFromConfig(control, withEndpoint),
		http:     httpClient,
		endpoint: endpoint,
		creds:    base.Credentials,
	}
}

// errorCode names an error for tallies: the AWS error code when the server
// sent one, else a coarse transport class.
func errorCode(err error) string {
	var ae smithy.APIError
	switch {
	case errors.As(err, &ae):
		return ae.ErrorCode()
	case errors.Is(err, context.DeadlineExceeded):
		return "DeadlineExceeded"
	case errors.Is(err, context.Canceled):
		return "Canceled"
	default:
		return "transport"
	}
}

// isThrottle reports whether err is a Kinesis throttling error.
func isThrottle(err error) bool {
	switch errorCode(err) {
	case "ProvisionedThroughputExceededException", "LimitExceededException", "ThrottlingException":
		return true
	}
	return false
}
