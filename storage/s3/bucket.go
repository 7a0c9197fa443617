package s3

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sluice-dev/sluice/storage"
)

var _ storage.Bucket = (*Bucket)(nil)

// Bucket is a storage.Bucket on an S3 bucket. Create it with New.
type Bucket struct {
	cfg    Config
	prefix string // cfg.Prefix + "/", or ""
	client *sdk.Client
	idle   idleCloser // nil if the SDK's client is not the usual one
	closed atomic.Bool
}

type idleCloser interface{ CloseIdleConnections() }

// New validates cfg and returns a Bucket for it. It reads the AWS shared
// configuration and environment when cfg has no static credentials, but
// makes no request: a missing bucket or wrong credentials show up on the
// first call.
func New(ctx context.Context, cfg Config) (*Bucket, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(cfg.Region),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = cfg.MaxRetries + 1
			})
		}),
	}
	if cfg.AccessKeyID != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3: loading AWS configuration: %w", err)
	}
	// Keep the SDK's HTTP client, which honours AWS_CA_BUNDLE and friends,
	// but freeze it to a plain *http.Client so that Close can drop its idle
	// connections.
	var idle idleCloser
	if bc, ok := awsCfg.HTTPClient.(*awshttp.BuildableClient); ok {
		frozen := bc.WithTransportOptions(func(tr *http.Transport) { tr.MaxIdleConnsPerHost = 32 }).Freeze()
		awsCfg.HTTPClient = frozen
		idle, _ = frozen.(idleCloser)
	}
	client := sdk.NewFromConfig(awsCfg, func(o *sdk.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
		// Flexible checksums (CRC32 headers and trailers, checksum-mode
		// reads) only where an operation requires them: many S3-compatible
		// services reject or mishandle them, in multipart uploads above all.
		// Integrity does not suffer: over plain HTTP SigV4 signs the
		// payload's SHA-256, over HTTPS TLS protects it.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	b := &Bucket{cfg: cfg, client: client, idle: idle}
	if cfg.Prefix != "" {
		b.prefix = cfg.Prefix + "/"
	}
	return b, nil
}

// Close marks the bucket closed and drops idle connections. Later calls
// return an error wrapping storage.ErrClosed; calling Close again returns
// nil. Calls in flight are not interrupted.
func (b *Bucket) Close() error {
	if !b.closed.Swap(true) && b.idle != nil {
		b.idle.CloseIdleConnections()
	}
	return nil
}

// objectKey maps a storage key to the S3 object key.
func (b *Bucket) objectKey(key string) *string {
	return aws.String(b.prefix + key)
}

// check is the common preamble of the methods taking a key.
func (b *Bucket) check(ctx context.Context, op, key string) error {
	if b.closed.Load() {
		return fmt.Errorf("s3: %s %q: %w", op, key, storage.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3: %s %q: %w", op, key, err)
	}
	if err := storage.ValidKey(key); err != nil {
		return fmt.Errorf("s3: %s: %w", op, err)
	}
	return nil
}
