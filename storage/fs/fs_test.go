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
