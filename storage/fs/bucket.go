package fs

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"

	"github.com/sluice-dev/sluice/storage"
)

var _ storage.Bucket = (*Bucket)(nil)

// Bucket is a storage.Bucket on a local directory. Create it with Open.
type Bucket struct {
	dir    string
	root   *os.Root
	closed atomic.Bool
}

// Open opens (creating it with mode 0755 if missing) the directory dir as a
// bucket, and removes temporary files and empty directories that an
// interrupted Put or Delete left behind; that walk reads every directory
// once, so it takes longer on large archives.
func Open(dir string) (*Bucket, error) {
	if dir == "" {
		return nil, fmt.Errorf("fs: open: empty directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("fs: open: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("fs: open: %w", err)
	}
	b := &Bucket{dir: dir, root: root}
	if err := b.cleanStale("."); err != nil {
		root.Close()
		return nil, fmt.Errorf("fs: open %s: removing stale temporary files: %w", dir, err)
	}
	return b, nil
}

// Dir returns the directory the bucket was opened on.
func (b *Bucket) Dir() string { return b.dir }

// Close closes the directory. Later calls return an error wrapping
// storage.ErrClosed; calling Close again returns nil.
func (b *Bucket) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	if err := b.root.Close(); err != nil {
		return fmt.Errorf("fs: close: %w", err)
	}
	return nil
}

// check is the common preamble of the methods taking a key.
func (b *Bucket) check(ctx context.Context, op, key string) error {
	if b.closed.Load() {
		return fmt.Errorf("fs: %s %q: %w", op, key, storage.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("fs: %s %q: %w", op, key, err)
	}
	if err := storage.ValidKey(key); err != nil {
		return fmt.Errorf("fs: %s: %w", op, err)
	}
	return nil
}
