package s3

import (
	"context"
	"fmt"
	"io"
	"math"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sluice-dev/sluice/storage"
)

// Get implements storage.Bucket. The returned reader fails once ctx is done.
func (b *Bucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	return b.GetRange(ctx, key, 0, -1)
}

// GetRange implements storage.Bucket with one ranged GetObject. S3 answers a
// range starting at or past the end with InvalidRange (416), which, the key
// existing, is the empty read that the contract promises; a zero length is
// checked with HeadObject, since HTTP ranges cannot express it.
func (b *Bucket) GetRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	if err := b.check(ctx, "get", key); err != nil {
		return nil, err
	}
	if off < 0 || length < -1 {
		return nil, fmt.Errorf("s3: get %q: invalid range offset %d length %d", key, off, length)
	}
	if length == 0 {
		if _, err := b.Attributes(ctx, key); err != nil {
			return nil, err
		}
		return io.NopCloser(eofReader{}), nil
	}
	in := &sdk.GetObjectInput{Bucket: aws.String(b.cfg.Bucket), Key: b.objectKey(key)}
	switch {
	case length == -1 || length > math.MaxInt64-off:
		if off > 0 {
			in.Range = aws.String(fmt.Sprintf("bytes=%d-", off))
		}
	default:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", off, off+length-1))
	}
	out, err := b.client.GetObject(ctx, in)
	if err != nil {
		if apiCode(err) == "InvalidRange" {
			return io.NopCloser(eofReader{}), nil
		}
		return nil, wrap("get", key, err)
	}
	return storage.ContextReadCloser(ctx, out.Body, out.Body), nil
}

// Attributes implements storage.Bucket with HeadObject.
func (b *Bucket) Attributes(ctx context.Context, key string) (storage.ObjectInfo, error) {
	if err := b.check(ctx, "attributes", key); err != nil {
		return storage.ObjectInfo{}, err
	}
	out, err := b.client.HeadObject(ctx, &sdk.HeadObjectInput{Bucket: aws.String(b.cfg.Bucket), Key: b.objectKey(key)})
	if err != nil {
		return storage.ObjectInfo{}, wrap("attributes", key, err)
	}
	return storage.ObjectInfo{
		Key:          key,
		Size:         aws.ToInt64(out.ContentLength),
		LastModified: aws.ToTime(out.LastModified),
	}, nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
