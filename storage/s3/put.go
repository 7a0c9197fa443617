package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sluice-dev/sluice/storage"
)

// Put implements storage.Bucket. Up to one part (Config.PartSize, grown for
// very large known sizes) is read into memory; if r ends within it, the
// object goes out in one PutObject, otherwise as a multipart upload. ctx is
// checked between reads of r.
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := b.check(ctx, "put", key); err != nil {
		return err
	}
	if size < -1 {
		return fmt.Errorf("s3: put %q: negative size %d", key, size)
	}
	partSize := b.cfg.PartSize
	src := storage.ContextReader(ctx, r)
	if size >= 0 {
		// One byte more than announced, to notice a longer body.
		src = io.LimitReader(src, size+1)
		partSize = max(partSize, (size+maxParts-1)/maxParts)
	}
	hint := partSize + 1
	if size >= 0 {
		hint = min(hint, size+1)
	}
	data, err := readUpTo(src, partSize+1, hint)
	if err != nil {
		return fmt.Errorf("s3: put %q: reading: %w", key, err)
	}
	if n := int64(len(data)); n <= partSize {
		if size >= 0 && n != size {
			return fmt.Errorf("s3: put %q: %w", key, sizeError(size, n))
		}
		return b.putObject(ctx, key, data)
	}
	// data is the first part and one byte of the second: upload from its
	// array, the extra byte first.
	rest := io.MultiReader(bytes.NewReader(data[partSize:]), src)
	return b.putMultipart(ctx, key, data[:partSize], rest, size)
}

// readUpTo reads r until EOF or limit bytes, starting with a buffer of hint
// bytes and doubling it, so that small objects take little memory and large
// ones at most limit (rounded up to an allocation size class).
func readUpTo(r io.Reader, limit, hint int64) ([]byte, error) {
	buf := make([]byte, 0, max(min(hint, limit), 512))
	for int64(len(buf)) < limit {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(limit, 2*int64(cap(buf))))-len(buf))
		}
		n, err := r.Read(buf[len(buf):min(int64(cap(buf)), limit)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// putObject stores p with one PutObject. The body is seekable, so the SDK
// can sign its hash and rewind it for retries.
func (b *Bucket) putObject(ctx context.Context, key string, p []byte) error {
	_, err := b.client.PutObject(ctx, &sdk.PutObjectInput{
		Bucket:        aws.String(b.cfg.Bucket),
		Key:           b.objectKey(key),
		Body:          bytes.NewReader(p),
		ContentLength: aws.Int64(int64(len(p))),
	})
	if err != nil {
		return wrap("put", key, err)
	}
	return nil
}

func sizeError(size, n int64) error {
	if n > size {
		return fmt.Errorf("size is %d, the reader yielded more", size)
	}
	return fmt.Errorf("size is %d, the reader yielded %d bytes", size, n)
}
