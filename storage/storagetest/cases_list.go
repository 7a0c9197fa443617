package storagetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/sluice-dev/sluice/storage"
)

// listKeysSet holds keys whose lexical order differs from a naive
// directory walk: '-' and '.' sort before '/'.
var listKeysSet = []string{
	"p-1/q",
	"p.2",
	"p/a-1",
	"p/a/b",
	"p/a0",
	"p/b/c/d/e",
	"p0",
	"q",
}

func testList(t *testing.T, b storage.Bucket) {
	wantKeys(t, b, "")
	// Put in reverse so that no provider gets the order for free.
	for i, key := range slices.Backward(listKeysSet) {
		put(t, b, key, data(i+1, byte(i)))
	}
	wantKeys(t, b, "", listKeysSet...)
	wantKeys(t, b, "p", listKeysSet[:7]...)
	wantKeys(t, b, "p/", "p/a-1", "p/a/b", "p/a0", "p/b/c/d/e")
	wantKeys(t, b, "p/a", "p/a-1", "p/a/b", "p/a0")
	wantKeys(t, b, "p/a/", "p/a/b")
	wantKeys(t, b, "p/a/b", "p/a/b")
	wantKeys(t, b, "p/b/c/", "p/b/c/d/e")
	wantKeys(t, b, "p-", "p-1/q")
	wantKeys(t, b, "p/c")
	wantKeys(t, b, "nothing/")
	wantKeys(t, b, "q/")

	sizes := map[string]int64{}
	err := b.List(t.Context(), "", func(o storage.ObjectInfo) error {
		sizes[o.Key] = o.Size
		if o.LastModified.IsZero() {
			t.Errorf("List: %q has no LastModified", o.Key)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, key := range slices.Backward(listKeysSet) {
		if sizes[key] != int64(i+1) {
			t.Errorf("List: %q has size %d, want %d", key, sizes[key], i+1)
		}
	}

	for _, prefix := range InvalidPrefixes {
		err := b.List(t.Context(), prefix, func(storage.ObjectInfo) error { return nil })
		if !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("List(%q) error = %v, want ErrInvalidKey", prefix, err)
		}
	}
}

func testListStop(t *testing.T, b storage.Bucket) {
	for _, key := range listKeysSet {
		put(t, b, key, []byte("x"))
	}
	errStop := errors.New("stop")
	var seen []string
	err := b.List(t.Context(), "", func(o storage.ObjectInfo) error {
		seen = append(seen, o.Key)
		if len(seen) == 3 {
			return errStop
		}
		return nil
	})
	if err != errStop {
		t.Fatalf("List error = %v, want the callback's error unchanged", err)
	}
	if !slices.Equal(seen, listKeysSet[:3]) {
		t.Fatalf("List called back with %q, want %q", seen, listKeysSet[:3])
	}
}
