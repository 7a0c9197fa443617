package leases_test

import (
	"testing"
	"time"
)

// TestCluster runs on a 3-server JetStream cluster with an R3 bucket: three
// nodes open at once on the fresh cluster, claim races resolve to one
// winner (the replicated CAS error differs), 30 keys spread, and the
// leases survive the shutdown of one server: every key runs on exactly
// one node all along, and tokens keep growing.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-server cluster")
	}
	begin := time.Now()
	r, cluster := newClusterRig(t, 3)
	t.Logf("cluster up in %v", time.Since(begin))
	t.Cleanup(func() { t.Logf("cleanup starts at %v", time.Since(begin)) })
	rs := newRuns(t)
	ks := keys(30)
	names := []string{"a", "b", "c"}
	opened := make(chan int, 3)
	for i := range names {
		go func() {
			r.open(i, names[i]) // all at once: the bucket is created by one, opened by the others
			opened <- i
		}()
	}
	for range names {
		<-opened
	}
	// r.open registered each Table for cleanup; reopen handles in order.
	t.Logf("three nodes opened at once by %v", time.Since(begin))
	tables := r.tablesByName()
	for _, n := range names {
		as, err := tables[n].NewAssigner(rs.config(n))
		if err != nil {
			t.Fatal(err)
		}
		as.Set(ks)
	}
	converged(t, rs, 10*time.Second, 30, names, 5)
	claimRace(t, r, 10)

	// The server that a's connection uses goes away: a reconnects to
	// another, the bucket keeps two of three replicas.
	cluster.Shutdown(0)
	t.Log("server s0 shut down")
	shut := time.Now()
	eventually(t, 15*time.Second, "two TTLs pass after the shutdown with every key running", func() bool {
		_, n := rs.spread()
		return n == 30 && time.Since(shut) > 2*r.ttl
	})
	converged(t, rs, 10*time.Second, 30, names, 1)
	for _, n := range names {
		start := time.Now()
		_, err := tables[n].Claim(ctxT(t), "after.shutdown."+n)
		t.Logf("%s: claim after the shutdown: %v in %v", n, err, time.Since(start))
	}
}
