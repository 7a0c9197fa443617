package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// This small uploader stands in for feature/s3/manager (deprecated) and
// feature/s3/transfermanager (a separate, pre-1.0 module with its own
// release churn). Fragments are a few MiB, so uploading parts one at a time
// is enough; what matters here, and is easy to see in 100 lines, is that
// every failure, cancellation included, aborts the upload (no orphaned
// parts billed or visible), and that the byte count is checked against the
// announced size before Complete makes the object visible.

// abortTimeout bounds the AbortMultipartUpload sent after a failure, which
// runs even when the caller's context is cancelled.
const abortTimeout = 30 * time.Second

// partSource yields the parts of a multipart upload in order: sectionParts
// cuts them from an io.ReaderAt, bufferParts reads them into one buffer.
type partSource interface {
	// next returns the next part's body and length, or io.EOF after the
	// last part. The body is valid until the following call. An error
	// (a reader's, a size mismatch) fails the upload.
	next() (body io.ReadSeeker, n int64, err error)
}

// putMultipart uploads the parts of src as one object, or aborts the
// upload on any failure, a cancelled ctx included.
func (b *Bucket) putMultipart(ctx context.Context, key string, src partSource) error {
	out, err := b.client.CreateMultipartUpload(ctx, &sdk.CreateMultipartUploadInput{
		Bucket: aws.String(b.cfg.Bucket),
		Key:    b.objectKey(key),
	})
	if err != nil {
		return wrap("put", key, err)
	}
	id := out.UploadId
	parts, err := b.uploadParts(ctx, key, id, src)
	if err == nil {
		_, err = b.client.CompleteMultipartUpload(ctx, &sdk.CompleteMultipartUploadInput{
			Bucket:          aws.String(b.cfg.Bucket),
			Key:             b.objectKey(key),
			UploadId:        id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		})
		if err != nil {
			err = wrap("put", key, err)
		}
	}
	if err != nil {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
		defer cancel()
		_, aerr := b.client.AbortMultipartUpload(actx, &sdk.AbortMultipartUploadInput{
			Bucket:   aws.String(b.cfg.Bucket),
			Key:      b.objectKey(key),
			UploadId: id,
		})
		if aerr != nil {
			err = errors.Join(err, wrap("abort multipart upload", key, aerr))
		}
		return err
	}
	return nil
}

// uploadParts uploads the parts of src one at a time, returning them for
// CompleteMultipartUpload.
func (b *Bucket) uploadParts(ctx context.Context, key string, id *string, src partSource) ([]types.CompletedPart, error) {
	var parts []types.CompletedPart
	var partSize int64
	for num := int32(1); ; num++ {
		body, n, err := src.next()
		if err == io.EOF {
			return parts, nil
		}
		if err != nil {
			return nil, fmt.Errorf("s3: put %q: %w", key, err)
		}
		if num == 1 {
			partSize = n
		}
		if num > maxParts {
			return nil, fmt.Errorf("s3: put %q: more than %d parts of %d bytes", key, maxParts, partSize)
		}
		out, err := b.client.UploadPart(ctx, &sdk.UploadPartInput{
			Bucket:        aws.String(b.cfg.Bucket),
			Key:           b.objectKey(key),
			UploadId:      id,
			PartNumber:    aws.Int32(num),
			Body:          body,
			ContentLength: aws.Int64(n),
		})
		if err != nil {
			return nil, wrap("put", key, err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(num), ETag: out.ETag})
	}
}
