package kds_test

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/web/kds"
)

// TestListShardsFilterTimes: ShardFilter as AWS documents it, by the
// shards' open and close times, on a stream whose shard 0 was split into
// 1 and 2, which were merged into 3 (a minute between each step).
func TestListShardsFilterTimes(t *testing.T) {
	clock := &testClock{}
	e := newEnv(t, streams.Config{Now: clock.Now}, kds.Config{Now: clock.Now})
	ctx := ctxT(t)
	e.create(t, "times", 1)
	created := clock.Now()
	clock.advance(time.Minute)
	beforeSplit := clock.Now()
	clock.advance(time.Minute)
	if _, err := e.client.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("times"), ShardToSplit: aws.String("shardId-000000000000"),
		NewStartingHashKey: aws.String("170141183460469231731687303715884105728")}); err != nil {
		t.Fatal(err)
	}
	e.waitActive(t, "times")
	clock.advance(time.Minute)
	betweenSteps := clock.Now()
	clock.advance(time.Minute)
	if _, err := e.client.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String("times"), ShardToMerge: aws.String("shardId-000000000001"),
		AdjacentShardToMerge: aws.String("shardId-000000000002")}); err != nil {
		t.Fatal(err)
	}
	e.waitActive(t, "times")
	clock.advance(time.Minute)
	afterMerge := clock.Now()

	for _, tc := range []struct {
		name string
		f    types.ShardFilter
		want []int
	}{
		{"AT_TRIM_HORIZON", types.ShardFilter{Type: types.ShardFilterTypeAtTrimHorizon}, []int{0}},
		{"FROM_TRIM_HORIZON", types.ShardFilter{Type: types.ShardFilterTypeFromTrimHorizon}, []int{0, 1, 2, 3}},
		{"AT_LATEST", types.ShardFilter{Type: types.ShardFilterTypeAtLatest}, []int{3}},
		{"AT_TIMESTAMP before the split", types.ShardFilter{Type: types.ShardFilterTypeAtTimestamp, Timestamp: aws.Time(beforeSplit)}, []int{0}},
		{"AT_TIMESTAMP between", types.ShardFilter{Type: types.ShardFilterTypeAtTimestamp, Timestamp: aws.Time(betweenSteps)}, []int{1, 2}},
		{"AT_TIMESTAMP after the merge", types.ShardFilter{Type: types.ShardFilterTypeAtTimestamp, Timestamp: aws.Time(afterMerge)}, []int{3}},
		{"AT_TIMESTAMP before the stream (the trim horizon)", types.ShardFilter{Type: types.ShardFilterTypeAtTimestamp, Timestamp: aws.Time(created.Add(-time.Hour))}, []int{0}},
		{"FROM_TIMESTAMP between", types.ShardFilter{Type: types.ShardFilterTypeFromTimestamp, Timestamp: aws.Time(betweenSteps)}, []int{1, 2, 3}},
		{"FROM_TIMESTAMP after the merge", types.ShardFilter{Type: types.ShardFilterTypeFromTimestamp, Timestamp: aws.Time(afterMerge)}, []int{3}},
		{"FROM_TIMESTAMP before the stream", types.ShardFilter{Type: types.ShardFilterTypeFromTimestamp, Timestamp: aws.Time(created.Add(-time.Hour))}, []int{0, 1, 2, 3}},
		{"AFTER_SHARD_ID, any text ending in -<number>", types.ShardFilter{Type: types.ShardFilterTypeAfterShardId, ShardId: aws.String("anything-1")}, []int{2, 3}},
	} {
		out, err := e.client.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("times"), ShardFilter: &tc.f})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got []int
		for _, sh := range out.Shards {
			var n int
			for _, c := range *sh.ShardId {
				if c >= '0' && c <= '9' {
					n = n*10 + int(c-'0')
				}
			}
			got = append(got, n)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: shards %v, want %v", tc.name, got, tc.want)
		}
	}
}
