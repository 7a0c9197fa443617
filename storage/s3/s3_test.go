package s3_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/storage/s3"
	"github.com/sluice-dev/sluice/storage/s3/s3test"
	"github.com/sluice-dev/sluice/storage/storagetest"
)

// newBucket returns a Bucket on a prefix of the run's bucket that no other
// test (nor a repetition with -count) uses, so every test starts empty.
func newBucket(t *testing.T) (b *s3.Bucket, prefix string) {
	t.Helper()
	return newBucketParts(t, s3.MinPartSize)
}

// newBucketParts is newBucket with Config.PartSize partSize.
func newBucketParts(t *testing.T, partSize int64) (b *s3.Bucket, prefix string) {
	t.Helper()
	requireServer(t)
	prefix = "run/" + strings.NewReplacer(" ", "_", "#", "_").Replace(t.Name()) + "/" + s3test.RandomHex(4)
	cfg := testConfig(prefix)
	cfg.PartSize = partSize
	b, err := s3.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, prefix
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Bucket {
		b, _ := newBucket(t)
		return b
	})
}

// TestObjectLayout pins where keys land in the S3 bucket.
func TestObjectLayout(t *testing.T) {
	b, prefix := newBucket(t)
	if err := b.Put(t.Context(), "cam/1.mp4", strings.NewReader("frag"), 4); err != nil {
		t.Fatal(err)
	}
	out, err := rawClient().HeadObject(t.Context(), &sdk.HeadObjectInput{
		Bucket: aws.String(testBucket),
		Key:    aws.String(prefix + "/cam/1.mp4"),
	})
	if err != nil || aws.ToInt64(out.ContentLength) != 4 {
		t.Fatalf("HeadObject of the prefixed key: %v", err)
	}
}

// TestNoOrphanUploads: failed and cancelled multipart uploads are aborted.
func TestNoOrphanUploads(t *testing.T) {
	b, prefix := newBucket(t)
	ctx, cancel := context.WithCancel(t.Context())
	big := bytes.Repeat([]byte("x"), 11<<20)
	err := b.Put(ctx, "orphan/cancelled", &cancelAfter{r: bytes.NewReader(big), n: 6 << 20, cancel: cancel}, -1)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Put: %v", err)
	}
	if err := b.Put(t.Context(), "orphan/short", struct{ io.Reader }{bytes.NewReader(big)}, 12<<20); err == nil {
		t.Fatal("Put shorter than its size succeeded")
	}
	// From an io.ReaderAt: cancelled while the second part is read.
	ctx, cancel = context.WithCancel(t.Context())
	file := io.NewSectionReader(&cancelAt{r: bytes.NewReader(big), off: 6 << 20, cancel: cancel}, 0, int64(len(big)))
	err = b.Put(ctx, "orphan/cancelled-file", file, int64(len(big)))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Put from an io.ReaderAt: %v", err)
	}
	wantNoUploads(t, prefix)
}

// wantNoUploads fails t if a multipart upload under prefix is in progress.
func wantNoUploads(t *testing.T, prefix string) {
	t.Helper()
	out, err := rawClient().ListMultipartUploads(t.Context(), &sdk.ListMultipartUploadsInput{
		Bucket: aws.String(testBucket),
		Prefix: aws.String(prefix + "/"),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range out.Uploads {
		t.Errorf("multipart upload left behind: %s", aws.ToString(u.Key))
	}
}

// cancelAfter cancels after n bytes were read.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.cancel()
	}
	n, err := c.r.Read(p[:min(len(p), max(c.n, 1))])
	c.n -= n
	return n, err
}

// cancelAt cancels once a ReadAt reaches offset off.
type cancelAt struct {
	r      io.ReaderAt
	off    int64
	cancel context.CancelFunc
}

func (c *cancelAt) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > c.off {
		c.cancel()
	}
	return c.r.ReadAt(p, off)
}

// TestWrongCredentials: the server checks signatures, and a refusal is
// never mistaken for a missing object.
func TestWrongCredentials(t *testing.T) {
	requireServer(t)
	cfg := testConfig("run/" + t.Name())
	cfg.SecretAccessKey = "wrong" + cfg.SecretAccessKey
	cfg.MaxRetries = -1
	b, err := s3.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Put(t.Context(), "k", strings.NewReader("x"), 1); err == nil {
		t.Fatal("Put with a wrong secret succeeded")
	}
	_, err = b.Attributes(t.Context(), "k")
	if err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Attributes with a wrong secret: %v, want an error other than ErrNotFound", err)
	}
	_, err = b.Get(t.Context(), "k")
	if err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get with a wrong secret: %v, want an error other than ErrNotFound", err)
	}
}

// TestMultipartParts: objects above PartSize go up in parts (S3 reports a
// multipart ETag "<md5>-<parts>"), those up to it in one PutObject, whether
// Put reads them with ReadAt (a *bytes.Reader of known size) or into its
// buffer.
func TestMultipartParts(t *testing.T) {
	b, prefix := newBucket(t)
	for _, c := range []struct {
		size  int
		parts string
	}{{s3.MinPartSize, ""}, {s3.MinPartSize + 1, "2"}, {storagetest.LargeSize, "3"}} {
		for _, size := range []int64{int64(c.size), -1} {
			p := make([]byte, c.size)
			for _, r := range []io.Reader{bytes.NewReader(p), struct{ io.Reader }{bytes.NewReader(p)}} {
				if err := b.Put(t.Context(), "k", r, size); err != nil {
					t.Fatal(err)
				}
				if got := partsOf(t, prefix, "k"); got != c.parts {
					t.Errorf("%d bytes (size %d, %T): %q parts, want %q", c.size, size, r, got, c.parts)
				}
			}
		}
	}
}

// partsOf returns the number of parts of key's object, from its multipart
// ETag, or "" for an object sent in one PutObject.
func partsOf(t *testing.T, prefix, key string) string {
	t.Helper()
	out, err := rawClient().HeadObject(t.Context(), &sdk.HeadObjectInput{
		Bucket: aws.String(testBucket),
		Key:    aws.String(prefix + "/" + key),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, parts, _ := strings.Cut(strings.Trim(aws.ToString(out.ETag), `"`), "-")
	return parts
}
