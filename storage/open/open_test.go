package open_test

import (
	"path/filepath"
	"testing"

	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/storage/open"
	"github.com/sluice-dev/sluice/storage/s3"
)

func TestOpen(t *testing.T) {
	tmp := t.TempDir()
	def := filepath.Join(tmp, "default")
	abs := filepath.Join(tmp, "abs dir")
	for raw, wantDir := range map[string]string{
		"":                                def,
		"file://" + filepath.ToSlash(abs): abs,
		"file://localhost" + filepath.ToSlash(abs) + "/": abs,
	} {
		b := mustOpen(t, raw, def)
		f, ok := b.(*fs.Bucket)
		if !ok || f.Dir() != wantDir {
			t.Errorf("Open(%q) = %T %v, want fs on %s", raw, b, b, wantDir)
		}
	}
	b := mustOpen(t, "s3://bucket/pre/fix?endpoint=http://127.0.0.1:1&region=us-east-1&path-style=true", def)
	if _, ok := b.(*s3.Bucket); !ok {
		t.Errorf("Open(s3://...) = %T, want *s3.Bucket", b)
	}
}

func mustOpen(t *testing.T, raw, def string) storage.Bucket {
	t.Helper()
	b, err := open.Open(t.Context(), raw, def)
	if err != nil {
		t.Fatalf("Open(%q): %v", raw, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestOpenErrors(t *testing.T) {
	for _, raw := range []string{
		"file://relative/dir",
		"file:relative",
		"file://otherhost/dir",
		"file:///dir?x=1",
		"ftp://host/dir",
		"/bare/path",
		"s3://",
		"s3://b?colour=red",
		"%zz",
	} {
		if b, err := open.Open(t.Context(), raw, t.TempDir()); err == nil {
			b.Close()
			t.Errorf("Open(%q) succeeded", raw)
		}
	}
	if _, err := open.Open(t.Context(), "", ""); err == nil {
		t.Error("Open with no URL and no default succeeded")
	}
}
