package kds_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/sluice-dev/sluice/streams"
)

// A SubscribeToShard from AT_TIMESTAMP later than the last record of a
// closed shard ends at once with the ChildShards event, as it does from
// TRIM_HORIZON, LATEST and earlier timestamps (a regression test: it once
// idled until the session's end without ChildShards).
func TestSubscribeAtTimestampPastClosedShardEnd(t *testing.T) {
	e, consumerARN := subscribeEnv(t, streams.Config{SubscriptionTTL: 10 * time.Second})
	ctx := ctxT(t)
	e.putN(t, 0, 3)
	if _, err := e.client.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("sub"), ShardToSplit: aws.String("shardId-000000000000"),
		NewStartingHashKey: aws.String("170141183460469231731687303715884105728")}); err != nil {
		t.Fatal(err)
	}
	e.waitActive(t, "sub")
	out, err := e.client.SubscribeToShard(ctx, &kinesis.SubscribeToShardInput{ConsumerARN: aws.String(consumerARN), ShardId: aws.String("shardId-000000000000"),
		StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeAtTimestamp, Timestamp: aws.Time(time.Now())}})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()
	children := 0
	for ev := range stream.Events() {
		children += len(ev.(*types.SubscribeToShardEventStreamMemberSubscribeToShardEvent).Value.ChildShards)
	}
	if children != 2 {
		t.Fatalf("stream ended with %d child shards, want 2", children)
	}
}
