package storagetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/sluice-dev/sluice/storage"
)

func testContextCancelled(t *testing.T, b storage.Bucket) {
	put(t, b, "c/k", []byte("old"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	want := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: error = %v, want context.Canceled", op, err)
		}
	}
	want("Put", b.Put(ctx, "c/k", bytes.NewReader([]byte("new")), 3))
	want("Put", b.Put(ctx, "c/new", bytes.NewReader([]byte("new")), 3))
	r, err := b.Get(ctx, "c/k")
	if err == nil {
		r.Close()
	}
	want("Get", err)
	r, err = b.GetRange(ctx, "c/k", 1, 1)
	if err == nil {
		r.Close()
	}
	want("GetRange", err)
	_, err = b.Attributes(ctx, "c/k")
	want("Attributes", err)
	want("List", b.List(ctx, "", func(storage.ObjectInfo) error { return nil }))
	want("Delete", b.Delete(ctx, "c/k"))
	wantContent(t, b, "c/k", []byte("old"))
	wantNotFound(t, b, "c/new")

	// A reader outlives no context: cancelling fails later reads.
	put(t, b, "c/big", data(1<<20, 1))
	ctx, cancel = context.WithCancel(t.Context())
	r, err = b.Get(ctx, "c/big")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.ReadFull(r, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := io.ReadAll(r); !errors.Is(err, context.Canceled) {
		t.Errorf("reading after cancel: error = %v, want context.Canceled", err)
	}
}

func testCancelDuringPut(t *testing.T, b storage.Bucket) {
	put(t, b, "c/old", []byte("old"))
	// Cancel within the first part, and after a whole part went out.
	for _, n := range []int{1000, 6 << 20} {
		for _, size := range []int64{-1, int64(n) + 1<<20} {
			for _, key := range []string{"c/old", "c/new"} {
				ctx, cancel := context.WithCancel(t.Context())
				err := b.Put(ctx, key, &cancellingReader{p: data(n, 2), cancel: cancel}, size)
				cancel()
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("Put(%q) cancelled after %d bytes (size %d): error = %v, want context.Canceled", key, n, size, err)
				}
			}
		}
	}
	wantContent(t, b, "c/old", []byte("old"))
	wantNotFound(t, b, "c/new")
	wantKeys(t, b, "", "c/old")
}

func testClose(t *testing.T, b storage.Bucket) {
	put(t, b, "k", []byte("x"))
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx := t.Context()
	want := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, storage.ErrClosed) {
			t.Errorf("%s after Close: error = %v, want ErrClosed", op, err)
		}
	}
	want("Put", b.Put(ctx, "k", bytes.NewReader(nil), 0))
	_, err := b.Get(ctx, "k")
	want("Get", err)
	_, err = b.GetRange(ctx, "k", 0, 1)
	want("GetRange", err)
	_, err = b.Attributes(ctx, "k")
	want("Attributes", err)
	want("List", b.List(ctx, "", func(storage.ObjectInfo) error { return nil }))
	want("Delete", b.Delete(ctx, "k"))
	// The suite's cleanup closes b a second time, which must succeed.
}
