package streams_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/embedded"
	"github.com/sluice-dev/sluice/streams/streamstest"
)

// clusterConfig is the core configuration of the cluster tests: R3, short
// timeouts as test parameters.
func clusterConfig() streams.Config {
	return streams.Config{
		Replicas:           3,
		AttemptTimeout:     2 * time.Second,
		TransitionTakeover: 200 * time.Millisecond,
		ClaimTTL:           time.Second,
		Logger:             slog.New(slog.DiscardHandler),
	}
}

// openCores opens one core per cluster server, all at the same moment.
func openCores(t *testing.T, cl *streamstest.Cluster, cfgs ...streams.Config) []*streams.Core {
	t.Helper()
	ctx, cancel := context.WithTimeout(bg, 30*time.Second)
	defer cancel()
	cores := make([]*streams.Core, len(cfgs))
	errs := make([]error, len(cfgs))
	var wg sync.WaitGroup
	for i, cfg := range cfgs {
		nc := cl.Connect(i)
		wg.Go(func() {
			start := time.Now()
			cores[i], errs[i] = streams.Open(ctx, nc, cfg)
			t.Logf("core %d open in %v", i, time.Since(start).Round(time.Millisecond))
		})
	}
	wg.Wait()
	for i, c := range cores {
		if c != nil {
			t.Cleanup(func() { c.Close() })
		}
		if errs[i] != nil {
			t.Fatalf("core %d: %v", i, errs[i])
		}
	}
	return cores
}

func threeCores(t *testing.T) (*streamstest.Cluster, []*streams.Core) {
	t.Helper()
	cl := streamstest.StartCluster(t, 3)
	return cl, openCores(t, cl, clusterConfig(), clusterConfig(), clusterConfig())
}

// TestClusterOpenTogether: three nodes started at the same moment on a
// fresh R3 cluster all come up (issue 12: all three timed out creating the
// metadata bucket).
func TestClusterOpenTogether(t *testing.T) {
	cl := streamstest.StartCluster(t, 3)
	start := time.Now()
	openCores(t, cl, clusterConfig(), clusterConfig(), clusterConfig())
	t.Logf("3 cores open in %v", time.Since(start).Round(time.Millisecond))
}

// TestClusterCreateEverywhere creates 9 two-shard streams through the three
// cores at once; every stream is ACTIVE on every core shortly after, and a
// core that did not create a stream never answers not-found for it once the
// create returned.
func TestClusterCreateEverywhere(t *testing.T) {
	_, cores := threeCores(t)
	var wg sync.WaitGroup
	for i := range 9 {
		c, other := cores[i%3], cores[(i+1)%3]
		name := fmt.Sprintf("s%d", i)
		wg.Go(func() {
			if err := c.CreateStream(bg, name, streams.CreateOptions{ShardCount: 2}); err != nil {
				t.Errorf("create %s: %v", name, err)
				return
			}
			s, err := other.DescribeStream(bg, name)
			if err != nil || s.Status != streams.StatusCreating && s.Status != streams.StatusActive {
				t.Errorf("describe %s on another core right after create: %v %v", name, s.Status, err)
			}
		})
	}
	wg.Wait()
	start := time.Now()
	streamstest.Eventually(t, 10*time.Second, func() error {
		for ci, c := range cores {
			for i := range 9 {
				s, err := c.DescribeStream(bg, fmt.Sprintf("s%d", i))
				if err != nil || s.Status != streams.StatusActive || len(s.Shards) != 2 {
					return fmt.Errorf("core %d stream s%d: %s %v", ci, i, s.Status, err)
				}
			}
		}
		return nil
	})
	t.Logf("all ACTIVE everywhere %v after the last create", time.Since(start).Round(time.Millisecond))
	put(t, cores[2], "s0", entry("a", "x"), entry("b", "y"))
}

