package storagetest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sluice-dev/sluice/storage"
)

func testInvalidKeys(t *testing.T, b storage.Bucket) {
	ctx := t.Context()
	for _, key := range InvalidKeys {
		wantInvalid := func(op string, err error) {
			t.Helper()
			if !errors.Is(err, storage.ErrInvalidKey) {
				t.Errorf("%s(%q) error = %v, want ErrInvalidKey", op, key, err)
			}
		}
		wantInvalid("Put", b.Put(ctx, key, bytes.NewReader([]byte("x")), 1))
		r, err := b.Get(ctx, key)
		if err == nil {
			r.Close()
		}
		wantInvalid("Get", err)
		r, err = b.GetRange(ctx, key, 0, 1)
		if err == nil {
			r.Close()
		}
		wantInvalid("GetRange", err)
		_, err = b.Attributes(ctx, key)
		wantInvalid("Attributes", err)
		wantInvalid("Delete", b.Delete(ctx, key))
	}
	// Nothing was written, under any name.
	wantKeys(t, b, "")
}
