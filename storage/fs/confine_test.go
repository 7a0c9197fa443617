package fs_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/storage/storagetest"
)

// TestHostileKeysStayInside: no key, invalid or leading through a symlink,
// creates, reads or removes anything outside the root.
func TestHostileKeysStayInside(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	outside := filepath.Join(base, "outside")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := open(t, root)
	// Symlinks planted inside the root, pointing out of it.
	for name, target := range map[string]string{
		"evil":    outside,
		"rel":     "../outside",
		"file":    secret,
		"relfile": "../outside/secret",
		"loop":    "loop",
		"nested":  "evil/../..",
	} {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	ctx := t.Context()
	keys := append([]string{
		"evil/x", "evil/secret", "rel/x", "rel/secret", "file", "relfile",
		"loop", "loop/x", "nested/x", "nested/outside/secret",
	}, storagetest.InvalidKeys...)
	// Nothing outside can be read.
	for _, key := range keys {
		if r, err := b.Get(ctx, key); err == nil {
			p, _ := io.ReadAll(r)
			r.Close()
			t.Errorf("Get(%q) succeeded, read %q", key, p)
		}
		if _, err := b.Attributes(ctx, key); err == nil {
			t.Errorf("Attributes(%q) succeeded", key)
		}
	}
	for _, prefix := range []string{"", "evil/", "rel/", "nested/", "file", "loop/"} {
		err := b.List(ctx, prefix, func(o storage.ObjectInfo) error {
			t.Errorf("List(%q) reported %q", prefix, o.Key)
			return nil
		})
		if err != nil {
			t.Errorf("List(%q): %v", prefix, err)
		}
	}
	// Nothing outside can be written or removed. A Put may replace a
	// symlink inside the root by an object (the rename acts on the link),
	// which is harmless.
	for _, key := range keys {
		err := b.Put(ctx, key, bytes.NewReader([]byte("pwned")), 5)
		if err == nil && !slices.Contains([]string{"file", "relfile", "loop"}, key) {
			t.Errorf("Put(%q) succeeded", key)
		}
	}
	for _, key := range keys {
		b.Delete(ctx, key)
	}
	wantFiles(t, outside, "secret")
	if p, err := os.ReadFile(secret); err != nil || string(p) != "secret" {
		t.Fatalf("outside file changed: %q, %v", p, err)
	}
	wantFiles(t, base, "outside", "outside/secret", "root", "root/evil", "root/nested", "root/rel")
}

// TestInvalidKeyTouchesNothing: an invalid key fails before any I/O: not
// even a temporary file is created.
func TestInvalidKeyTouchesNothing(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir)
	for _, key := range storagetest.InvalidKeys {
		err := b.Put(t.Context(), key, bytes.NewReader(nil), 0)
		if !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Put(%q) error = %v, want ErrInvalidKey", key, err)
		}
	}
	wantFiles(t, dir)
}
