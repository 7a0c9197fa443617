package streams_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/streamstest"
)

// TestOnDemandScaling: an ON_DEMAND stream fed above half the per-shard
// limit (lowered here to 64 KiB/s, windows of 1 s) splits its 4 shards;
// fed nothing it merges back to 4; children name their parents, and every
// record is read back once, in order per key, reading shards parents
// first.
func TestOnDemandScaling(t *testing.T) {
	c := streamstest.Open(t, streams.Config{OnDemandWindow: time.Second, OnDemandColdWindows: 2,
		Limits: streams.ThroughputLimits{WriteBytesPerSec: 64 << 10, WriteRecordsPerSec: 10_000}})
	if err := c.CreateStream(bg, "od", streams.CreateOptions{Mode: streams.ModeOnDemand}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "od", streams.StatusActive)
	ctx, cancel := context.WithCancel(bg)
	var wg sync.WaitGroup
	wg.Go(func() { c.RunOnDemandScaler(ctx) })
	defer func() { cancel(); wg.Wait() }()

	openShards := func() int {
		s, err := c.DescribeStream(bg, "od")
		if err != nil {
			t.Fatal(err)
		}
		return len(s.OpenShards())
	}
	// About 400 KiB/s over 4 shards: each well above 32 KiB/s.
	const keys = 32
	next := make([]int, keys)
	var written atomic.Int64
	payload := strings.Repeat("x", 1000)
	grown := false
	for deadline := time.Now().Add(20 * time.Second); !grown; {
		if time.Now().After(deadline) {
			t.Fatalf("still %d open shards after 20 s of writes", openShards())
		}
		var batch []streams.PutEntry
		for range 20 {
			k := int(written.Load()) % keys
			batch = append(batch, streams.PutEntry{PartitionKey: fmt.Sprint("k", k), Data: []byte(fmt.Sprintf("%d:%s", next[k], payload))})
			next[k]++
			written.Add(1)
		}
		put(t, c, "od", batch...)
		time.Sleep(50 * time.Millisecond) // the producer's pace: ~20 batches a second
		grown = openShards() > 4
	}
	streamstest.Eventually(t, 30*time.Second, func() error {
		if n := openShards(); n != 4 {
			return fmt.Errorf("%d open shards, want back to 4", n)
		}
		return nil
	})
	s, err := c.DescribeStream(bg, "od")
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string][]int{}
	for _, sh := range s.Shards { // in index order: parents before children
		if sh.ID > "shardId-000000000003" && sh.ParentID == "" {
			t.Fatalf("%s names no parent", sh.ID)
		}
		recs, _ := readAll(t, c, "od", sh.ID)
		for _, r := range recs {
			n, _ := strconv.Atoi(strings.SplitN(string(r.Data), ":", 2)[0])
			byKey[r.PartitionKey] = append(byKey[r.PartitionKey], n)
		}
	}
	total := 0
	for k := range keys {
		got := byKey[fmt.Sprint("k", k)]
		for i, n := range got {
			if n != i {
				t.Fatalf("key k%d: record %d read as number %d (%v)", k, i, n, got)
			}
		}
		if len(got) != next[k] {
			t.Fatalf("key k%d: %d of %d records read", k, len(got), next[k])
		}
		total += len(got)
	}
	t.Logf("%d records; %d shards in all (split, then merged back to 4 open)", total, len(s.Shards))
}

// UpdateStreamMode: twice in 24 hours, as AWS; the third waits a day.
func TestStreamModeChangesPerDay(t *testing.T) {
	var off atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(off.Load())) }
	c := streamstest.Open(t, streams.Config{Now: now})
	create(t, c, "mode", 1)
	for _, m := range []streams.StreamMode{streams.ModeOnDemand, streams.ModeProvisioned} {
		if err := c.UpdateStreamMode(bg, "mode", m); err != nil {
			t.Fatal(err)
		}
		s := waitStatus(t, c, "mode", streams.StatusActive)
		if s.Mode != m {
			t.Fatalf("mode %s, want %s", s.Mode, m)
		}
	}
	wantKind(t, c.UpdateStreamMode(bg, "mode", streams.ModeOnDemand), streams.ErrLimitExceeded)
	off.Add(int64(24 * time.Hour))
	if err := c.UpdateStreamMode(bg, "mode", streams.ModeOnDemand); err != nil {
		t.Fatalf("a day later: %v", err)
	}
}
