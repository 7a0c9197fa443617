package s3

import (
	"errors"
	"fmt"

	"github.com/aws/smithy-go"

	"github.com/sluice-dev/sluice/storage"
)

// apiCode returns the S3 error code in err's chain ("NoSuchKey", ...), or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// wrap annotates an SDK error with the operation and key, turning S3's
// not-found codes into storage.ErrNotFound. HEAD responses have no body, so
// their 404 arrives as code "NotFound".
func wrap(op, key string, err error) error {
	switch apiCode(err) {
	case "NoSuchKey", "NotFound":
		return fmt.Errorf("s3: %s %q: %w", op, key, storage.ErrNotFound)
	}
	return fmt.Errorf("s3: %s %q: %w", op, key, err)
}
