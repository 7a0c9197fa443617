package fs

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/sluice-dev/sluice/storage"
)

// Get implements storage.Bucket. The returned reader fails once ctx is done.
func (b *Bucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	return b.GetRange(ctx, key, 0, -1)
}

// GetRange implements storage.Bucket. The range is clipped to the object's
// size at the time of the call; since Put replaces files by rename, the open
// file keeps its content even if the key is overwritten meanwhile.
func (b *Bucket) GetRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	if err := b.check(ctx, "get", key); err != nil {
		return nil, err
	}
	if off < 0 || length < -1 {
		return nil, fmt.Errorf("fs: get %q: invalid range offset %d length %d", key, off, length)
	}
	f, info, err := b.open(key)
	if err != nil {
		return nil, fmt.Errorf("fs: get %q: %w", key, err)
	}
	size := info.Size()
	off = min(off, size)
	n := size - off
	if length >= 0 {
		n = min(n, length)
	}
	r := io.NewSectionReader(f, off, n)
	return storage.ContextReadCloser(ctx, r, f), nil
}

// Attributes implements storage.Bucket.
func (b *Bucket) Attributes(ctx context.Context, key string) (storage.ObjectInfo, error) {
	if err := b.check(ctx, "attributes", key); err != nil {
		return storage.ObjectInfo{}, err
	}
	info, err := b.root.Stat(key)
	if err == nil && !info.Mode().IsRegular() {
		err = os.ErrNotExist
	}
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("fs: attributes %q: %w", key, mapErr(err))
	}
	return storage.ObjectInfo{Key: key, Size: info.Size(), LastModified: info.ModTime()}, nil
}

// open opens the regular file at key.
func (b *Bucket) open(key string) (*os.File, os.FileInfo, error) {
	f, err := b.root.Open(key)
	if err != nil {
		return nil, nil, mapErr(err)
	}
	info, err := f.Stat()
	if err == nil && !info.Mode().IsRegular() {
		err = os.ErrNotExist
	}
	if err != nil {
		f.Close()
		return nil, nil, mapErr(err)
	}
	return f, info, nil
}

// mapErr turns "no such file" errors into storage.ErrNotFound.
func mapErr(err error) error {
	if notExist(err) {
		return storage.ErrNotFound
	}
	return err
}
