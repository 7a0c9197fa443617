package streams_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/streamstest"
)

func waitActive(t *testing.T, c *streams.Core, name string) streams.Stream {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err := c.DescribeStream(context.Background(), name)
		if err == nil && s.Status == streams.StatusActive {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream %s not ACTIVE: %+v %v", name, s.Status, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	c := streamstest.Open(t, streams.Config{})
	if err := c.CreateStream(ctx, "s1", streams.CreateOptions{ShardCount: 2}); err != nil {
		t.Fatal(err)
	}
	waitActive(t, c, "s1")
	var entries []streams.PutEntry
	for i := range 100 {
		entries = append(entries, streams.PutEntry{PartitionKey: fmt.Sprint("k", i), Data: []byte(fmt.Sprint("v", i))})
	}
	res, err := c.PutRecords(ctx, "s1", entries)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	total := 0
	for _, sh := range []string{"shardId-000000000000", "shardId-000000000001"} {
		it, err := c.GetShardIterator(ctx, "s1", sh, streams.TrimHorizon, "", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.GetRecords(ctx, it, 1000)
		if err != nil {
			t.Fatal(err)
		}
		total += len(r.Records)
		t.Logf("%s: %d records, next=%d chars behind=%d", sh, len(r.Records), len(r.NextIterator), r.MillisBehindLatest)
	}
	if total != 100 {
		t.Fatalf("read %d records, want 100", total)
	}
	if err := c.SplitShard(ctx, "s1", "shardId-000000000000", "85070591730234615865843651857942052864"); err != nil {
		t.Fatal(err)
	}
	s := waitActive(t, c, "s1")
	for _, sh := range s.Shards {
		t.Logf("%+v", sh)
	}
	if len(s.Shards) != 4 {
		t.Fatalf("want 4 shards, got %d", len(s.Shards))
	}
}
