package s3_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/storage/s3"
)

// TestPutFile: a file of known size is uploaded from its current offset to
// its end, in one PutObject up to the part size and in parts above it,
// and Put leaves the file's offset where it was (it reads with ReadAt).
func TestPutFile(t *testing.T) {
	for _, c := range []struct {
		name      string
		size, off int64
		parts     string // "" for one PutObject
	}{
		{"below part size", 3<<20 + 7, 0, ""},
		{"three parts", 11<<20 + 5, 0, "3"},
		{"from offset", 3 << 20, 1000, ""},
		{"parts from offset", 11 << 20, 1<<20 + 3, "2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, prefix := newBucketParts(t, s3.MinPartSize)
			p := randomBytes(c.size)
			f := tempFile(t, p)
			if _, err := f.Seek(c.off, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			if err := b.Put(t.Context(), "k", f, c.size-c.off); err != nil {
				t.Fatal(err)
			}
			wantObject(t, b, "k", p[c.off:])
			if got := partsOf(t, prefix, "k"); got != c.parts {
				t.Errorf("%q parts, want %q", got, c.parts)
			}
			if off, err := f.Seek(0, io.SeekCurrent); err != nil || off != c.off {
				t.Errorf("file offset after Put = %d, %v; want %d", off, err, c.off)
			}
		})
	}
}

// TestPutPipe: an *os.File that cannot seek (a pipe) is read like any
// other reader.
func TestPutPipe(t *testing.T) {
	b, _ := newBucketParts(t, s3.MinPartSize)
	p := randomBytes(6 << 20)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	go func() {
		pw.Write(p)
		pw.Close()
	}()
	if err := b.Put(t.Context(), "k", pr, int64(len(p))); err != nil {
		t.Fatal(err)
	}
	wantObject(t, b, "k", p)
}

// TestPutFileWrongSize: a file holding more or fewer bytes from its offset
// than announced is refused before anything is stored.
func TestPutFileWrongSize(t *testing.T) {
	b, prefix := newBucketParts(t, s3.MinPartSize)
	for _, c := range []struct{ size, off, announced int64 }{
		{3 << 20, 0, 3<<20 + 1},
		{3 << 20, 0, 3<<20 - 1},
		{11 << 20, 0, 11<<20 + 1},
		{11 << 20, 0, 11<<20 - 1},
		{11 << 20, 1000, 11 << 20},
		{0, 0, 1},
	} {
		f := tempFile(t, randomBytes(c.size))
		if _, err := f.Seek(c.off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if err := b.Put(t.Context(), "k", f, c.announced); err == nil {
			t.Errorf("Put of %d bytes from offset %d with size %d succeeded", c.size, c.off, c.announced)
		}
	}
	if _, err := b.Attributes(t.Context(), "k"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Attributes after the failed Puts: %v, want ErrNotFound", err)
	}
	wantNoUploads(t, prefix)
}

// TestPutFileMemory: a file's bytes do not pass through memory. The heap
// allocated during a Put of a 6 MiB file (one PutObject with the default
// 8 MiB parts) is far below its size, where the same bytes from a plain
// io.Reader take a buffer of their size; that second figure shows the
// measure sees such a buffer.
func TestPutFileMemory(t *testing.T) {
	const size = 6 << 20
	b, _ := newBucketParts(t, s3.DefaultPartSize)
	f := tempFile(t, randomBytes(size))
	alloc := func(r io.Reader) uint64 {
		t.Helper()
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := b.Put(t.Context(), "k", r, size)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	alloc(f) // the first request sets up the SDK's caches and a connection
	file, buffered := alloc(f), alloc(struct{ io.Reader }{f})
	t.Logf("allocated during a Put of %d bytes: %d from the file, %d from a plain io.Reader", size, file, buffered)
	if file >= 2<<20 {
		t.Errorf("a Put of a %d byte file allocated %d bytes, want < %d", size, file, 2<<20)
	}
	if buffered < size {
		t.Errorf("a buffered Put of %d bytes allocated only %d bytes: the measure misses the buffer", size, buffered)
	}
}

// wantObject fails t unless key's object holds want.
func wantObject(t *testing.T, b *s3.Bucket, key string, want []byte) {
	t.Helper()
	r, err := b.Get(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%q): %d bytes differ from the %d put", key, len(got), len(want))
	}
}

// randomBytes returns n reproducible pseudo-random bytes.
func randomBytes(n int64) []byte {
	p := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(n)}).Read(p)
	return p
}

// tempFile returns a file holding p, open for reading at offset 0.
func tempFile(t *testing.T, p []byte) *os.File {
	t.Helper()
	name := filepath.Join(t.TempDir(), "object")
	if err := os.WriteFile(name, p, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
