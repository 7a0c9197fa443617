package leases_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/leases"
)

func keys(n int) []string {
	var ks []string
	for i := range n {
		ks = append(ks, fmt.Sprintf("camera.%d", i))
	}
	return ks
}

// converged waits until every key runs, each on one node (runs checks
// that), spread over nodes with at least min keys each.
func converged(t *testing.T, rs *runs, d time.Duration, nkeys int, nodes []string, min int) time.Duration {
	t.Helper()
	start := time.Now()
	eventually(t, d, fmt.Sprintf("%d keys spread over %v", nkeys, nodes), func() bool {
		per, n := rs.spread()
		if n != nkeys || len(per) != len(nodes) {
			return false
		}
		for _, node := range nodes {
			if per[node] < min {
				return false
			}
		}
		return true
	})
	per, _ := rs.spread()
	t.Logf("converged in %v: %v", time.Since(start), per)
	return time.Since(start)
}

// TestAssignerSpread: three nodes wanting the same 30 keys spread them
// roughly evenly; when one node is cut off (its connection closed: no
// renewals, no heartbeat, no release) the others take its keys within
// TTL and a second or so; a node closing hands its keys over at once, and
// a node joining takes its share.
func TestAssignerSpread(t *testing.T) {
	r := newRig(t)
	rs := newRuns(t)
	ks := keys(30)
	tables := map[string]*leases.Table{}
	for i, n := range []string{"a", "b", "c"} {
		tables[n] = r.open(i, n)
		as, err := tables[n].NewAssigner(rs.config(n))
		if err != nil {
			t.Fatal(err)
		}
		as.Set(ks)
	}
	converged(t, rs, 5*time.Second, 30, []string{"a", "b", "c"}, 5)

	r.conns[2].Close() // c is cut off
	took := converged(t, rs, r.ttl+3*time.Second, 30, []string{"a", "b"}, 10)
	if took > r.ttl+1500*time.Millisecond {
		t.Errorf("keys of a lost node moved after %v (TTL %v)", took, r.ttl)
	}

	d := r.open(3, "d")
	as, err := d.NewAssigner(rs.config("d"))
	if err != nil {
		t.Fatal(err)
	}
	as.Set(ks)
	converged(t, rs, 5*time.Second, 30, []string{"a", "b", "d"}, 5)

	if err := tables["a"].Close(); err != nil {
		t.Fatal(err)
	}
	took = converged(t, rs, 5*time.Second, 30, []string{"b", "d"}, 10)
	if took > time.Second {
		t.Errorf("keys of a closed node moved after %v", took)
	}

	as.Set(ks[:10]) // d drops 20 keys; b takes them, after Grace those d is preferred for
	eventually(t, 5*time.Second, "d gives up what it no longer wants", func() bool {
		for _, k := range as.Held() {
			if !slices.Contains(ks[:10], k) {
				return false
			}
		}
		return true
	})
	converged(t, rs, 2*r.ttl+3*time.Second, 30, []string{"b", "d"}, 1)
	if per, _ := rs.spread(); per["b"] < 20 {
		t.Fatalf("b runs %d keys", per["b"])
	}
}
