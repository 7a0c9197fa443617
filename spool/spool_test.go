package spool_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/spool"
	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/storage/fs"
)

// box is an ISO BMFF box of typ with n bytes of payload.
func box(typ string, n int) []byte {
	b := make([]byte, 8+n)
	binary.BigEndian.PutUint32(b, uint32(8+n))
	copy(b[4:], typ)
	for i := range n {
		b[8+i] = byte(i)
	}
	return b
}

// part is a moof and its mdat.
func part(n int) []byte { return append(box("moof", 40), box("mdat", n)...) }

func open(t *testing.T, dir string, cfg spool.Config) *spool.Spool {
	t.Helper()
	cfg.Dir = dir
	s, err := spool.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func write(t *testing.T, s *spool.Spool, name, key, stream string, parts ...[]byte) *spool.Entry {
	t.Helper()
	w, err := s.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if _, err := w.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	e, err := w.Commit(key, stream, []byte(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Committed entries survive a reopen with their bytes and metadata; a
// removed one does not; the spool's bytes add up.
func TestCommitReopenRemove(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, spool.Config{MaxBytes: 1 << 20})
	a := write(t, s, "s1-0", "video/a/0.m4s", "a", part(100), part(50))
	write(t, s, "s1-1", "video/a/1.m4s", "a", part(70))
	if s.Len() != 2 || s.Bytes() != a.Size+int64(len(part(70))) {
		t.Fatalf("len %d, bytes %d", s.Len(), s.Bytes())
	}
	s = open(t, dir, spool.Config{MaxBytes: 1 << 20})
	es := s.Entries()
	if len(es) != 2 || es[0].Key != "video/a/0.m4s" || string(es[0].Meta) != `{"n":1}` || es[0].Stream != "a" {
		t.Fatalf("entries after reopen: %+v", es)
	}
	b, err := s.ReadAll(es[0])
	if err != nil || !bytes.Equal(b, append(part(100), part(50)...)) {
		t.Fatalf("bytes after reopen: %d, %v", len(b), err)
	}
	if err := s.SetMeta(es[0], []byte(`{"n":2}`)); err != nil {
		t.Fatal(err)
	}
	s.Remove(es[1])
	s = open(t, dir, spool.Config{MaxBytes: 1 << 20})
	if es := s.Entries(); len(es) != 1 || string(es[0].Meta) != `{"n":2}` || s.Bytes() != es[0].Size {
		t.Fatalf("after SetMeta and Remove: %+v, %d bytes", es, s.Bytes())
	}
	if err := s.MarkUploaded(s.Entries()[0]); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir, spool.Config{MaxBytes: 1 << 20})
	if es := s.Entries(); len(es) != 1 || !es[0].Uploaded || string(es[0].Meta) != `{"n":2}` {
		t.Fatalf("after MarkUploaded: %+v", es)
	}
	// Changes after the commit are not synced: a crash that loses them
	// (their side file) leaves the entry as committed.
	extras, _ := filepath.Glob(filepath.Join(dir, "*.extra"))
	if len(extras) != 1 {
		t.Fatalf("side files: %v", extras)
	}
	os.Remove(extras[0])
	s = open(t, dir, spool.Config{MaxBytes: 1 << 20})
	if es := s.Entries(); len(es) != 1 || es[0].Uploaded || string(es[0].Meta) != `{"n":1}` {
		t.Fatalf("without the side file: %+v", es)
	}
	s.Remove(s.Entries()[0])
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("files left after Remove: %v", left)
	}
	// Side files whose entry went (removed while they were written) are
	// removed at the next open.
	os.WriteFile(filepath.Join(dir, "gone.extra"), []byte("{}"), 0o600)
	os.WriteFile(filepath.Join(dir, "gone.head"), []byte("{}"), 0o600)
	open(t, dir, spool.Config{MaxBytes: 1 << 20})
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("files left after a reopen: %v", left)
	}
}

