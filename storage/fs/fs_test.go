package fs_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Bucket {
		return open(t, t.TempDir())
	})
}

func open(t *testing.T, dir string) *fs.Bucket {
	t.Helper()
	b, err := fs.Open(dir)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// files returns every path below dir, relative to it, symlinks not followed.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func wantFiles(t *testing.T, dir string, want ...string) {
	t.Helper()
	if got := files(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files in %s = %q, want %q", dir, got, want)
	}
}

// TestLayout pins the on-disk layout that operators see.
func TestLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "archive", "new")
	b := open(t, dir)
	if err := b.Put(t.Context(), "cam-1/2024/000001.mp4", bytes.NewReader([]byte("frag")), 4); err != nil {
		t.Fatal(err)
	}
	wantFiles(t, dir, "cam-1", "cam-1/2024", "cam-1/2024/000001.mp4")
	p, err := os.ReadFile(filepath.Join(dir, "cam-1/2024/000001.mp4"))
	if err != nil || string(p) != "frag" {
		t.Fatalf("object file = %q, %v", p, err)
	}
	if err := b.Delete(t.Context(), "cam-1/2024/000001.mp4"); err != nil {
		t.Fatal(err)
	}
	wantFiles(t, dir) // empty parents removed, the root kept
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("root removed: %v", err)
	}
	if b.Dir() != dir {
		t.Errorf("Dir() = %q, want %q", b.Dir(), dir)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := fs.Open(""); err == nil {
		t.Error("Open(\"\") succeeded")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Open(file); err == nil {
		t.Error("Open of a regular file succeeded")
	}
}

// TestForeignEntries: files that are not objects stay invisible.
func TestForeignEntries(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"bad name", "caf\u00e9", "x~y", "~sluice-0000.tmpx"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("foreign"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "d d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "d d", "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	b := open(t, dir)
	var keys []string
	if err := b.List(t.Context(), "", func(o storage.ObjectInfo) error {
		keys = append(keys, o.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Fatalf("List reported foreign entries %q", keys)
	}
}

func TestOverwriteIsAtomic(t *testing.T) {
	b := open(t, t.TempDir())
	old := bytes.Repeat([]byte("o"), 100_000)
	if err := b.Put(t.Context(), "k", bytes.NewReader(old), int64(len(old))); err != nil {
		t.Fatal(err)
	}
	// A Put stalled half-way: readers still see the whole old object.
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- b.Put(t.Context(), "k", pr, 200_000) }()
	if _, err := pw.Write(bytes.Repeat([]byte("n"), 100_000)); err != nil {
		t.Fatal(err)
	}
	r, err := b.Get(t.Context(), "k")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(r); !bytes.Equal(got, old) {
		t.Fatalf("during overwrite Get returned %d bytes, want the old %d", len(got), len(old))
	}
	// An open reader keeps the old content after the rename, too.
	r2, err := b.Get(t.Context(), "k")
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	pw.Write(bytes.Repeat([]byte("n"), 100_000))
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(r2); !bytes.Equal(got, old) {
		t.Fatalf("reader opened before the rename returned %d bytes, want the old %d", len(got), len(old))
	}
	r.Close()
}

// A Put from a file (the spool's) stores its bytes from its offset, and
// a wrong announced size fails and leaves no object.
func TestPutFromFile(t *testing.T) {
	ctx := t.Context()
	b := open(t, t.TempDir())
	data := bytes.Repeat([]byte("0123456789abcdef"), 40_000) // 640 kB
	path := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(16, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, "a/obj", f, int64(len(data)-16)); err != nil {
		t.Fatal(err)
	}
	rc, err := b.Get(ctx, "a/obj")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data[16:]) {
		t.Fatalf("stored %d bytes, want the file's %d from its offset", len(got), len(data)-16)
	}
	// The whole file from its start: linked, not copied.
	f.Seek(0, io.SeekStart)
	if err := b.Put(ctx, "b/whole", f, int64(len(data))); err != nil {
		t.Fatal(err)
	}
	src, _ := os.Stat(path)
	dst, err := os.Stat(filepath.Join(b.Dir(), "b", "whole"))
	if err != nil || !os.SameFile(src, dst) {
		t.Fatalf("the whole file was not linked: %v", err)
	}
	for _, size := range []int64{int64(len(data)) - 1, int64(len(data)) + 1} {
		f.Seek(0, io.SeekStart)
		if err := b.Put(ctx, "a/wrong", f, size); err == nil {
			t.Fatalf("a file of %d bytes announced as %d was stored", len(data), size)
		}
		if _, err := b.Attributes(ctx, "a/wrong"); err == nil {
			t.Fatal("a failed Put left an object")
		}
	}
}
