package storagetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/sluice-dev/sluice/storage"
)

// data returns n reproducible pseudo-random bytes.
func data(n int, seed byte) []byte {
	p := make([]byte, n)
	rand.NewChaCha8([32]byte{seed}).Read(p)
	return p
}

func put(t *testing.T, b storage.Bucket, key string, p []byte) {
	t.Helper()
	if err := b.Put(t.Context(), key, bytes.NewReader(p), int64(len(p))); err != nil {
		t.Fatalf("Put(%q, %d bytes): %v", key, len(p), err)
	}
}

func get(t *testing.T, b storage.Bucket, key string) []byte {
	t.Helper()
	return readAll(t, key)(b.Get(t.Context(), key))
}

func getRange(t *testing.T, b storage.Bucket, key string, off, length int64) []byte {
	t.Helper()
	return readAll(t, key)(b.GetRange(t.Context(), key, off, length))
}

func readAll(t *testing.T, key string) func(io.ReadCloser, error) []byte {
	return func(r io.ReadCloser, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatalf("get %q: %v", key, err)
		}
		defer r.Close()
		p, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("read %q: %v", key, err)
		}
		return p
	}
}

func wantContent(t *testing.T, b storage.Bucket, key string, want []byte) {
	t.Helper()
	if got := get(t, b, key); !bytes.Equal(got, want) {
		t.Fatalf("Get(%q) = %d bytes %q..., want %d bytes %q...", key, len(got), head(got), len(want), head(want))
	}
}

func wantNotFound(t *testing.T, b storage.Bucket, key string) {
	t.Helper()
	if _, err := b.Attributes(t.Context(), key); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Attributes(%q) error = %v, want ErrNotFound", key, err)
	}
	r, err := b.Get(t.Context(), key)
	if err == nil {
		r.Close()
	}
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get(%q) error = %v, want ErrNotFound", key, err)
	}
}

func listKeys(t *testing.T, b storage.Bucket, prefix string) []string {
	t.Helper()
	var keys []string
	err := b.List(t.Context(), prefix, func(o storage.ObjectInfo) error {
		keys = append(keys, o.Key)
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return keys
}

func wantKeys(t *testing.T, b storage.Bucket, prefix string, want ...string) {
	t.Helper()
	if got := listKeys(t, b, prefix); !slices.Equal(got, want) {
		t.Fatalf("List(%q) = %q, want %q", prefix, got, want)
	}
}

func head(p []byte) []byte { return p[:min(len(p), 16)] }

// failingReader yields p, then fails.
type failingReader struct {
	p []byte
}

var errReader = errors.New("storagetest: reader failed")

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.p) == 0 {
		return 0, errReader
	}
	n := copy(p, f.p)
	f.p = f.p[n:]
	return n, nil
}

// cancellingReader yields p, then cancels its context and yields another
// MiB, so that a Put that ignores the context succeeds and is caught.
type cancellingReader struct {
	p      []byte
	cancel context.CancelFunc
	after  int
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	if len(c.p) > 0 {
		n := copy(p, c.p)
		c.p = c.p[n:]
		return n, nil
	}
	c.cancel()
	if c.after >= 1<<20 {
		return 0, io.EOF
	}
	n := min(len(p), 1<<20-c.after)
	clear(p[:n])
	c.after += n
	return n, nil
}
