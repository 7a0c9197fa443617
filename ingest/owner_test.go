package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	"github.com/sluice-dev/sluice/ingest"
	"github.com/sluice-dev/sluice/leases"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/embedded"
	"github.com/sluice-dev/sluice/streams/streamstest"
)

// leaseOwner is the ingest.Owner of a node, as cmd/sluice makes it.
type leaseOwner struct{ t *leases.Table }

func (o leaseOwner) Claim(ctx context.Context, stream string) (ingest.Ownership, error) {
	l, err := o.t.Claim(ctx, "record."+stream)
	var held *leases.HeldError
	if errors.As(err, &held) {
		return nil, &ingest.OwnedElsewhereError{Stream: stream, Node: held.Owner}
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}

// node is one Sluice node of a test cluster: its own stream core and
// lease table (each on a connection of its own) on a shared NATS server,
// and a Recorder on a shared archive.
type node struct {
	lib     *fragments.Library
	rec     *ingest.Recorder
	table   *leases.Table
	leaseNC *nats.Conn // closing it stops the node's renewals
}

// newNodes starts n nodes "n0".."n<n-1>" with 1 s leases.
func newNodes(t *testing.T, n int) []*node {
	t.Helper()
	srv, err := embedded.Start(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	bucket, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	discard := slog.New(slog.DiscardHandler)
	connect := func() *nats.Conn {
		nc, err := srv.Connect(t.Name())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		return nc
	}
	ctx, cancel := context.WithTimeout(bg, 30*time.Second)
	defer cancel()
	var nodes []*node
	for i := range n {
		core, err := streams.Open(ctx, connect(), fragments.CoreConfig(streams.Config{Logger: discard}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = core.Close() })
		nd := &node{lib: fragments.NewLibrary(core, fragments.LibraryConfig{}), leaseNC: connect()}
		js, err := jetstream.New(nd.leaseNC)
		if err != nil {
			t.Fatal(err)
		}
		nd.table, err = leases.Open(ctx, js, leases.Config{Node: fmt.Sprintf("n%d", i), TTL: time.Second, Logger: discard})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = nd.table.Close() })
		nd.rec = ingest.NewRecorder(nd.lib, bucket, fragments.NewHub(0), ingest.RecorderConfig{AutoCreate: true, Owner: leaseOwner{nd.table}, Logger: discard})
		t.Cleanup(func() { nd.rec.Close(bg) })
		nodes = append(nodes, nd)
	}
	return nodes
}