// TestClusterTakeover: the core that started a transition stops before
// finishing it; another core's watch finishes it.
func TestClusterTakeover(t *testing.T) {
	cl := streamstest.StartCluster(t, 3)
	slow := clusterConfig()
	slow.TransitionDelay = time.Hour // the starter never gets to it
	cores := openCores(t, cl, slow, clusterConfig(), clusterConfig())
	if err := cores[0].CreateStream(bg, "taken", streams.CreateOptions{ShardCount: 2}); err != nil {
		t.Fatal(err)
	}
	cores[0].Close()
	streamstest.Eventually(t, 10*time.Second, func() error {
		s, err := cores[1].DescribeStream(bg, "taken")
		if err != nil || s.Status != streams.StatusActive {
			return fmt.Errorf("%s %v", s.Status, err)
		}
		return nil
	})
	put(t, cores[2], "taken", entry("a", "x"))
	if err := cores[2].SplitShard(bg, "taken", "shardId-000000000000", "85070591730234615865843651857942052864"); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, cores[1], "taken", streams.StatusActive)
}

// TestConsumerActiveWithoutItsNode: a consumer registered on a node that
// stops at once still becomes ACTIVE (its status is derived from its
// activation time, not set by the node that registered it).
func TestConsumerActiveWithoutItsNode(t *testing.T) {
	cl := streamstest.StartCluster(t, 3)
	cfg := clusterConfig()
	cfg.TransitionDelay = 300 * time.Millisecond
	cores := openCores(t, cl, cfg, cfg, cfg)
	create(t, cores[0], "fanout", 1)
	c, err := cores[0].RegisterConsumer(bg, "fanout", "app")
	if err != nil || c.Status != "CREATING" {
		t.Fatalf("register: %+v %v", c, err)
	}
	cores[0].Close()
	streamstest.Eventually(t, 10*time.Second, func() error {
		got, err := cores[1].DescribeConsumer(bg, "", "", c.ARN)
		if err != nil || got.Status != "ACTIVE" {
			return fmt.Errorf("%s %v", got.Status, err)
		}
		return nil
	})
}

// TestClusterSubscribeClaim: one SubscribeToShard per consumer and shard
// across the cluster; the pair is free again when the holder ends, and
// when the holder's node stops without releasing it (after the claim TTL).
func TestClusterSubscribeClaim(t *testing.T) {
	_, cores := threeCores(t)
	create(t, cores[0], "sub", 1)
	cons, err := cores[0].RegisterConsumer(bg, "sub", "efo")
	if err != nil {
		t.Fatal(err)
	}
	shard := "shardId-000000000000"
	latest := streams.StartingPosition{Type: streams.Latest}
	var sub *streams.Subscription
	streamstest.Eventually(t, 10*time.Second, func() (err error) {
		sub, err = cores[1].SubscribeToShard(bg, cons.ARN, shard, latest)
		return err
	})
	for _, c := range cores {
		_, err := c.SubscribeToShard(bg, cons.ARN, shard, latest)
		wantKind(t, err, streams.ErrInUse)
	}
	sub.Close()
	streamstest.Eventually(t, 5*time.Second, func() (err error) {
		sub, err = cores[2].SubscribeToShard(bg, cons.ARN, shard, latest)
		return err
	})
	// A running subscription keeps its claim past the TTL.
	ctx, cancel := context.WithCancel(bg)
	ran := make(chan error, 1)
	go func() { ran <- sub.Run(ctx, func(streams.ShardEvent) error { return nil }) }()
	deadline := time.Now().Add(2500 * time.Millisecond)
	streamstest.Eventually(t, 5*time.Second, func() error {
		_, err := cores[0].SubscribeToShard(bg, cons.ARN, shard, latest)
		if !errors.Is(err, streams.ErrInUse) {
			t.Fatalf("second subscription while the first runs: %v", err)
		}
		if time.Now().Before(deadline) {
			return errors.New("still checking")
		}
		return nil
	})
	// The holder's node stops without releasing: the claim expires.
	cores[2].Close()
	cancel()
	<-ran
	streamstest.Eventually(t, 5*time.Second, func() (err error) {
		sub, err = cores[0].SubscribeToShard(bg, cons.ARN, shard, latest)
		return err
	})
	sub.Close()
}

