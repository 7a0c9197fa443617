package fs_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	sfs "github.com/sluice-dev/sluice/storage/fs"
)

// TestModes: archived video is not world-readable. Files are 0600 and
// directories 0700 by default (0640/0750 with Group), the bucket's own
// directory included, and an existing, wider directory is narrowed.
func TestModes(t *testing.T) {
	old := syscall.Umask(0o022) // the usual umask; it can only narrow
	t.Cleanup(func() { syscall.Umask(old) })
	for _, tc := range []struct {
		access          sfs.Access
		file, dir, root fs.FileMode
	}{
		{"", 0o600, 0o700, 0o700},
		{sfs.Private, 0o600, 0o700, 0o700},
		{sfs.Group, 0o640, 0o750, 0o750},
	} {
		dir := filepath.Join(t.TempDir(), "archive")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := sfs.New(sfs.Config{Dir: dir, Access: tc.access})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Put(t.Context(), "cam/2026/11/25/f1.mp4", bytes.NewReader([]byte("media")), 5); err != nil {
			t.Fatal(err)
		}
		b.Close()
		err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			want := tc.file
			switch {
			case p == dir:
				want = tc.root
			case d.IsDir():
				want = tc.dir
			}
			if got := info.Mode().Perm(); got != want {
				t.Errorf("access %q: %s is %#o, want %#o", tc.access, strings.TrimPrefix(p, dir), got, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sfs.New(sfs.Config{Dir: t.TempDir(), Access: "world"}); err == nil {
		t.Error("an unknown access was accepted")
	}
}
