package kds_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/web/kds"
)

// TestRetention shortens the retention hour to 50 ms: after the stream's 24
// "hours" its records are gone, and so is a shard closed by a split, whose
// children become the trim horizon.
func TestRetention(t *testing.T) {
	const hour = 50 * time.Millisecond
	e := newEnv(t, streams.Config{RetentionHour: hour}, kds.Config{})
	c := e.client
	ctx := ctxT(t)
	const name = "ret"
	e.create(t, name, 1)

	put := func(n int) {
		for i := range n {
			if _, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(name), PartitionKey: aws.String(fmt.Sprint(i)), Data: []byte("x")}); err != nil {
				t.Fatal(err)
			}
		}
	}
	count := func(shard string) (int, error) {
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(name), ShardId: aws.String(shard), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			return 0, err
		}
		out, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
		if err != nil {
			return 0, err
		}
		return len(out.Records), nil
	}

	put(10)
	written := time.Now()
	if n, err := count("shardId-000000000000"); err != nil || n != 10 {
		t.Fatalf("read %d records before expiry: %v", n, err)
	}
	if _, err := c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String(name), ShardToSplit: aws.String("shardId-000000000000"),
		NewStartingHashKey: aws.String("170141183460469231731687303715884105728")}); err != nil {
		t.Fatal(err)
	}
	e.waitActive(t, name)
	put(10)

	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		n1, err1 := count("shardId-000000000001")
		n2, err2 := count("shardId-000000000002")
		if len(out.Shards) == 2 && err1 == nil && err2 == nil && n1+n2 == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %d shards, %d+%d records (%v %v)", time.Since(written), len(out.Shards), n1, n2, err1, err2)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if age := time.Since(written); age < 24*hour {
		t.Fatalf("records gone after %v, before the retention of %v", age, 24*hour)
	}
	_, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(name), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	wantCode(t, err, "ResourceNotFoundException")
	roots, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(name), ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeAtTrimHorizon}})
	if err != nil || len(roots.Shards) != 2 || *roots.Shards[0].ShardId != "shardId-000000000001" {
		t.Fatalf("trim horizon after expiry: %+v %v", roots, err)
	}
}
