package storagetest

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/sluice-dev/sluice/storage"
)

func testPutGet(t *testing.T, b storage.Bucket) {
	for i, key := range ValidKeys {
		put(t, b, key, data(100+i, byte(i)))
	}
	for i, key := range ValidKeys {
		wantContent(t, b, key, data(100+i, byte(i)))
	}
	// Unknown size, and a reader that is not an io.Seeker.
	p := data(70_000, 1)
	if err := b.Put(t.Context(), "unknown/size", io.MultiReader(bytes.NewReader(p)), -1); err != nil {
		t.Fatalf("Put with size -1: %v", err)
	}
	wantContent(t, b, "unknown/size", p)
	if err := b.Put(t.Context(), "bad/size", bytes.NewReader(p), -2); err == nil {
		t.Fatal("Put with size -2 succeeded")
	}
}

func testOverwrite(t *testing.T, b storage.Bucket) {
	put(t, b, "o/k", data(5000, 1))
	put(t, b, "o/k", data(300, 2))
	wantContent(t, b, "o/k", data(300, 2))
	info, err := b.Attributes(t.Context(), "o/k")
	if err != nil || info.Size != 300 {
		t.Fatalf("Attributes after overwrite = %+v, %v; want size 300", info, err)
	}
	wantKeys(t, b, "o/", "o/k")
}

func testEmpty(t *testing.T, b storage.Bucket) {
	put(t, b, "empty", nil)
	if err := b.Put(t.Context(), "empty-unknown", bytes.NewReader(nil), -1); err != nil {
		t.Fatalf("Put empty with size -1: %v", err)
	}
	for _, key := range []string{"empty", "empty-unknown"} {
		wantContent(t, b, key, nil)
		if got := getRange(t, b, key, 0, 10); len(got) != 0 {
			t.Fatalf("GetRange(%q, 0, 10) = %q, want empty", key, got)
		}
		info, err := b.Attributes(t.Context(), key)
		if err != nil || info.Size != 0 || info.Key != key {
			t.Fatalf("Attributes(%q) = %+v, %v; want size 0", key, info, err)
		}
	}
	wantKeys(t, b, "", "empty", "empty-unknown")
}

func testLarge(t *testing.T, b storage.Bucket) {
	p := data(LargeSize, 7)
	put(t, b, "large/known", p)
	if err := b.Put(t.Context(), "large/unknown", io.MultiReader(bytes.NewReader(p)), -1); err != nil {
		t.Fatalf("Put large with size -1: %v", err)
	}
	for _, key := range []string{"large/known", "large/unknown"} {
		wantContent(t, b, key, p)
		info, err := b.Attributes(t.Context(), key)
		if err != nil || info.Size != LargeSize {
			t.Fatalf("Attributes(%q) = %+v, %v; want size %d", key, info, err, LargeSize)
		}
		// Across the 5 MiB part boundary, and the tail.
		off := int64(5<<20 - 100)
		if got := getRange(t, b, key, off, 200); !bytes.Equal(got, p[off:off+200]) {
			t.Fatalf("GetRange(%q, %d, 200) differs", key, off)
		}
		if got := getRange(t, b, key, LargeSize-10, -1); !bytes.Equal(got, p[LargeSize-10:]) {
			t.Fatalf("GetRange(%q) of the tail differs", key)
		}
	}
}

func testSizeMismatch(t *testing.T, b storage.Bucket) {
	ctx := t.Context()
	put(t, b, "m/old", []byte("old"))
	for _, c := range []struct {
		n    int
		size int64
	}{{5, 10}, {10, 5}, {0, 1}, {1, 0}, {LargeSize, LargeSize + 1}, {LargeSize, LargeSize - 1}} {
		for _, key := range []string{"m/new", "m/old"} {
			if err := b.Put(ctx, key, bytes.NewReader(data(c.n, 3)), c.size); err == nil {
				t.Fatalf("Put(%q) of %d bytes with size %d succeeded", key, c.n, c.size)
			}
		}
	}
	wantNotFound(t, b, "m/new")
	wantContent(t, b, "m/old", []byte("old"))
	wantKeys(t, b, "", "m/old")
}

func testFailedPut(t *testing.T, b storage.Bucket) {
	ctx := t.Context()
	put(t, b, "f/old", []byte("old"))
	for _, n := range []int{0, 1000, LargeSize - 1000} {
		for _, size := range []int64{-1, int64(n) + 10} {
			for _, key := range []string{"f/old", "f/new"} {
				err := b.Put(ctx, key, &failingReader{p: data(n, 4)}, size)
				if !errors.Is(err, errReader) {
					t.Fatalf("Put(%q) from a reader failing after %d bytes (size %d): error %v, want the reader's", key, n, size, err)
				}
			}
		}
	}
	wantContent(t, b, "f/old", []byte("old"))
	wantNotFound(t, b, "f/new")
	wantKeys(t, b, "", "f/old")
}
