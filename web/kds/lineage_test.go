package kds_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/web/kds"
)

// TestReshardLineage writes keyed records while the stream is split,
// merged and rescaled, then reads every shard from the oldest generation
// down, each parent to its end before its children (following ChildShards
// until NextShardIterator is nil), and checks that every record is read
// exactly once and, per partition key, in the order written.
func TestReshardLineage(t *testing.T) {
	// TransitionDelay keeps the stream UPDATING a while, so that writes
	// race the resharding.
	e := newEnv(t, streams.Config{TransitionDelay: 100 * time.Millisecond}, kds.Config{})
	c := e.client
	ctx := ctxT(t)
	const name = "lineage"
	e.create(t, name, 2)

	keys := make([]string, 24)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%02d", i)
	}
	var mu sync.Mutex
	rounds := 0
	putRound := func() {
		mu.Lock()
		defer mu.Unlock()
		var entries []types.PutRecordsRequestEntry
		for _, k := range keys {
			entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String(k), Data: []byte(k + ":" + strconv.Itoa(rounds))})
		}
		out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(name), Records: entries})
		if err != nil {
			t.Errorf("PutRecords: %v", err)
			return
		}
		if *out.FailedRecordCount != 0 {
			t.Errorf("round %d: %d records failed: %+v", rounds, *out.FailedRecordCount, out.Records)
			return
		}
		rounds++
	}
	for range 3 {
		putRound()
	}

	// Keep writing while the stream reshards.
	stop := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for {
			select {
			case <-stop:
				return
			default:
				putRound()
			}
		}
	}()
	if _, err := c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String(name), ShardToSplit: aws.String("shardId-000000000000"),
		NewStartingHashKey: aws.String("85070591730234615865843651857942052864")}); err != nil {
		t.Fatal(err)
	}
	e.waitActive(t, name)
	// Shard 3 is the upper child of 0: [2^126, 2^127-1], adjacent to 1.
	if _, err := c.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String(name), ShardToMerge: aws.String("shardId-000000000003"),
		AdjacentShardToMerge: aws.String("shardId-000000000001")}); err != nil {
		t.Fatal(err)
	}
	e.waitActive(t, name)
	if _, err := c.UpdateShardCount(ctx, &kinesis.UpdateShardCountInput{StreamName: aws.String(name), TargetShardCount: aws.Int32(3),
		ScalingType: types.ScalingTypeUniformScaling}); err != nil {
		t.Fatal(err)
	}
	e.waitActive(t, name)
	close(stop)
	<-writerDone
	for range 3 {
		putRound()
	}
	if t.Failed() {
		t.FailNow()
	}

	// Every shard, with its lineage.
	var all []types.Shard
	var token *string
	for {
		in := &kinesis.ListShardsInput{MaxResults: aws.Int32(3), NextToken: token}
		if token == nil {
			in.StreamName = aws.String(name)
		}
		out, err := c.ListShards(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, out.Shards...)
		if token = out.NextToken; token == nil {
			break
		}
	}
	byID := map[string]types.Shard{}
	for _, sh := range all {
		byID[*sh.ShardId] = sh
	}
	parents := func(sh types.Shard) []string {
		var ps []string
		for _, p := range []*string{sh.ParentShardId, sh.AdjacentParentShardId} {
			if p != nil {
				if _, ok := byID[*p]; ok {
					ps = append(ps, *p)
				}
			}
		}
		return ps
	}
	t.Logf("%d rounds over %d shards", rounds, len(all))

	next := map[string]int{} // per key: the round expected next
	done := map[string]bool{}
	var queue []string
	for _, sh := range all {
		if len(parents(sh)) == 0 {
			queue = append(queue, *sh.ShardId)
		}
	}
	if len(queue) != 2 {
		t.Fatalf("oldest generation %v, want the 2 original shards", queue)
	}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if done[id] {
			continue
		}
		if slices.ContainsFunc(parents(byID[id]), func(p string) bool { return !done[p] }) {
			queue = append(queue, id) // a merge child waits for both parents
			continue
		}
		children := readShard(t, e, name, byID[id], next)
		done[id] = true
		var want []string
		for _, sh := range all {
			if slices.Contains(parents(sh), id) {
				want = append(want, *sh.ShardId)
			}
		}
		if !slices.Equal(children, want) {
			t.Fatalf("%s: ChildShards %v, want %v", id, children, want)
		}
		queue = append(queue, children...)
	}
	if len(done) != len(all) {
		t.Fatalf("read %d of %d shards", len(done), len(all))
	}
	for _, k := range keys {
		if next[k] != rounds {
			t.Fatalf("%s: read %d records, wrote %d", k, next[k], rounds)
		}
	}
}

// readShard reads one shard from TRIM_HORIZON to its end (closed) or to the
// present (open), checking per-key order in next, and returns the
// ChildShards it reported.
func readShard(t *testing.T, e *env, stream string, sh types.Shard, next map[string]int) []string {
	t.Helper()
	ctx := ctxT(t)
	closed := sh.SequenceNumberRange.EndingSequenceNumber != nil
	it, err := e.client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	iter := it.ShardIterator
	for {
		out, err := e.client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(7)})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.Records {
			key, n, _ := strings.Cut(string(r.Data), ":")
			round, _ := strconv.Atoi(n)
			if key != *r.PartitionKey || round != next[key] {
				t.Fatalf("%s: record %s (key %s), want round %d", *sh.ShardId, r.Data, *r.PartitionKey, next[key])
			}
			next[key]++
		}
		if out.NextShardIterator == nil {
			if !closed {
				t.Fatalf("%s: open shard ended", *sh.ShardId)
			}
			var ids []string
			for _, ch := range out.ChildShards {
				if !slices.Contains(ch.ParentShards, *sh.ShardId) {
					t.Fatalf("child %s does not name parent %s: %v", *ch.ShardId, *sh.ShardId, ch.ParentShards)
				}
				ids = append(ids, *ch.ShardId)
			}
			return ids
		}
		if !closed && len(out.Records) == 0 && *out.MillisBehindLatest == 0 {
			return nil
		}
		iter = out.NextShardIterator
	}
}
