package storagetest

import (
	"testing"

	"github.com/sluice-dev/sluice/storage"
)

func testDelete(t *testing.T, b storage.Bucket) {
	ctx := t.Context()
	for _, key := range []string{"missing", "missing/deep/key"} {
		if err := b.Delete(ctx, key); err != nil {
			t.Fatalf("Delete(%q) of a missing key: %v, want nil", key, err)
		}
	}
	put(t, b, "d/a/b/c", []byte("1"))
	put(t, b, "d/a/x", []byte("2"))
	put(t, b, "d/y", []byte("3"))

	for range 2 {
		if err := b.Delete(ctx, "d/a/b/c"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	wantNotFound(t, b, "d/a/b/c")
	wantKeys(t, b, "", "d/a/x", "d/y")
	// A "directory" is no object: deleting it is a no-op.
	if err := b.Delete(ctx, "d/a"); err != nil {
		t.Fatalf("Delete of a directory-like prefix: %v", err)
	}
	wantKeys(t, b, "", "d/a/x", "d/y")

	for _, key := range []string{"d/a/x", "d/y"} {
		if err := b.Delete(ctx, key); err != nil {
			t.Fatalf("Delete(%q): %v", key, err)
		}
	}
	wantKeys(t, b, "")
	// Emptied "directories" are gone, also on a filesystem: "d" can now be
	// an object.
	put(t, b, "d/a/b/c", []byte("4"))
	if err := b.Delete(ctx, "d/a/b/c"); err != nil {
		t.Fatal(err)
	}
	put(t, b, "d", nil)
	wantKeys(t, b, "", "d")
	wantContent(t, b, "d", nil)
}
