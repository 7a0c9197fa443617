package leases_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/leases"
	"go.uber.org/goleak"
)

// TestWatchAndNodes: Watch reports the state, then claims, releases,
// expiries, joins and leaves; Nodes lists the live nodes with their Meta.
func TestWatchAndNodes(t *testing.T) {
	r := newRig(t)
	a := r.open(0, "a", func(c *leases.Config) { c.Meta = map[string]string{"addr": "10.0.0.1:8080"} })
	ctx := ctxT(t)
	if _, err := a.Claim(ctx, "held.before"); err != nil {
		t.Fatal(err)
	}
	b := r.open(1, "b")
	events, err := b.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	next := func(want leases.EventKind, key string, within time.Duration) leases.Event {
		t.Helper()
		select {
		case e := <-events:
			if e.Kind != want || e.Key != key {
				t.Fatalf("event %v %q, want %v %q", e.Kind, e.Key, want, key)
			}
			return e
		case <-time.After(within):
			t.Fatalf("no %v %q within %v", want, key, within)
		}
		return leases.Event{}
	}
	// The state first (in no set order), then Ready.
	state := map[string]bool{}
	for e := range events {
		if e.Kind == leases.Ready {
			break
		}
		state[fmt.Sprintf("%v %s %s", e.Kind, e.Key, e.Owner)] = true
	}
	if want := map[string]bool{"claimed held.before a": true, "joined a ": true, "joined b ": true}; fmt.Sprint(state) != fmt.Sprint(want) {
		t.Fatalf("state %v, want %v", state, want)
	}

	l, err := a.Claim(ctx, "camera.1")
	if err != nil {
		t.Fatal(err)
	}
	next(leases.Claimed, "camera.1", time.Second)
	// Every node sees who holds what.
	hs, err := b.Holdings(ctx, "camera.")
	if err != nil || len(hs) != 1 || hs[0].Key != "camera.1" || hs[0].Owner != "a" || hs[0].Since.IsZero() {
		t.Fatalf("holdings of camera.: %+v %v", hs, err)
	}
	if all, err := b.Holdings(ctx, ""); err != nil || len(all) != 2 {
		t.Fatalf("all holdings: %+v %v", all, err)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	next(leases.Freed, "camera.1", time.Second)

	ns, err := b.Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 2 || ns[0].Name != "a" || ns[0].Meta["addr"] != "10.0.0.1:8080" || ns[1].Name != "b" || ns[0].Started.IsZero() {
		t.Fatalf("nodes %+v", ns)
	}

	// A node that stops heartbeating: its lease and its heartbeat expire
	// on the server, and watchers hear of it within TTL and about a second.
	a.PauseRenewals(true)
	stopped := time.Now()
	got := map[string]bool{}
	timeout := time.After(r.ttl + 2*time.Second)
	for len(got) < 2 {
		select {
		case e := <-events:
			got[fmt.Sprintf("%v %s", e.Kind, e.Key)] = true
		case <-timeout:
			t.Fatalf("after TTL and 2s, only %v", got)
		}
	}
	if !got["freed held.before"] || !got["left a"] {
		t.Fatalf("events %v, want a's lease freed and a left", got)
	}
	t.Logf("expiry seen %v after the last renewal", time.Since(stopped))
	// The list is a view of heartbeats that a loaded machine can delay
	// by more than this test's 1 s TTL: it converges to b alone.
	eventually(t, 5*time.Second, "the nodes to be b alone after a left", func() bool {
		ns, err := b.Nodes(ctx)
		return err == nil && len(ns) == 1 && ns[0].Name == "b"
	})
	a.PauseRenewals(false)
	eventually(t, 2*time.Second, "a heartbeats again", func() bool {
		select {
		case e := <-events:
			return e.Kind == leases.Joined && e.Key == "a"
		default:
			return false
		}
	})
	c := r.open(2, "c")
	next(leases.Joined, "c", time.Second)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	next(leases.Left, "c", time.Second)
}

// TestCloseReleasesEverything: Close frees every lease at once (another
// node claims them without waiting for a TTL), closes Lost, Watch and the
// Assigner, and leaves no goroutine behind.
func TestCloseReleasesEverything(t *testing.T) {
	r := newRig(t)
	b := r.open(0, "b")
	ctx := ctxT(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	a := r.open(1, "a")
	var ls []*leases.Lease
	for i := range 5 {
		l, err := a.Claim(ctx, fmt.Sprintf("k.%d", i))
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	events, err := a.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	runs := newRuns(t)
	as, err := a.NewAssigner(runs.config("a"))
	if err != nil {
		t.Fatal(err)
	}
	as.Set([]string{"cam.1", "cam.2"})
	eventually(t, 5*time.Second, "a runs both cameras", func() bool { return len(as.Held()) == 2 })
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if !closed(l.Lost()) {
			t.Fatalf("%s: Lost open after Close", l.Key())
		}
	}
	for range events { // closed by Close
	}
	if _, n := runs.spread(); n != 0 {
		t.Fatalf("%d keys still run after Close", n)
	}
	for _, k := range []string{"k.0", "k.4", "cam.1", "cam.2"} {
		if _, err := b.Claim(ctx, k); err != nil {
			t.Fatalf("claim of %s after the holder closed: %v", k, err)
		}
	}
	if _, err := a.Claim(ctx, "k.9"); err != leases.ErrClosed {
		t.Fatalf("Claim after Close: %v", err)
	}
	r.conns[1].Close() // a's connection, so that its goroutines end too
}

// TestPreferredSpread: rendezvous hashing spreads keys evenly and moves
// only the keys of a node that leaves.
func TestPreferredSpread(t *testing.T) {
	nodes := []string{"n1", "n2", "n3", "n4"}
	count := map[string]int{}
	before := map[string]string{}
	for i := range 4000 {
		k := fmt.Sprintf("camera.%d", i)
		p := leases.Preferred(k, nodes)
		count[p]++
		before[k] = p
	}
	for _, n := range nodes {
		if count[n] < 900 || count[n] > 1100 {
			t.Errorf("%s prefers %d of 4000 keys", n, count[n])
		}
	}
	rest := slices.DeleteFunc(slices.Clone(nodes), func(n string) bool { return n == "n2" })
	for k, p := range before {
		if q := leases.Preferred(k, rest); p != "n2" && q != p {
			t.Fatalf("%s moved from %s to %s though %s stayed", k, p, q, p)
		}
	}
	if leases.Preferred("k", nil) != "" {
		t.Fatal("no nodes")
	}
}
