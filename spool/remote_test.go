package spool_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/sluice-dev/sluice/internal/wait"
	"github.com/sluice-dev/sluice/spool"
	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/streams/embedded"
)

// twoNodes starts an embedded NATS server with two connections to it, for
// nodes a and b; all are closed at cleanup.
func twoNodes(t *testing.T) (a, b *nats.Conn) {
	t.Helper()
	srv, err := embedded.Start(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	for i, name := range []string{"a", "b"} {
		nc, err := srv.Connect(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		if i == 0 {
			a = nc
		} else {
			b = nc
		}
	}
	return a, b
}

// A node reads what waits in another node's spool over NATS, in chunks;
// a key no spool holds is the bucket's not found.
func TestOverRemote(t *testing.T) {
	ctx := context.Background()
	ncA, ncB := twoNodes(t)
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

// The location map says where an object missing from the bucket is: a
// read of one dropped from a spool, or waiting in the spool of a node that
// does not answer, fails with a MissingError that names the node (a not
// found to readers), the dropped one without waiting for other spools.
func TestLocations(t *testing.T) {
	ctx := context.Background()
	ncA, ncB := twoNodes(t)
	js, err := jetstream.New(ncA)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "test_locations", History: 1, LimitMarkerTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	locA, err := spool.OpenLocations(ctx, spool.LocationsConfig{KV: kv, Node: "node-a"})
	if err != nil {
		t.Fatal(err)
	}
	defer locA.Close()
	locB, err := spool.OpenLocations(ctx, spool.LocationsConfig{KV: kv, Node: "node-b"})
	if err != nil {
		t.Fatal(err)
	}
	defer locB.Close()

	a := open(t, t.TempDir(), spool.Config{MaxBytes: 1 << 30})
	b := open(t, t.TempDir(), spool.Config{MaxBytes: 1 << 30})
	sub, err := a.Serve(ncA, "test.spool.get")
	if err != nil {
		t.Fatal(err)
	}
	ncA.Flush()
	const kept, lost = "video/x/kept.m4s", "video/x/lost.m4s"
	write(t, a, "kept", kept, "x", []byte("kept bytes"))
	if err := locA.Spooled(ctx, kept, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := locA.Dropped(ctx, lost, time.Hour); err != nil {
		t.Fatal(err)
	}
	wait.Until(t, 5*time.Second, func() error {
		if l, ok := locB.Where(kept); !ok || l.Node != "node-a" || l.Dropped {
			return fmt.Errorf("node b sees %s at %+v %v", kept, l, ok)
		}
		if l, ok := locB.Where(lost); !ok || !l.Dropped {
			return fmt.Errorf("node b sees %s at %+v %v", lost, l, ok)
		}
		return nil
	})
	bucket, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	const timeout = 300 * time.Millisecond
	r := b.OverRemote(bucket, spool.RemoteConfig{Conn: ncB, Subject: "test.spool.get", Timeout: timeout, Locations: locB})
	if rc, err := r.Get(ctx, kept); err != nil {
		t.Fatalf("read from node a's spool: %v", err)
	} else {
		rc.Close()
	}
	var missing *spool.MissingError
	began := time.Now()
	_, err = r.Get(ctx, lost)
	if !errors.As(err, &missing) || !missing.Dropped || missing.Node != "node-a" || !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a dropped object: %v", err)
	}
	if took := time.Since(began); took >= timeout {
		t.Fatalf("a dropped object took %v: the other spools were asked", took)
	}
	t.Logf("dropped: %v", err)

	sub.Unsubscribe() // node a goes away
	ncA.Flush()
	_, err = r.GetRange(ctx, kept, 0, 4)
	if !errors.As(err, &missing) || missing.Dropped || missing.Node != "node-a" || !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("an object in the spool of a node that does not answer: %v", err)
	}
	t.Logf("unavailable: %v", err)

	// Uploaded: the entry goes, the bucket answers.
	if err := bucket.Put(ctx, kept, bytes.NewReader([]byte("kept bytes")), 10); err != nil {
		t.Fatal(err)
	}
	if err := locA.Uploaded(ctx, kept); err != nil {
		t.Fatal(err)
	}
	wait.Until(t, 5*time.Second, func() error {
		if l, ok := locB.Where(kept); ok {
			return fmt.Errorf("node b still sees %s at %+v", kept, l)
		}
		return nil
	})
	if _, err := r.Attributes(ctx, kept); err != nil {
		t.Fatal(err)
	}
	// A node that opens the map later loads what is in it.
	locC, err := spool.OpenLocations(ctx, spool.LocationsConfig{KV: kv, Node: "node-c"})
	if err != nil {
		t.Fatal(err)
	}
	defer locC.Close()
	if l, ok := locC.Where(lost); !ok || !l.Dropped {
		t.Fatalf("a later node sees %s at %+v %v", lost, l, ok)
	}
	if _, ok := locC.Where(kept); ok {
		t.Fatalf("a later node sees the uploaded %s", kept)
	}
	if got := locC.Spooling("node-a"); len(got) != 0 {
		t.Fatalf("spooling on node a: %v", got)
	}
}