// createStream creates stream and waits until it takes index writes.
func (nd *node) createStream(t *testing.T, stream string) {
	t.Helper()
	if _, err := nd.lib.Create(bg, fragments.StreamSpec{Name: stream, RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	streamstest.Eventually(t, 10*time.Second, func() error {
		_, err := nd.lib.LastSeq(bg, stream)
		return err
	})
}

func (nd *node) open(t testing.TB, stream string) (ingest.Session, error) {
	return nd.rec.Open(bg, stream, ingest.Source{Kind: "test"}, fragmentstest.Tracks(t))
}

// wantElsewhere checks that err refuses a stream recorded by node.
func wantElsewhere(t *testing.T, err error, node string) {
	t.Helper()
	var e *ingest.OwnedElsewhereError
	if !errors.As(err, &e) || !errors.Is(err, ingest.ErrOwnedElsewhere) || e.Node != node {
		t.Fatalf("Open: got %v, want an OwnedElsewhereError naming %s", err, node)
	}
}

func TestOwnershipOneNodeRecords(t *testing.T) {
	nodes := newNodes(t, 2)
	s, err := nodes[0].open(t, "cam")
	if err != nil {
		t.Fatal(err)
	}
	fragmentstest.Feed(t, time.Now(), false, s.Write)
	_, err = nodes[1].open(t, "cam")
	wantElsewhere(t, err, "n0")
	if _, err := nodes[0].open(t, "cam"); !errors.Is(err, ingest.ErrBusy) {
		t.Fatalf("second Open on the recording node: %v, want ErrBusy", err)
	}

	// Once n0's session ended and its fragments are indexed, n0 releases
	// the stream: n1 takes it at once.
	s.Close()
	var s1 ingest.Session
	streamstest.Eventually(t, 10*time.Second, func() (err error) {
		s1, err = nodes[1].open(t, "cam")
		return err
	})
	fragmentstest.Feed(t, time.Now().Add(time.Minute), false, s1.Write)
	s1.Close()
	nodes[1].rec.Close(bg)
	checkIndex(t, nodes[0].lib, "cam", 2)
}

func TestOwnershipExpiresWithItsNode(t *testing.T) {
	nodes := newNodes(t, 2)
	s, err := nodes[0].open(t, "cam")
	if err != nil {
		t.Fatal(err)
	}
	ended := s.(interface{ Ended() <-chan struct{} }).Ended()
	nodes[0].leaseNC.Close() // n0 can no longer renew: cut off, or hung
	select {
	case <-ended: // n0 stops recording by itself, before anyone else may start
	case <-time.After(5 * time.Second):
		t.Fatal("n0's session did not end when its lease was lost")
	}
	streamstest.Eventually(t, 10*time.Second, func() error {
		s1, err := nodes[1].open(t, "cam")
		if err == nil {
			s1.Close()
		}
		return err
	})
}

// TestFencedIndexPausedOwner: owner A writes; A stops renewing (paused);
// B takes over and writes; A wakes and writes: refused, and the index
// holds B's records after A's, none interleaved.
func TestFencedIndexPausedOwner(t *testing.T) {
	nodes := newNodes(t, 2)
	a, b := nodes[0], nodes[1]
	ctx := bg
	a.createStream(t, "cam")
	start := time.Now().Truncate(time.Second)
	frag := func(i int) fragments.Info {
		return fragments.Info{Key: fmt.Sprintf("f%d", i), InitKey: "init", ProducerTime: start.Add(time.Duration(i) * time.Second), Duration: time.Second, Session: "s"}
	}

	la, err := a.table.Claim(ctx, "record.cam")
	if err != nil {
		t.Fatal(err)
	}
	fa := fragments.Fence{Token: la.Token()}
	if fa.LastSeq, err = a.lib.LastSeq(ctx, "cam"); err != nil {
		t.Fatal(err)
	}
	if _, fa.LastSeq, err = a.lib.AppendFenced(ctx, "cam", frag(0), fa); err != nil {
		t.Fatal(err)
	}

	a.leaseNC.Close() // A is paused: no more renewals
	var lb *leases.Lease
	streamstest.Eventually(t, 10*time.Second, func() (err error) {
		lb, err = b.table.Claim(ctx, "record.cam")
		return err
	})
	fb := fragments.Fence{Token: lb.Token()}
	if fb.LastSeq, err = b.lib.LastSeq(ctx, "cam"); err != nil {
		t.Fatal(err)
	}
	if _, fb.LastSeq, err = b.lib.AppendFenced(ctx, "cam", frag(1), fb); err != nil {
		t.Fatal(err)
	}

	// A wakes, has not looked at its lease yet, and writes.
	if _, _, err := a.lib.AppendFenced(ctx, "cam", frag(2), fa); !errors.Is(err, streams.ErrFenced) {
		t.Fatalf("the paused owner's write: %v, want ErrFenced", err)
	}
	if _, _, err := b.lib.AppendFenced(ctx, "cam", frag(3), fb); err != nil {
		t.Fatalf("the owner's next write: %v", err)
	}
	got := checkIndex(t, b.lib, "cam", 3)
	for i, want := range []struct {
		key   string
		token uint64
	}{{"f0", la.Token()}, {"f1", lb.Token()}, {"f3", lb.Token()}} {
		if got[i].Key != want.key || got[i].Token != want.token {
			t.Errorf("index[%d] = %s token %d, want %s token %d", i, got[i].Key, got[i].Token, want.key, want.token)
		}
	}
}

// checkIndex checks that the index holds n fragments in producer-time
// order, none overlapping the one before, with tokens never going down.
func checkIndex(t *testing.T, lib *fragments.Library, stream string, n int) []fragments.Info {
	t.Helper()
	var got []fragments.Info
	err := lib.Fragments(bg, stream, fragments.Selector{}, func(in fragments.Info) bool { got = append(got, in); return true })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < n {
		t.Fatalf("index holds %d fragments, want at least %d", len(got), n)
	}
	for i := 1; i < len(got); i++ {
		if got[i].ProducerTime.Before(got[i-1].End()) || got[i].Token < got[i-1].Token {
			t.Errorf("fragment %d (%v, token %d) overlaps or follows a newer owner's %d (ends %v, token %d)",
				i, got[i].ProducerTime, got[i].Token, i-1, got[i-1].End(), got[i-1].Token)
		}
	}
	return got
}

// TestRecorderContinuesAfterAStrayWrite: a previous owner, paused past its
// lease, indexes one more fragment after the new owner's recorder took the
// stream but before its first write. The new owner's write is refused by
// the fence, it sees the stray record's lower token and continues after
// it; its session goes on.
func TestRecorderContinuesAfterAStrayWrite(t *testing.T) {
	nodes := newNodes(t, 2)
	a, b := nodes[0], nodes[1]
	ctx := bg
	a.createStream(t, "cam")
	la, err := a.table.Claim(ctx, "record.cam")
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-10 * time.Minute)
	stray := func(i int) fragments.Info {
		return fragments.Info{Key: fmt.Sprintf("a%d", i), InitKey: "init", ProducerTime: past.Add(time.Duration(i) * time.Minute), Duration: time.Second}
	}
	fa := fragments.Fence{Token: la.Token()}
	if _, fa.LastSeq, err = a.lib.AppendFenced(ctx, "cam", stray(0), fa); err != nil {
		t.Fatal(err)
	}
	a.leaseNC.Close() // A is paused

	var s ingest.Session
	streamstest.Eventually(t, 10*time.Second, func() (err error) {
		s, err = b.open(t, "cam")
		return err
	})
	if _, _, err := a.lib.AppendFenced(ctx, "cam", stray(1), fa); err != nil {
		t.Fatalf("the stray write (before the new owner wrote): %v", err)
	}
	fragmentstest.Feed(t, time.Now(), false, s.Write)
	select {
	case <-s.(interface{ Ended() <-chan struct{} }).Ended():
		t.Fatal("the new owner's session ended")
	default:
	}
	s.Close()
	b.rec.Close(bg)
	got := checkIndex(t, b.lib, "cam", 3)
	if got[0].Key != "a0" || got[1].Key != "a1" || got[2].Token <= la.Token() {
		t.Fatalf("index starts %s, %s, then token %d; want a0, a1, then the new owner's", got[0].Key, got[1].Key, got[2].Token)
	}
}
