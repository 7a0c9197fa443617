package spool_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/spool"
	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/streams/embedded"
)

// A node reads what waits in another node's spool over NATS, in chunks;
// a key no spool holds is the bucket's not found.
func TestOverRemote(t *testing.T) {
	ctx := context.Background()
	srv, err := embedded.Start(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	ncA, err := srv.Connect("a")
	if err != nil {
		t.Fatal(err)
	}
	defer ncA.Close()
	ncB, err := srv.Connect("b")
	if err != nil {
		t.Fatal(err)
	}
	defer ncB.Close()
	a := open(t, t.TempDir(), spool.Config{MaxBytes: 1 << 30})
	b := open(t, t.TempDir(), spool.Config{MaxBytes: 1 << 30})
	sub, err := a.Serve(ncA, "test.spool.get")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	ncA.Flush()
	big := make([]byte, 1300<<10) // three chunks
	for i := range big {
		big[i] = byte(i * 7)
	}
	write(t, a, "f1", "video/x/f1.m4s", "x", big)
	bucket, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	r := b.OverRemote(bucket, spool.RemoteConfig{Conn: ncB, Subject: "test.spool.get", Timeout: 300 * time.Millisecond})
	rc, err := r.Get(ctx, "video/x/f1.m4s")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, big) {
		t.Fatalf("read %d bytes from the other spool, want %d equal", len(got), len(big))
	}
	rc, err = r.GetRange(ctx, "video/x/f1.m4s", 600<<10, 10)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, big[600<<10:600<<10+10]) {
		t.Fatalf("range: %v", got)
	}
	began := time.Now()
	if _, err := r.Get(ctx, "video/x/none.m4s"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a key nobody holds: %v", err)
	}
	if took := time.Since(began); took > 2*time.Second {
		t.Fatalf("a key nobody holds took %v", took)
	}
}
