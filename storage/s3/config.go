package s3

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/sluice-dev/sluice/storage"
)

// Part size limits of S3 multipart uploads.
const (
	MinPartSize     = 5 << 20
	MaxPartSize     = 5 << 30
	DefaultPartSize = 8 << 20
	maxParts        = 10_000
)

// DefaultMaxRetries is the number of retries when Config.MaxRetries is 0.
const DefaultMaxRetries = 4

// Config configures a Bucket. The zero value is invalid only for lack of a
// Bucket name: with Bucket set, it talks to AWS S3 in us-east-1 with the
// standard AWS credential chain.
type Config struct {
	// Bucket is the S3 bucket's name. Required. The bucket must exist.
	Bucket string
	// Prefix, if not empty, is prepended with a '/' to every key, so that
	// several archives can share a bucket. Leading and trailing '/' are
	// ignored; the rest must be a valid storage key.
	Prefix string
	// Endpoint is the service's base URL ("http://127.0.0.1:7070"). Empty
	// means AWS S3's own endpoint for Region.
	Endpoint string
	// Region is the signing region. Default "us-east-1".
	Region string
	// PathStyle addresses buckets as <endpoint>/<bucket> instead of
	// <bucket>.<endpoint>; most self-hosted services need it.
	PathStyle bool
	// AccessKeyID and SecretAccessKey are static credentials. Both empty
	// means the standard AWS chain (environment, shared config files, web
	// identity, instance roles); setting only one is an error.
	AccessKeyID     string
	SecretAccessKey string
	// PartSize is the size of multipart upload parts, and the largest
	// object sent in one PutObject. Default DefaultPartSize; at least
	// MinPartSize, at most MaxPartSize. For a Put of known size it grows as
	// needed to stay within S3's 10,000 parts. A Put of known size from an
	// io.ReaderAt and io.Seeker (a file) sends its parts straight from the
	// reader; any other Put buffers up to one part in memory.
	PartSize int64
	// MaxRetries is how often a failed request is retried (throttling,
	// 5xx, network errors), with exponential backoff and jitter up to 20 s.
	// 0 means DefaultMaxRetries; negative means no retries.
	MaxRetries int
}

// withDefaults returns c with defaults filled in and Prefix trimmed.
func (c Config) withDefaults() Config {
	c.Prefix = strings.Trim(c.Prefix, "/")
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.PartSize == 0 {
		c.PartSize = DefaultPartSize
	}
	switch {
	case c.MaxRetries == 0:
		c.MaxRetries = DefaultMaxRetries
	case c.MaxRetries < 0:
		c.MaxRetries = 0
	}
	return c
}

// Validate reports every invalid field of c at once, each error naming its
// field, or nil.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("s3: config %s: "+format, append([]any{field}, args...)...))
	}
	if c.Bucket == "" {
		bad("Bucket", "is required")
	} else if strings.ContainsAny(c.Bucket, "/?#\\ ") {
		bad("Bucket", "%q is not a bucket name", c.Bucket)
	}
	if p := strings.Trim(c.Prefix, "/"); p != "" {
		if err := storage.ValidKey(p); err != nil {
			bad("Prefix", "%v", err)
		}
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		switch {
		case err != nil:
			bad("Endpoint", "%v", err)
		case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
			bad("Endpoint", "%q is not an http:// or https:// URL", c.Endpoint)
		}
	}
	if (c.AccessKeyID == "") != (c.SecretAccessKey == "") {
		bad("AccessKeyID", "and SecretAccessKey must be set together")
	}
	if c.PartSize != 0 && (c.PartSize < MinPartSize || c.PartSize > MaxPartSize) {
		bad("PartSize", "%d is outside [%d, %d]", c.PartSize, MinPartSize, MaxPartSize)
	}
	return errors.Join(errs...)
}
