package s3

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/s3"
)

// Put implements storage.Bucket. An object of up to one part goes out in
// one PutObject, a larger one as a multipart upload of parts of that size:
// Config.PartSize, grown for very large known sizes to stay within S3's
// 10,000 parts.
//
// When size is known and r is an io.ReaderAt and io.Seeker (an *os.File,
// *io.SectionReader, *bytes.Reader), the object is the size bytes from r's
// current offset to its end, read with ReadAt straight into the requests:
// no buffer of their size is allocated, and r's offset is left as it was.
// If r holds a different count from its offset, Put fails before any
// request. r must not change until Put returns: the SDK reads each part
// twice (its SHA-256 for the signature, then to send it) and again for a
// retry.
//
// Any other r, one whose Seek fails (a pipe), or size -1: r is read into
// one buffer of up to a part per Put, a part at a time, and ctx is checked
// between reads of r.
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := b.check(ctx, "put", key); err != nil {
		return err
	}
	if size < -1 {
		return fmt.Errorf("s3: put %q: negative size %d", key, size)
	}
	partSize := b.cfg.PartSize
	if size >= 0 {
		partSize = max(partSize, (size+maxParts-1)/maxParts)
		if ra, ok := r.(readerAtSeeker); ok {
			if off, err := ra.Seek(0, io.SeekCurrent); err == nil {
				return b.putSections(ctx, key, ra, off, size, partSize)
			}
		}
	}
	return b.putBuffered(ctx, key, r, size, partSize)
}

// putObject stores the n bytes of body with one PutObject. body is
// seekable, so the SDK can sign its hash and rewind it for retries.
func (b *Bucket) putObject(ctx context.Context, key string, body io.ReadSeeker, n int64) error {
	_, err := b.client.PutObject(ctx, &sdk.PutObjectInput{
		Bucket:        aws.String(b.cfg.Bucket),
		Key:           b.objectKey(key),
		Body:          body,
		ContentLength: aws.Int64(n),
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
