package s3

import (
	"bytes"
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
// from one reused buffer is enough; what matters here, and is easy to see in
// 100 lines, is that every failure, cancellation included, aborts the upload
// (no orphaned parts billed or visible), and that the byte count is checked
// against the announced size before Complete makes the object visible.

// abortTimeout bounds the AbortMultipartUpload sent after a failure, which
// runs even when the caller's context is cancelled.
const abortTimeout = 30 * time.Second

// putMultipart uploads first, which fills a part, and then src as a
// multipart upload of len(first) byte parts. size is -1 or the exact total
// count (src is limited to size+1 bytes); the parts are read into first's
// array.
func (b *Bucket) putMultipart(ctx context.Context, key string, first []byte, src io.Reader, size int64) error {
	out, err := b.client.CreateMultipartUpload(ctx, &sdk.CreateMultipartUploadInput{
		Bucket: aws.String(b.cfg.Bucket),
		Key:    b.objectKey(key),
	})
	if err != nil {
		return wrap("put", key, err)
	}
	id := out.UploadId
	parts, err := b.uploadParts(ctx, key, id, first, src, size)
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

// uploadParts uploads buf, which is full, then reads src into buf part by
// part and uploads each, returning the parts for CompleteMultipartUpload.
func (b *Bucket) uploadParts(ctx context.Context, key string, id *string, buf []byte, src io.Reader, size int64) ([]types.CompletedPart, error) {
	partSize := len(buf)
	have := partSize // bytes already in buf
	var parts []types.CompletedPart
	var total int64
	for num := int32(1); ; num++ {
		n, rerr := io.ReadFull(src, buf[have:])
		n += have
		have = 0
		if rerr == io.EOF {
			if n == 0 {
				break
			}
			rerr = io.ErrUnexpectedEOF
		}
		if rerr != nil && rerr != io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("s3: put %q: reading: %w", key, rerr)
		}
		total += int64(n)
		if size >= 0 && total > size {
			return nil, fmt.Errorf("s3: put %q: %w", key, sizeError(size, total))
		}
		if num > maxParts {
			return nil, fmt.Errorf("s3: put %q: more than %d parts of %d bytes", key, maxParts, partSize)
		}
		out, err := b.client.UploadPart(ctx, &sdk.UploadPartInput{
			Bucket:        aws.String(b.cfg.Bucket),
			Key:           b.objectKey(key),
			UploadId:      id,
			PartNumber:    aws.Int32(num),
			Body:          bytes.NewReader(buf[:n]),
			ContentLength: aws.Int64(int64(n)),
		})
		if err != nil {
			return nil, wrap("put", key, err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(num), ETag: out.ETag})
		if rerr == io.ErrUnexpectedEOF {
			break
		}
	}
	if size >= 0 && total != size {
		return nil, fmt.Errorf("s3: put %q: %w", key, sizeError(size, total))
	}
	return parts, nil
}
