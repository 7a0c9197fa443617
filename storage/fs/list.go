package fs

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/sluice-dev/sluice/storage"
)

// List implements storage.Bucket. It walks the directories under the
// deepest directory named by prefix, reading each whole and sorting it, so
// memory grows with the largest directory, not with the archive. Symlinks and
// entries whose names are not valid key segments (temporary files, foreign
// files) are skipped.
func (b *Bucket) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	if b.closed.Load() {
		return fmt.Errorf("fs: list %q: %w", prefix, storage.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("fs: list %q: %w", prefix, err)
	}
	if err := storage.ValidPrefix(prefix); err != nil {
		return fmt.Errorf("fs: list: %w", err)
	}
	// Every segment before the last '/' of a valid prefix is a whole, valid
	// segment: start there.
	start := "."
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		start = prefix[:i]
	}
	ok, err := b.isDir(start)
	if err != nil {
		return fmt.Errorf("fs: list %q: %w", prefix, err)
	}
	if !ok {
		return nil
	}
	return b.walk(ctx, start, prefix, fn)
}

// isDir reports whether dir and each of its parents is a real directory,
// not a symlink, so that List never walks through a link (which os.Root
// would refuse anyway if it led outside).
func (b *Bucket) isDir(dir string) (bool, error) {
	for d := dir; d != "."; d = path.Dir(d) {
		info, err := b.root.Lstat(d)
		if notExist(err) || err == nil && !info.IsDir() {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
	return true, nil
}

// walk reports the objects below dir whose keys start with prefix, in key
// order.
func (b *Bucket) walk(ctx context.Context, dir, prefix string, fn func(storage.ObjectInfo) error) error {
	entries, err := b.readDir(dir)
	if notExist(err) {
		return nil // the directory was removed, or never existed
	}
	if err != nil {
		return fmt.Errorf("fs: list %q: %w", prefix, err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("fs: list %q: %w", prefix, err)
		}
		key := path.Join(dir, e.Name())
		switch {
		case e.IsDir():
			sub := key + "/"
			if !strings.HasPrefix(sub, prefix) && !strings.HasPrefix(prefix, sub) {
				continue
			}
			if err := b.walk(ctx, key, prefix, fn); err != nil {
				return err
			}
		case e.Type().IsRegular() && strings.HasPrefix(key, prefix):
			info, err := e.Info()
			if notExist(err) {
				continue // deleted since ReadDir
			}
			if err != nil {
				return fmt.Errorf("fs: list %q: %w", prefix, err)
			}
			if err := fn(storage.ObjectInfo{Key: key, Size: info.Size(), LastModified: info.ModTime()}); err != nil {
				return err
			}
		}
	}
	return nil
}

// readDir returns dir's entries that may be part of a key, sorted so that
// walking them yields keys in byte order: a directory d sorts as "d/", since
// its keys all start with that.
func (b *Bucket) readDir(dir string) ([]fs.DirEntry, error) {
	d, err := b.root.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	entries = slices.DeleteFunc(entries, func(e fs.DirEntry) bool {
		return !storage.ValidSegment(e.Name())
	})
	slices.SortFunc(entries, func(x, y fs.DirEntry) int {
		return strings.Compare(sortName(x), sortName(y))
	})
	return entries, nil
}

func sortName(e fs.DirEntry) string {
	if e.IsDir() {
		return e.Name() + "/"
	}
	return e.Name()
}
