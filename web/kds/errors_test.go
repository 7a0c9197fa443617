package kds_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/web/kds"
)

// TestErrors checks the error paths that need no special core settings:
// the AWS error name the SDK sees and, where it is fixed, the message.
func TestErrors(t *testing.T) {
	clock := &testClock{}
	e := newEnv(t, streams.Config{}, kds.Config{Now: clock.Now})
	c := e.client
	ctx := ctxT(t)
	e.create(t, "s", 2)
	e.create(t, "od", 1)
	arn := "arn:aws:kinesis:us-east-1:000000000000:stream/s"
	if _, err := c.UpdateStreamMode(ctx, &kinesis.UpdateStreamModeInput{StreamARN: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/od"),
		StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand}}); err != nil {
		t.Fatal(err)
	}
	e.waitActive(t, "od")
	reg, err := c.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: aws.String(arn), ConsumerName: aws.String("cons")})
	if err != nil {
		t.Fatal(err)
	}
	consumerARN := *reg.Consumer.ConsumerARN
	big := bytes.Repeat([]byte("x"), 1_000_000)
	var bigRecords []types.PutRecordsRequestEntry
	for range 11 {
		bigRecords = append(bigRecords, types.PutRecordsRequestEntry{PartitionKey: aws.String("k"), Data: big})
	}

	for _, tc := range []struct {
		name string
		call func() error
		code string
		msg  string // exact message when not empty
	}{
		{"not found", func() error {
			_, err := c.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("nope")})
			return err
		}, "ResourceNotFoundException", "Stream nope under account 000000000000 not found."},
		{"not found by ARN of another account", func() error {
			_, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamARN: aws.String("arn:aws:kinesis:us-east-1:123456789012:stream/s")})
			return err
		}, "ResourceNotFoundException", "Stream s under account 123456789012 not found."},
		{"shard not found", func() error {
			_, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String("shardId-000000000009"), ShardIteratorType: types.ShardIteratorTypeLatest})
			return err
		}, "ResourceNotFoundException", ""},
		{"consumer not found", func() error {
			_, err := c.DescribeStreamConsumer(ctx, &kinesis.DescribeStreamConsumerInput{StreamARN: aws.String(arn), ConsumerName: aws.String("ghost")})
			return err
		}, "ResourceNotFoundException", ""},
		{"stream exists", func() error {
			_, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("s"), ShardCount: aws.Int32(1)})
			return err
		}, "ResourceInUseException", "Stream s under account 000000000000 already exists."},
		{"delete with consumers", func() error {
			_, err := c.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("s")})
			return err
		}, "ResourceInUseException", ""},
		{"neither name nor ARN", func() error {
			_, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{})
			return err
		}, "InvalidArgumentException", "Either StreamName or StreamARN must be provided."},
		{"name and ARN disagree", func() error {
			_, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("od"), StreamARN: aws.String(arn)})
			return err
		}, "InvalidArgumentException", ""},
		{"split outside the shard", func() error {
			_, err := c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("s"), ShardToSplit: aws.String("shardId-000000000000"), NewStartingHashKey: aws.String("1")})
			return err
		}, "InvalidArgumentException", ""},
		{"merge not adjacent", func() error {
			_, err := c.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String("s"), ShardToMerge: aws.String("shardId-000000000000"), AdjacentShardToMerge: aws.String("shardId-000000000000")})
			return err
		}, "InvalidArgumentException", ""},
		{"retention decrease that increases", func() error {
			_, err := c.DecreaseStreamRetentionPeriod(ctx, &kinesis.DecreaseStreamRetentionPeriodInput{StreamName: aws.String("s"), RetentionPeriodHours: aws.Int32(48)})
			return err
		}, "InvalidArgumentException", "Requested retention period (48 hours) for stream s can not be longer than existing retention period (24 hours). Use IncreaseRetentionPeriod API."},
		{"explicit hash key out of range", func() error {
			_, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("k"), Data: []byte("x"),
				ExplicitHashKey: aws.String("999999999999999999999999999999999999999")})
			return err
		}, "InvalidArgumentException", "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was 999999999999999999999999999999999999999"},
		{"record larger than the stream allows", func() error {
			_, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("k"), Data: bytes.Repeat([]byte("x"), 1<<20)})
			return err
		}, "InvalidArgumentException", ""},
		{"PutRecords over 10 MiB", func() error {
			_, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: bigRecords})
			return err
		}, "InvalidArgumentException", "Records size exceeds 10 MB limit"},
		{"iterator type without sequence number", func() error {
			_, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber})
			return err
		}, "InvalidArgumentException", "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber."},
		{"TRIM_HORIZON with sequence number", func() error {
			_, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon, StartingSequenceNumber: aws.String("1")})
			return err
		}, "InvalidArgumentException", "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified TRIM_HORIZON and also a StartingSequenceNumber."},
		{"sequence number of another shard", func() error {
			_, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber,
				StartingSequenceNumber: aws.String("49000000000100000000000000000001")})
			return err
		}, "InvalidArgumentException", ""},
		{"AT_TIMESTAMP without timestamp", func() error {
			_, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeAtTimestamp})
			return err
		}, "InvalidArgumentException", "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter."},
		{"AT_TIMESTAMP in the future", func() error {
			_, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeAtTimestamp, Timestamp: aws.Time(time.Now().Add(time.Hour))})
			return err
		}, "InvalidArgumentException", ""},
		{"forged iterator", func() error {
			_, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")})
			return err
		}, "InvalidArgumentException", "Invalid ShardIterator."},
		{"ListShards with neither", func() error {
			_, err := c.ListShards(ctx, &kinesis.ListShardsInput{})
			return err
		}, "InvalidArgumentException", "Either NextToken or StreamName should be provided."},
		{"ListShards with token and name", func() error {
			_, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("s"), NextToken: aws.String("abc")})
			return err
		}, "InvalidArgumentException", "NextToken and StreamName cannot be provided together."},
		{"ListShards of a re-created stream", func() error {
			_, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("s"), StreamCreationTimestamp: aws.Time(time.Unix(1000, 0))})
			return err
		}, "ResourceNotFoundException", "Stream s under account 000000000000 not found."},
		{"AFTER_SHARD_ID without shard", func() error {
			_, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("s"), ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeAfterShardId}})
			return err
		}, "InvalidArgumentException", ""},
		{"invalid NextToken", func() error {
			_, err := c.ListStreams(ctx, &kinesis.ListStreamsInput{NextToken: aws.String("not-a-token")})
			return err
		}, "InvalidArgumentException", "Invalid NextToken."},
		{"tags on a consumer", func() error {
			_, err := c.TagResource(ctx, &kinesis.TagResourceInput{ResourceARN: aws.String(consumerARN), Tags: map[string]string{"a": "b"}})
			return err
		}, "InvalidArgumentException", ""},
		{"consumer registered with tags", func() error {
			_, err := c.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: aws.String(arn), ConsumerName: aws.String("tagged"), Tags: map[string]string{"a": "b"}})
			return err
		}, "InvalidArgumentException", ""},
		{"tag with bad characters", func() error {
			_, err := c.AddTagsToStream(ctx, &kinesis.AddTagsToStreamInput{StreamName: aws.String("s"), Tags: map[string]string{"a%": "b"}})
			return err
		}, "InvalidArgumentException", ""},
		{"consumer by name without stream", func() error {
			_, err := c.DescribeStreamConsumer(ctx, &kinesis.DescribeStreamConsumerInput{ConsumerName: aws.String("cons")})
			return err
		}, "InvalidArgumentException", "Either ConsumerARN or both StreamARN and ConsumerName must be provided."},
		{"start encryption NONE", func() error {
			_, err := c.StartStreamEncryption(ctx, &kinesis.StartStreamEncryptionInput{StreamName: aws.String("s"), EncryptionType: types.EncryptionTypeNone, KeyId: aws.String("k")})
			return err
		}, "InvalidArgumentException", ""},
		{"UpdateShardCount of an on-demand stream", func() error {
			_, err := c.UpdateShardCount(ctx, &kinesis.UpdateShardCountInput{StreamName: aws.String("od"), TargetShardCount: aws.Int32(2), ScalingType: types.ScalingTypeUniformScaling})
			return err
		}, "ValidationException", ""},
		{"UpdateShardCount more than double", func() error {
			_, err := c.UpdateShardCount(ctx, &kinesis.UpdateShardCountInput{StreamName: aws.String("s"), TargetShardCount: aws.Int32(5), ScalingType: types.ScalingTypeUniformScaling})
			return err
		}, "LimitExceededException", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			wantCode(t, err, tc.code)
			if tc.msg != "" && apiMessage(err) != tc.msg {
				t.Fatalf("message %q\n want %q", apiMessage(err), tc.msg)
			}
		})
	}

	t.Run("expired NextToken", func(t *testing.T) {
		out, err := c.ListStreams(ctx, &kinesis.ListStreamsInput{Limit: aws.Int32(1)})
		if err != nil || out.NextToken == nil {
			t.Fatalf("%+v %v", out, err)
		}
		shards, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("s"), MaxResults: aws.Int32(1)})
		if err != nil || shards.NextToken == nil {
			t.Fatalf("%+v %v", shards, err)
		}
		clock.advance(301 * time.Second)
		_, err = c.ListStreams(ctx, &kinesis.ListStreamsInput{NextToken: out.NextToken})
		wantCode(t, err, "ExpiredNextTokenException")
		_, err = c.ListShards(ctx, &kinesis.ListShardsInput{NextToken: shards.NextToken})
		wantCode(t, err, "ExpiredNextTokenException")
	})
}