// TestClusterServerLoss kills one of the three servers while the three
// cores write; every acknowledged record is read back.
func TestClusterServerLoss(t *testing.T) {
	cl, cores := threeCores(t)
	create(t, cores[1], "load", 4)
	streamstest.Eventually(t, 10*time.Second, func() error {
		for _, c := range cores {
			if s, err := c.DescribeStream(bg, "load"); err != nil || s.Status != streams.StatusActive {
				return fmt.Errorf("%s %v", s.Status, err)
			}
		}
		return nil
	})
	var (
		mu    sync.Mutex
		acked = map[string]bool{}
		n     atomic.Int64
		stop  = make(chan struct{})
		wg    sync.WaitGroup
	)
	for w := range 6 {
		c := cores[w%3]
		wg.Go(func() {
			for b := 0; ; b++ {
				select {
				case <-stop:
					return
				default:
				}
				var entries []streams.PutEntry
				for i := range 20 {
					entries = append(entries, entry(fmt.Sprintf("k%d", i), fmt.Sprintf("w%d-b%d-r%d", w, b, i)))
				}
				ctx, cancel := context.WithTimeout(bg, 5*time.Second)
				res, err := c.PutRecords(ctx, "load", entries)
				cancel()
				if err != nil {
					continue
				}
				mu.Lock()
				for i, r := range res {
					if r.Err == nil {
						acked[string(entries[i].Data)] = true
						n.Add(1)
					}
				}
				mu.Unlock()
			}
		})
	}
	streamstest.Eventually(t, 10*time.Second, func() error {
		if n.Load() < 2000 {
			return fmt.Errorf("%d records acknowledged", n.Load())
		}
		return nil
	})
	before := n.Load()
	cl.Shutdown(0)
	streamstest.Eventually(t, 20*time.Second, func() error {
		if n.Load() < before+2000 {
			return fmt.Errorf("%d records acknowledged since the server stopped", n.Load()-before)
		}
		return nil
	})
	close(stop)
	wg.Wait()
	t.Logf("%d records acknowledged, %d after the loss", n.Load(), n.Load()-before)

	got := map[string]bool{}
	s, err := cores[1].DescribeStream(bg, "load")
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range s.Shards {
		it, err := cores[1].GetShardIterator(bg, "load", sh.ID, streams.TrimHorizon, "", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		for {
			r, err := cores[1].GetRecords(bg, it, streams.MaxGetRecordsLimit)
			if err != nil {
				t.Fatal(err)
			}
			for _, rec := range r.Records {
				got[string(rec.Data)] = true
			}
			if len(r.Records) == 0 || r.NextIterator == "" {
				break
			}
			it = r.NextIterator
		}
	}
	missing := 0
	for k := range acked {
		if !got[k] {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged records missing", missing, len(acked))
	}
}

// TestLimitsAcrossNodes: two cores on one JetStream share a shard's write
// limit. The clock is frozen, so buckets never refill: once one core has
// used the shard's second of records, the other refuses writes as soon as
// the first one's usage report reached it.
func TestLimitsAcrossNodes(t *testing.T) {
	srv, err := embedded.Start(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	frozen := time.Now()
	cfg := streams.Config{
		Limits: streams.ThroughputLimits{Enabled: true, WriteRecordsPerSec: 100},
		Now:    func() time.Time { return frozen },
		Logger: slog.New(slog.DiscardHandler),
	}
	var cores []*streams.Core
	for i := range 2 {
		nc, err := srv.Connect(fmt.Sprint("node", i))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		c, err := streams.Open(bg, nc, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		cores = append(cores, c)
	}
	create(t, cores[0], "lim", 1)
	waitStatus(t, cores[1], "lim", streams.StatusActive)
	var entries []streams.PutEntry
	for i := range 100 {
		entries = append(entries, entry("k", fmt.Sprint(i)))
	}
	put(t, cores[0], "lim", entries...)
	accepted := 0
	streamstest.Eventually(t, 5*time.Second, func() error {
		res, err := cores[1].PutRecords(bg, "lim", []streams.PutEntry{entry("k", "other")})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Err == nil {
			accepted++
			return errors.New("the other core still accepts writes")
		}
		wantKind(t, res[0].Err, streams.ErrThroughputExceeded)
		return nil
	})
	if accepted > 20 {
		t.Fatalf("the other core accepted %d records of an exhausted shard", accepted)
	}
	t.Logf("the other core accepted %d records before the usage report arrived", accepted)
}
