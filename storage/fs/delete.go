package fs

import (
	"context"
	"fmt"
	"path"
)

// Delete implements storage.Bucket: it removes the file, fsyncs its
// directory, then removes the parent directories that became empty (never
// the bucket's own directory). A missing key, or a key naming a directory,
// returns nil.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := b.check(ctx, "delete", key); err != nil {
		return err
	}
	info, err := b.root.Lstat(key)
	if notExist(err) || err == nil && info.IsDir() {
		return nil
	}
	if err != nil {
		return fmt.Errorf("fs: delete %q: %w", key, err)
	}
	if err := b.root.Remove(key); err != nil {
		if notExist(err) {
			return nil
		}
		return fmt.Errorf("fs: delete %q: %w", key, err)
	}
	dir := path.Dir(key)
	if err := b.syncDir(dir); err != nil && !notExist(err) {
		return fmt.Errorf("fs: delete %q: %w", key, err)
	}
	// Remove fails on a directory that is not empty, which ends the climb.
	for ; dir != "."; dir = path.Dir(dir) {
		if b.root.Remove(dir) != nil {
			break
		}
	}
	return nil
}
