package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// shard is what the benchmark needs to know of one shard.
type shard struct {
	ID        string
	StartHash string // starting hash key, for routing a probe record to it
	Open      bool   // no ending sequence number: still accepts records
}

// ensureStream creates the stream with n shards unless it exists, then
// waits until it is ACTIVE and returns its ARN. created says whether this
// call created it.
func ensureStream(ctx context.Context, c *kinesis.Client, name string, n int) (arn string, created bool, err error) {
	_, err = c.CreateStream(ctx, &kinesis.CreateStreamInput{
		StreamName: aws.String(name),
		ShardCount: aws.Int32(int32(n)),
	})
	switch {
	case err == nil:
		created = true
	case errorCode(err) == "ResourceInUseException":
	default:
		return "", false, fmt.Errorf("CreateStream %s: %w", name, err)
	}
	arn, err = waitActive(ctx, c, name, 2*time.Minute)
	return arn, created, err
}

// waitActive polls DescribeStream until the stream is ACTIVE, for at most
// limit, and returns the stream's ARN.
func waitActive(ctx context.Context, c *kinesis.Client, name string, limit time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		out, err := c.DescribeStream(ctx, &kinesis.DescribeStreamInput{
			StreamName: aws.String(name),
			Limit:      aws.Int32(1),
		})
		if err != nil {
			return "", fmt.Errorf("DescribeStream %s: %w", name, err)
		}
		d := out.StreamDescription
		if d.StreamStatus == types.StreamStatusActive {
			return aws.ToString(d.StreamARN), nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("stream %s not ACTIVE (still %s): %w", name, d.StreamStatus, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// listShards returns every shard of the stream, with ListShards, or with
// DescribeStream when the endpoint does not implement ListShards.
func listShards(ctx context.Context, c *kinesis.Client, name string) ([]shard, error) {
	shards, err := listShardsLS(ctx, c, name)
	if err == nil {
		return shards, nil
	}
	shards, err2 := listShardsDS(ctx, c, name)
	if err2 != nil {
		return nil, fmt.Errorf("ListShards: %v; DescribeStream: %w", err, err2)
	}
	return shards, nil
}

func listShardsLS(ctx context.Context, c *kinesis.Client, name string) ([]shard, error) {
	var out []shard
	in := &kinesis.ListShardsInput{StreamName: aws.String(name)}
	for page := 0; page < 1000; page++ {
		res, err := c.ListShards(ctx, in)
		if err != nil {
			return nil, err
		}
		out = appendShards(out, res.Shards)
		if res.NextToken == nil {
			return out, nil
		}
		in = &kinesis.ListShardsInput{NextToken: res.NextToken}
	}
	return nil, fmt.Errorf("ListShards: more than 1000 pages")
}

func listShardsDS(ctx context.Context, c *kinesis.Client, name string) ([]shard, error) {
	var out []shard
	in := &kinesis.DescribeStreamInput{StreamName: aws.String(name)}
	for page := 0; page < 1000; page++ {
		res, err := c.DescribeStream(ctx, in)
		if err != nil {
			return nil, err
		}
		d := res.StreamDescription
		out = appendShards(out, d.Shards)
		if !aws.ToBool(d.HasMoreShards) || len(d.Shards) == 0 {
			return out, nil
		}
		in.ExclusiveStartShardId = d.Shards[len(d.Shards)-1].ShardId
	}
	return nil, fmt.Errorf("DescribeStream: more than 1000 pages")
}

func appendShards(out []shard, in []types.Shard) []shard {
	for _, s := range in {
		sh := shard{ID: aws.ToString(s.ShardId), Open: true}
		if s.HashKeyRange != nil {
			sh.StartHash = aws.ToString(s.HashKeyRange.StartingHashKey)
		}
		if s.SequenceNumberRange != nil && s.SequenceNumberRange.EndingSequenceNumber != nil {
			sh.Open = false
		}
		out = append(out, sh)
	}
	return out
}

// openShards returns the shards that still accept records.
func openShards(all []shard) []shard {
	var out []shard
	for _, s := range all {
		if s.Open {
			out = append(out, s)
		}
	}
	return out
}
