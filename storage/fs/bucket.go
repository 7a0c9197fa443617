package fs

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"

	"github.com/sluice-dev/sluice/storage"
)

var _ storage.Bucket = (*Bucket)(nil)

// Bucket is a storage.Bucket on a local directory. Create it with Open or
// New.
type Bucket struct {
	dir      string
	root     *os.Root
	fileMode os.FileMode
	dirMode  os.FileMode
	closed   atomic.Bool
}

// Access says who may read a bucket's files (archived video is private
// data).
type Access string

const (
	// Private: files 0600, directories 0700; only the server's user
	// reads them. The default.
	Private Access = "private"
	// Group: files 0640, directories 0750; the server's group reads them
	// too (a backup or analysis user in that group).
	Group Access = "group"
)

// Modes returns the modes of files and directories of access a, or an
// error for an unknown one ("" is Private).
func (a Access) Modes() (file, dir os.FileMode, err error) {
	switch a {
	case "", Private:
		return 0o600, 0o700, nil
	case Group:
		return 0o640, 0o750, nil
	}
	return 0, 0, fmt.Errorf("fs: access %q: want %q or %q", string(a), Private, Group)
}

// Config configures a bucket.
type Config struct {
	// Dir is the directory; created if missing. Required.
	Dir string
	// Access sets the modes of the files and directories the bucket
	// creates, and of Dir itself (set at every open: that alone keeps
	// others out of files written under an older, wider mode). The
	// process umask can only narrow them. Default Private.
	Access Access
}

// Open opens the directory dir as a Private bucket: New(Config{Dir: dir}).
func Open(dir string) (*Bucket, error) { return New(Config{Dir: dir}) }

// New opens (creating it if missing) the directory cfg.Dir as a bucket,
// sets its mode, and removes temporary files and empty directories that
// an interrupted Put or Delete left behind; that walk reads every
// directory once, so it takes longer on large archives.
func New(cfg Config) (*Bucket, error) {
	if cfg.Dir == "" {
		return nil, fmt.Errorf("fs: open: empty directory")
	}
	fileMode, dirMode, err := cfg.Access.Modes()
	if err != nil {
		return nil, err
	}
	dir := cfg.Dir
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("fs: open: %w", err)
	}
	if err := os.Chmod(dir, dirMode); err != nil {
		return nil, fmt.Errorf("fs: open: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("fs: open: %w", err)
	}
	b := &Bucket{dir: dir, root: root, fileMode: fileMode, dirMode: dirMode}
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
