package storage_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/storage/storagetest"
)

func TestValidKey(t *testing.T) {
	for _, key := range storagetest.ValidKeys {
		if err := storage.ValidKey(key); err != nil {
			t.Errorf("ValidKey(%q) = %v, want nil", key, err)
		}
	}
	for _, key := range storagetest.InvalidKeys {
		if err := storage.ValidKey(key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("ValidKey(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
	long := strings.Repeat(strings.Repeat("s", 99)+"/", 11)[:storage.MaxKeyLen-1] + "x"
	if err := storage.ValidKey(long); err != nil {
		t.Errorf("ValidKey of %d bytes = %v", len(long), err)
	}
	if err := storage.ValidKey(long + "x"); !errors.Is(err, storage.ErrInvalidKey) {
		t.Errorf("ValidKey of %d bytes = %v, want ErrInvalidKey", len(long)+1, err)
	}
}

func TestValidPrefix(t *testing.T) {
	for _, p := range []string{"", "a", "a/", "a/b", "a/b/", "a/.", "a/..", ".", "..", "cam/2024-"} {
		if err := storage.ValidPrefix(p); err != nil {
			t.Errorf("ValidPrefix(%q) = %v, want nil", p, err)
		}
	}
	for _, p := range storagetest.InvalidPrefixes {
		if err := storage.ValidPrefix(p); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("ValidPrefix(%q) = %v, want ErrInvalidKey", p, err)
		}
	}
}

// FuzzValidKey checks that every accepted key is a local path that cannot
// leave a root directory, and that prefixes of valid keys are valid prefixes.
func FuzzValidKey(f *testing.F) {
	for _, k := range storagetest.ValidKeys {
		f.Add(k)
	}
	for _, k := range storagetest.InvalidKeys {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		err := storage.ValidKey(key)
		if err != nil {
			if !errors.Is(err, storage.ErrInvalidKey) {
				t.Fatalf("ValidKey(%q) = %v, not wrapping ErrInvalidKey", key, err)
			}
			return
		}
		if !filepath.IsLocal(key) || filepath.Clean(key) != filepath.FromSlash(key) {
			t.Fatalf("ValidKey accepted %q, which is not a clean local path", key)
		}
		if len(key) > storage.MaxKeyLen || strings.ContainsAny(key, "\x00\\:") {
			t.Fatalf("ValidKey accepted %q", key)
		}
		for i := range len(key) + 1 {
			if err := storage.ValidPrefix(key[:i]); err != nil {
				t.Fatalf("ValidPrefix(%q), a prefix of valid %q: %v", key[:i], key, err)
			}
		}
	})
}
