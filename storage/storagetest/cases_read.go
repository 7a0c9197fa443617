package storagetest

import (
	"errors"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/storage"
)

func testGetRange(t *testing.T, b storage.Bucket) {
	put(t, b, "r", []byte("0123456789"))
	for _, c := range []struct {
		off, length int64
		want        string
	}{
		{0, 3, "012"},         // start
		{3, 4, "3456"},        // middle
		{7, -1, "789"},        // to the end
		{0, -1, "0123456789"}, // everything
		{0, 10, "0123456789"}, // exactly everything
		{8, 10, "89"},         // length past the end
		{9, 1, "9"},           // last byte
		{10, 5, ""},           // at the end
		{20, -1, ""},          // past the end
		{20, 3, ""},           // past the end, with a length
		{4, 0, ""},            // zero length
		{0, 1 << 40, "0123456789"},
	} {
		if got := string(getRange(t, b, "r", c.off, c.length)); got != c.want {
			t.Errorf("GetRange(%d, %d) = %q, want %q", c.off, c.length, got, c.want)
		}
	}
	for _, c := range [][2]int64{{-1, 2}, {0, -2}, {-5, -1}} {
		r, err := b.GetRange(t.Context(), "r", c[0], c[1])
		if err == nil {
			r.Close()
			t.Errorf("GetRange(%d, %d) succeeded", c[0], c[1])
		}
	}
}

func testAttributes(t *testing.T, b storage.Bucket) {
	// S3 keeps Last-Modified to the second.
	before := time.Now().Truncate(time.Second).Add(-2 * time.Second)
	put(t, b, "a/t", data(1234, 5))
	after := time.Now().Add(2 * time.Second)
	info, err := b.Attributes(t.Context(), "a/t")
	if err != nil {
		t.Fatalf("Attributes: %v", err)
	}
	if info.Key != "a/t" || info.Size != 1234 {
		t.Errorf("Attributes = %+v, want key a/t size 1234", info)
	}
	if info.LastModified.Before(before) || info.LastModified.After(after) {
		t.Errorf("LastModified = %v, want between %v and %v", info.LastModified, before, after)
	}
}

func testNotFound(t *testing.T, b storage.Bucket) {
	put(t, b, "file", []byte("x"))
	put(t, b, "dir/x", []byte("x"))
	// Missing keys; a key below an object; a "directory".
	for _, key := range []string{"missing", "missing/deeper", "file/x", "dir", "fil"} {
		wantNotFound(t, b, key)
		r, err := b.GetRange(t.Context(), key, 0, 1)
		if err == nil {
			r.Close()
		}
		if !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("GetRange(%q) error = %v, want ErrNotFound", key, err)
		}
		r, err = b.GetRange(t.Context(), key, 100, -1)
		if err == nil {
			r.Close()
		}
		if !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("GetRange(%q, 100, -1) error = %v, want ErrNotFound", key, err)
		}
	}
}