// A data file without its meta file (the fragment open at a crash) is
// Torn, cut to its last whole part: a part written in half, and a moof
// without its mdat, are cut off.
func TestTornFileCutToLastWholePart(t *testing.T) {
	dir := t.TempDir()
	whole := append(part(100), part(80)...)
	for name, tail := range map[string][]byte{
		"half-mdat": part(60)[:70],
		"lone-moof": box("moof", 40),
		"half-hdr":  {0, 0, 1},
		"clean":     nil,
	} {
		if err := os.WriteFile(filepath.Join(dir, name+".data"), append(slices.Clone(whole), tail...), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A meta file being written when the process stopped: removed.
	os.WriteFile(filepath.Join(dir, "x.meta-tmp"), []byte("{"), 0o600)
	s := open(t, dir, spool.Config{MaxBytes: 1 << 20})
	torn := s.Torn()
	if len(torn) != 4 {
		t.Fatalf("torn: %+v", torn)
	}
	for _, tf := range torn {
		b, err := os.ReadFile(tf.Path)
		if err != nil || !bytes.Equal(b, whole) || tf.Size != int64(len(whole)) {
			t.Errorf("%s: cut to %d bytes (%v), want the %d of its whole parts", tf.Name, len(b), err, len(whole))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.meta-tmp")); !os.IsNotExist(err) {
		t.Error("a half-written meta file survived")
	}
	s.Discard(torn[0])
	if _, err := os.Stat(torn[0].Path); !os.IsNotExist(err) || len(s.Torn()) != 3 {
		t.Error("Discard left the file")
	}
}

// At MaxBytes the oldest entries of the stream with the most bytes go
// first, reported; entries being uploaded and init segments stay; when
// nothing can go, a write fails with ErrFull.
func TestFullDropsOldestOfLargest(t *testing.T) {
	var dropped []string
	s := open(t, t.TempDir(), spool.Config{MaxBytes: 1000, OnDrop: func(e *spool.Entry) { dropped = append(dropped, e.Key) }})
	if _, err := s.Put("init-a", "a/init", "a", make([]byte, 100), true, nil); err != nil {
		t.Fatal(err)
	}
	a0 := write(t, s, "a0", "a/0", "a", make([]byte, 200))
	write(t, s, "a1", "a/1", "a", make([]byte, 200))
	write(t, s, "b0", "b/0", "b", make([]byte, 150))
	s.Uploading(a0, true)
	// 650 spooled: 400 more needs 50 back: a's oldest droppable is a1.
	write(t, s, "b1", "b/1", "b", make([]byte, 400))
	if !slices.Equal(dropped, []string{"a/1"}) {
		t.Fatalf("dropped %v, want [a/1] (a0 is uploading, the init stays)", dropped)
	}
	if _, ok := s.Get("a/1"); ok || s.Bytes() > 1000 {
		t.Fatalf("a/1 still there, or %d bytes", s.Bytes())
	}
	// Then b (550 bytes) is the largest: its oldest first.
	write(t, s, "c0", "c/0", "c", make([]byte, 300))
	if !slices.Equal(dropped, []string{"a/1", "b/0"}) {
		t.Fatalf("dropped %v", dropped)
	}
	// 1000 spooled: the init (100), a0 uploading (200), b1 (400), c0
	// (300). 900 more would not fit even without b1 and c0: nothing goes.
	w, _ := s.Create("d0")
	if _, err := w.Write(make([]byte, 900)); !errors.Is(err, spool.ErrFull) {
		t.Fatalf("write past what can be dropped: %v", err)
	}
	w.Abort()
	if !slices.Equal(dropped, []string{"a/1", "b/0"}) || s.Dropped() != 2 || s.Bytes() != 1000 {
		t.Fatalf("dropped %v (%d), %d bytes", dropped, s.Dropped(), s.Bytes())
	}
}

// Over serves what waits in the spool from it, the rest from the bucket.
func TestOver(t *testing.T) {
	ctx := context.Background()
	b, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.Put(ctx, "video/x/up.m4s", strings.NewReader("uploaded"), 8)
	s := open(t, t.TempDir(), spool.Config{MaxBytes: 1 << 20})
	write(t, s, "p", "video/x/pending.m4s", "x", []byte("pending-bytes"))
	r := s.Over(b)
	for key, want := range map[string]string{"video/x/up.m4s": "uploaded", "video/x/pending.m4s": "pending-bytes"} {
		rc, err := r.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != want {
			t.Errorf("%s: %q", key, got)
		}
	}
	rc, err := r.GetRange(ctx, "video/x/pending.m4s", 8, 3)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "byt" {
		t.Errorf("range: %q", got)
	}
	if oi, err := r.Attributes(ctx, "video/x/pending.m4s"); err != nil || oi.Size != 13 {
		t.Errorf("attributes: %+v %v", oi, err)
	}
	if _, err := r.Get(ctx, "video/x/none"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
}
