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
	requireServer(t)
	prefix = "run/" + strings.NewReplacer(" ", "_", "#", "_").Replace(t.Name()) + "/" + s3test.RandomHex(4)
	b, err := s3.New(t.Context(), testConfig(prefix))
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
	if err := b.Put(t.Context(), "orphan/short", bytes.NewReader(big), 12<<20); err == nil {
		t.Fatal("Put shorter than its size succeeded")
	}
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
// multipart ETag "<md5>-<parts>"), those up to it in one PutObject.
func TestMultipartParts(t *testing.T) {
	b, prefix := newBucket(t)
	for _, c := range []struct {
		size int
		want string
	}{{s3.MinPartSize, ""}, {s3.MinPartSize + 1, "-2"}, {storagetest.LargeSize, "-3"}} {
		for _, size := range []int64{int64(c.size), -1} {
			if err := b.Put(t.Context(), "k", bytes.NewReader(make([]byte, c.size)), size); err != nil {
				t.Fatal(err)
			}
			out, err := rawClient().HeadObject(t.Context(), &sdk.HeadObjectInput{
				Bucket: aws.String(testBucket),
				Key:    aws.String(prefix + "/k"),
			})
			if err != nil {
				t.Fatal(err)
			}
			etag := strings.Trim(aws.ToString(out.ETag), `"`)
			_, parts, _ := strings.Cut(etag, "-")
			if got := strings.TrimPrefix(c.want, "-"); parts != got {
				t.Errorf("%d bytes (size %d): ETag %s, want parts %q", c.size, size, etag, got)
			}
		}
	}
}
