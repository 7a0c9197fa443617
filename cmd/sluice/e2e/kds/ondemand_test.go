package kds

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/sluice-dev/sluice/internal/e2e"
)

// TestOnDemandScalesWithTraffic: an ON_DEMAND stream (4 shards) fed about
// 3 MB/s with the SDK grows to more open shards within a few evaluation
// windows (--on-demand-window 2s), its children naming their parents;
// fed nothing, it merges back to 4; every record is read back once, in
// order per key, reading the shards parents first.
func TestOnDemandScalesWithTraffic(t *testing.T) {
	srv := e2e.StartServer(t, t.TempDir(), "--on-demand-window", "2s")
	kc := e2e.KinesisClient(srv.URL)
	ctx := context.Background()
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("od"),
		StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand}}); err != nil {
		t.Fatal(err)
	}
	e2e.WaitStreamActive(t, kc, "od")
	summary := func() *types.StreamDescriptionSummary {
		out, err := kc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("od")})
		if err != nil {
			t.Fatal(err)
		}
		return out.StreamDescriptionSummary
	}
	if s := summary(); aws.ToInt32(s.OpenShardCount) != 4 || s.StreamModeDetails.StreamMode != types.StreamModeOnDemand {
		t.Fatalf("a new ON_DEMAND stream: %d open shards, mode %s", aws.ToInt32(s.OpenShardCount), s.StreamModeDetails.StreamMode)
	}

	// 64 keys, records of 24 KiB: a batch has one record per key (a failed
	// one is sent again before the key's next), two batches a second:
	// about 3 MB/s, 750 KB/s per shard (the limit is 1 MiB/s).
	const keys = 64
	next := make([]int, keys)
	payload := strings.Repeat("x", 24<<10)
	sent := 0
	began := time.Now()
	for tick := time.NewTicker(500 * time.Millisecond); ; <-tick.C {
		if n := aws.ToInt32(summary().OpenShardCount); n > 4 {
			t.Logf("%d open shards after %v of writes (%d records)", n, time.Since(began).Round(time.Second), sent)
			tick.Stop()
			break
		}
		if time.Since(began) > 60*time.Second {
			t.Fatal("still 4 open shards after 60 s at 3 MB/s")
		}
		entries := make([]types.PutRecordsRequestEntry, keys)
		for k := range keys {
			entries[k] = types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprint("key-", k)), Data: []byte(fmt.Sprintf("%d:%s", next[k], payload))}
		}
		out, err := kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("od"), Records: entries})
		if err != nil {
			t.Fatal(err)
		}
		for k, r := range out.Records {
			if r.ErrorCode == nil {
				next[k]++
				sent++
			}
		}
	}
	e2e.WaitFor(t, 60*time.Second, "the stream to merge back to 4 open shards", func() bool {
		s := summary()
		return s.StreamStatus == types.StreamStatusActive && aws.ToInt32(s.OpenShardCount) == 4
	})

	shards, err := kc.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("od")})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]int{}
	for _, sh := range shards.Shards { // in index order: parents before children
		if *sh.ShardId > "shardId-000000000003" && sh.ParentShardId == nil {
			t.Fatalf("%s names no parent", *sh.ShardId)
		}
		it, err := kc.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("od"), ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		for iter := it.ShardIterator; iter != nil; {
			out := e2e.GetRecords(t, kc, iter)
			for _, r := range out.Records {
				n, _ := strconv.Atoi(strings.SplitN(string(r.Data), ":", 2)[0])
				got[*r.PartitionKey] = append(got[*r.PartitionKey], n)
			}
			if len(out.Records) == 0 && sh.SequenceNumberRange.EndingSequenceNumber == nil {
				break // an open shard, read to its end
			}
			iter = out.NextShardIterator
		}
	}
	for k := range keys {
		key := fmt.Sprint("key-", k)
		for i, n := range got[key] {
			if n != i {
				t.Fatalf("%s: record %d read as number %d", key, i, n)
			}
		}
		if len(got[key]) != next[k] {
			t.Fatalf("%s: %d of %d records read back", key, len(got[key]), next[k])
		}
	}
	t.Logf("%d records read back once each, in order per key, across %d shards", sent, len(shards.Shards))
}
