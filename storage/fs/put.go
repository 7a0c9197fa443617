package fs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/sluice-dev/sluice/storage"
)

// tmpPrefix and tmpSuffix frame the names of temporary files. '~' is not a
// key byte, so no object can have such a name.
const (
	tmpPrefix = "~sluice-"
	tmpSuffix = ".tmp"
)

// Put implements storage.Bucket: it writes r to a temporary file in the
// key's directory, fsyncs it, renames it over key and fsyncs the directory.
// ctx is checked between reads of r; a Put that fails leaves no trace.
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := b.check(ctx, "put", key); err != nil {
		return err
	}
	if size < -1 {
		return fmt.Errorf("fs: put %q: negative size %d", key, size)
	}
	dir := path.Dir(key)
	if file, ok := r.(*os.File); ok && size >= 0 {
		if linked, err := b.putLink(ctx, key, file, size); linked || err != nil {
			return err
		}
	}
	f, tmp, created, err := b.createTemp(dir)
	if err != nil {
		return fmt.Errorf("fs: put %q: %w", key, err)
	}
	if err := b.fill(ctx, f, r, size); err != nil {
		f.Close()
		b.root.Remove(tmp)
		return fmt.Errorf("fs: put %q: %w", key, err)
	}
	if err := f.Close(); err != nil {
		b.root.Remove(tmp)
		return fmt.Errorf("fs: put %q: %w", key, err)
	}
	if err := b.root.Rename(tmp, key); err != nil {
		b.root.Remove(tmp)
		return fmt.Errorf("fs: put %q: %w", key, err)
	}
	if err := b.syncDirs(dir, created); err != nil {
		return fmt.Errorf("fs: put %q: %w", key, err)
	}
	return nil
}

// putLink stores a whole file (the spool's) by a hard link to it, when
// the file is exactly the object (at offset 0, of size bytes) and on the
// bucket's file system: no byte is copied, and the object keeps the
// file's modification time (when its media was written, which retention
// goes by). linked is false when that is not possible (the caller
// copies); the file must not change afterwards.
func (b *Bucket) putLink(ctx context.Context, key string, file *os.File, size int64) (linked bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("fs: put %q: %w", key, err)
	}
	off, err := file.Seek(0, io.SeekCurrent)
	if err != nil || off != 0 {
		return false, nil
	}
	fi, err := file.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return false, nil
	}
	if fi.Size() != size {
		return false, fmt.Errorf("fs: put %q: size is %d, the reader yielded %s", key, size, countDesc(fi.Size(), size))
	}
	// Durable as any Put: the file's data synced (nearly free for the
	// spool's, synced at its commit).
	if err := file.Sync(); err != nil {
		return false, nil
	}
	src, err := filepath.Abs(file.Name())
	if err != nil {
		return false, nil
	}
	dir := path.Dir(key)
	created := false
	if _, err := b.root.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if err := b.root.MkdirAll(dir, b.dirMode); err != nil && !errors.Is(err, os.ErrExist) {
			return false, nil
		}
		created = true
	}
	tmp := path.Join(dir, tmpPrefix+randomHex()+tmpSuffix)
	// The link's directory was made through the root; the link itself needs
	// the absolute path (a Root links only within itself).
	if err := os.Link(src, filepath.Join(b.dir, filepath.FromSlash(tmp))); err != nil {
		return false, nil // another file system, or links refused: copy
	}
	if err := b.root.Chmod(tmp, b.fileMode); err != nil {
		b.root.Remove(tmp)
		return true, fmt.Errorf("fs: put %q: %w", key, err)
	}
	if err := b.root.Rename(tmp, key); err != nil {
		b.root.Remove(tmp)
		return true, fmt.Errorf("fs: put %q: %w", key, err)
	}
	if err := b.syncDirs(dir, created); err != nil {
		return true, fmt.Errorf("fs: put %q: %w", key, err)
	}
	return true, nil
}

// fill copies r into f, checks the count against size and fsyncs f. A
// file (the spool's) is copied by the kernel (copy_file_range), without
// passing through memory; ctx is then checked before the copy only.
func (b *Bucket) fill(ctx context.Context, f *os.File, r io.Reader, size int64) error {
	src := storage.ContextReader(ctx, r)
	if file, ok := r.(*os.File); ok {
		if err := ctx.Err(); err != nil {
			return err
		}
		src = file
	}
	if size >= 0 {
		// Read one byte more than announced, to notice a longer body.
		src = io.LimitReader(src, size+1)
	}
	n, err := io.Copy(f, src)
	if err != nil {
		return err
	}
	if size >= 0 && n != size {
		return fmt.Errorf("size is %d, the reader yielded %s", size, countDesc(n, size))
	}
	return f.Sync()
}

func countDesc(n, size int64) string {
	if n > size {
		return "more"
	}
	return fmt.Sprintf("%d bytes", n)
}

// createTemp creates a new temporary file in dir (a clean relative path),
// creating dir first if needed. created reports whether it had to. A
// concurrent Delete may remove an empty dir between the two steps, or
// while MkdirAll looks at a dir it found existing (it then fails with
// ErrExist), hence the retries.
func (b *Bucket) createTemp(dir string) (f *os.File, name string, created bool, err error) {
	for range 5 {
		name = path.Join(dir, tmpPrefix+randomHex()+tmpSuffix)
		f, err = b.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, b.fileMode)
		if err == nil || !errors.Is(err, os.ErrNotExist) {
			return f, name, created, err
		}
		if err = b.root.MkdirAll(dir, b.dirMode); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, "", created, err
		}
		created = true
	}
	return nil, "", created, err
}

// syncDirs fsyncs dir and, when Put created directories, every parent up to
// the root, so that the new entries survive a power loss.
func (b *Bucket) syncDirs(dir string, created bool) error {
	for {
		if err := b.syncDir(dir); err != nil {
			return err
		}
		if !created || dir == "." {
			return nil
		}
		dir = path.Dir(dir)
	}
}

func (b *Bucket) syncDir(dir string) error {
	d, err := b.root.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

func randomHex() string {
	var p [8]byte
	rand.Read(p[:])
	return hex.EncodeToString(p[:])
}