// TestInUse drives calls at a stream in transition (CREATING, UPDATING)
// and at a consumer still CREATING.
func TestInUse(t *testing.T) {
	e := newEnv(t, streams.Config{TransitionDelay: 300 * time.Millisecond}, kds.Config{})
	c := e.client
	ctx := ctxT(t)
	if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("slow"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("slow"), ShardToSplit: aws.String("shardId-000000000000"), NewStartingHashKey: aws.String("1000")})
	wantCode(t, err, "ResourceInUseException")
	if want := "Stream slow under account 000000000000 not ACTIVE, instead in state CREATING"; apiMessage(err) != want {
		t.Fatalf("message %q, want %q", apiMessage(err), want)
	}
	e.waitActive(t, "slow")
	if _, err := c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("slow"), ShardToSplit: aws.String("shardId-000000000000"), NewStartingHashKey: aws.String("1000")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("slow"), ShardToSplit: aws.String("shardId-000000000001"), NewStartingHashKey: aws.String("10")})
	wantCode(t, err, "ResourceInUseException")
	if !strings.Contains(apiMessage(err), "instead in state UPDATING") {
		t.Fatalf("message %q", apiMessage(err))
	}
	_, err = c.UpdateShardCount(ctx, &kinesis.UpdateShardCountInput{StreamName: aws.String("slow"), TargetShardCount: aws.Int32(1), ScalingType: types.ScalingTypeUniformScaling})
	wantCode(t, err, "ResourceInUseException")
	e.waitActive(t, "slow")

	reg, err := c.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/slow"), ConsumerName: aws.String("c")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SubscribeToShard(ctx, &kinesis.SubscribeToShardInput{ConsumerARN: reg.Consumer.ConsumerARN, ShardId: aws.String("shardId-000000000001"),
		StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeLatest}})
	wantCode(t, err, "ResourceInUseException")
}

// TestLimitExceeded uses a small account shard limit.
func TestLimitExceeded(t *testing.T) {
	e := newEnv(t, streams.Config{MaxShards: 3}, kds.Config{})
	c := e.client
	ctx := ctxT(t)
	_, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("big"), ShardCount: aws.Int32(4)})
	wantCode(t, err, "LimitExceededException")
	e.create(t, "small", 2)
	_, err = c.UpdateShardCount(ctx, &kinesis.UpdateShardCountInput{StreamName: aws.String("small"), TargetShardCount: aws.Int32(4), ScalingType: types.ScalingTypeUniformScaling})
	wantCode(t, err, "LimitExceededException")
	_, err = c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("small"), ShardToSplit: aws.String("shardId-000000000000"), NewStartingHashKey: aws.String("1000")})
	if err != nil {
		t.Fatalf("split to the limit: %v", err)
	}
	e.waitActive(t, "small")
	_, err = c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("small"), ShardToSplit: aws.String("shardId-000000000001"), NewStartingHashKey: aws.String("200000000000000000000000000000000000000")})
	wantCode(t, err, "LimitExceededException")
}

// TestThroughputExceeded enables the per-shard rate limits.
func TestThroughputExceeded(t *testing.T) {
	e := newEnv(t, streams.Config{Limits: streams.ThroughputLimits{Enabled: true, WriteRecordsPerSec: 5, ReadCallsPerSec: 1}}, kds.Config{})
	c := e.client
	ctx := ctxT(t)
	e.create(t, "hot", 1)
	var entries []types.PutRecordsRequestEntry
	for i := range 10 {
		entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprint(i)), Data: []byte("x")})
	}
	out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("hot"), Records: entries})
	if err != nil {
		t.Fatal(err)
	}
	if *out.FailedRecordCount < 5 {
		t.Fatalf("FailedRecordCount %d, want at least 5", *out.FailedRecordCount)
	}
	failed := 0
	for _, r := range out.Records {
		if r.ErrorCode != nil {
			failed++
			if *r.ErrorCode != "ProvisionedThroughputExceededException" || !strings.HasPrefix(*r.ErrorMessage, "Rate exceeded for shard shardId-000000000000 in stream hot") ||
				r.SequenceNumber != nil {
				t.Fatalf("failed entry %+v", r)
			}
		}
	}
	if failed != int(*out.FailedRecordCount) {
		t.Fatalf("%d failed entries, FailedRecordCount %d", failed, *out.FailedRecordCount)
	}
	_, err = c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("hot"), PartitionKey: aws.String("k"), Data: []byte("x")})
	wantCode(t, err, "ProvisionedThroughputExceededException")

	it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("hot"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	wantCode(t, err, "ProvisionedThroughputExceededException")
}

// TestExpiredIterator moves the core's clock past the iterator lifetime.
func TestExpiredIterator(t *testing.T) {
	clock := &testClock{}
	e := newEnv(t, streams.Config{Now: clock.Now}, kds.Config{})
	c := e.client
	ctx := ctxT(t)
	e.create(t, "old", 1)
	it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("old"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	clock.advance(6 * time.Minute)
	_, err = c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	wantCode(t, err, "ExpiredIteratorException")
	if !strings.HasPrefix(apiMessage(err), "Iterator expired.") {
		t.Fatalf("message %q", apiMessage(err))
	}
}
