package kds_test

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/web/kds"
)

// TestActions drives every action of the API through the AWS SDK and
// checks its successful answer.
func TestActions(t *testing.T) {
	e := newEnv(t, streams.Config{}, kds.Config{})
	c := e.client
	ctx := ctxT(t)

	// CreateStream (provisioned, with tags and record size; on-demand).
	name := "actions"
	_, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{
		StreamName: aws.String(name), ShardCount: aws.Int32(2),
		Tags: map[string]string{"team": "video", "env": "test"}, MaxRecordSizeInKiB: aws.Int32(2048),
	})
	if err != nil {
		t.Fatal(err)
	}
	sum := e.waitActive(t, name)
	if *sum.OpenShardCount != 2 || *sum.RetentionPeriodHours != 24 || *sum.MaxRecordSizeInKiB != 2048 ||
		sum.StreamModeDetails.StreamMode != types.StreamModeProvisioned || *sum.ConsumerCount != 0 {
		t.Fatalf("summary %+v", sum)
	}
	arn := *sum.StreamARN
	if arn != "arn:aws:kinesis:us-east-1:000000000000:stream/actions" {
		t.Fatalf("ARN %s", arn)
	}
	if time.Since(*sum.StreamCreationTimestamp) > time.Minute {
		t.Fatalf("creation time %v", sum.StreamCreationTimestamp)
	}
	if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("ondemand"),
		StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand}}); err != nil {
		t.Fatal(err)
	}
	if s := e.waitActive(t, "ondemand"); s.StreamModeDetails.StreamMode != types.StreamModeOnDemand || *s.OpenShardCount != 4 {
		t.Fatalf("on-demand summary %+v", s)
	}

	t.Run("ListStreams", func(t *testing.T) {
		out, err := c.ListStreams(ctx, &kinesis.ListStreamsInput{Limit: aws.Int32(1)})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(out.StreamNames, []string{"actions"}) || !*out.HasMoreStreams || out.NextToken == nil ||
			len(out.StreamSummaries) != 1 || *out.StreamSummaries[0].StreamARN != arn || out.StreamSummaries[0].StreamStatus != types.StreamStatusActive {
			t.Fatalf("page 1 %+v", out)
		}
		out, err = c.ListStreams(ctx, &kinesis.ListStreamsInput{NextToken: out.NextToken})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(out.StreamNames, []string{"ondemand"}) || *out.HasMoreStreams || out.NextToken != nil {
			t.Fatalf("page 2 %+v", out)
		}
		out, err = c.ListStreams(ctx, &kinesis.ListStreamsInput{ExclusiveStartStreamName: aws.String("actions")})
		if err != nil || !slices.Equal(out.StreamNames, []string{"ondemand"}) {
			t.Fatalf("ExclusiveStartStreamName: %+v %v", out, err)
		}
	})

	t.Run("DescribeStream", func(t *testing.T) {
		out, err := c.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamARN: aws.String(arn), Limit: aws.Int32(1)})
		if err != nil {
			t.Fatal(err)
		}
		d := out.StreamDescription
		if *d.StreamName != name || len(d.Shards) != 1 || !*d.HasMoreShards || *d.Shards[0].ShardId != "shardId-000000000000" ||
			*d.Shards[0].HashKeyRange.StartingHashKey != "0" || d.Shards[0].SequenceNumberRange.EndingSequenceNumber != nil ||
			len(d.EnhancedMonitoring) != 1 || d.EncryptionType != types.EncryptionTypeNone {
			t.Fatalf("page 1 %+v", d)
		}
		out, err = c.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name), ExclusiveStartShardId: d.Shards[0].ShardId})
		if err != nil {
			t.Fatal(err)
		}
		d = out.StreamDescription
		if len(d.Shards) != 1 || *d.HasMoreShards || *d.Shards[0].HashKeyRange.EndingHashKey != "340282366920938463463374607431768211455" {
			t.Fatalf("page 2 %+v", d)
		}
	})

	t.Run("DescribeLimits", func(t *testing.T) {
		out, err := c.DescribeLimits(ctx, &kinesis.DescribeLimitsInput{})
		if err != nil {
			t.Fatal(err)
		}
		if *out.ShardLimit != 1000 || *out.OpenShardCount != 6 || *out.OnDemandStreamCount != 1 || *out.OnDemandStreamCountLimit != 50 {
			t.Fatalf("%+v", out)
		}
	})

	var seqs []string
	t.Run("PutRecord", func(t *testing.T) {
		for i := range 3 {
			out, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(name), PartitionKey: aws.String("pk"), Data: []byte{byte(i), 0xff}})
			if err != nil {
				t.Fatal(err)
			}
			if out.ShardId == nil || out.SequenceNumber == nil {
				t.Fatalf("%+v", out)
			}
			seqs = append(seqs, *out.SequenceNumber)
		}
		out, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamARN: aws.String(arn), PartitionKey: aws.String("x"),
			ExplicitHashKey: aws.String("0"), SequenceNumberForOrdering: aws.String(seqs[0]), Data: []byte{}})
		if err != nil || *out.ShardId != "shardId-000000000000" {
			t.Fatalf("explicit hash key: %+v %v", out, err)
		}
	})

	t.Run("PutRecords", func(t *testing.T) {
		var entries []types.PutRecordsRequestEntry
		for i := range 20 {
			entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprint("k", i)), Data: []byte(fmt.Sprint("v", i))})
		}
		out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(name), Records: entries})
		if err != nil {
			t.Fatal(err)
		}
		if *out.FailedRecordCount != 0 || len(out.Records) != 20 {
			t.Fatalf("%+v", out)
		}
		for _, r := range out.Records {
			if r.SequenceNumber == nil || r.ShardId == nil || r.ErrorCode != nil {
				t.Fatalf("entry %+v", r)
			}
		}
		if got := e.metric(t, "sluice_kds_records_in_total", "stream", name); got != 24 {
			t.Fatalf("records in metric %v, want 24", got)
		}
	})

	t.Run("GetShardIterator+GetRecords", func(t *testing.T) {
		shard := "shardId-000000000000"
		var read []types.Record
		// Find the shard of "pk" by its sequence number's records.
		for _, sh := range []string{"shardId-000000000000", "shardId-000000000001"} {
			it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(name), ShardId: aws.String(sh), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
			if err != nil {
				t.Fatal(err)
			}
			out, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator, Limit: aws.Int32(1000)})
			if err != nil {
				t.Fatal(err)
			}
			if out.NextShardIterator == nil || out.MillisBehindLatest == nil || out.ChildShards != nil {
				t.Fatalf("%+v", out)
			}
			for _, r := range out.Records {
				if *r.PartitionKey == "pk" {
					shard = sh
				}
			}
			read = append(read, out.Records...)
		}
		if len(read) != 24 {
			t.Fatalf("read %d records, want 24", len(read))
		}
		for _, r := range read {
			if r.ApproximateArrivalTimestamp == nil || time.Since(*r.ApproximateArrivalTimestamp) > time.Minute || r.SequenceNumber == nil {
				t.Fatalf("record %+v", r)
			}
		}
		for _, tc := range []struct {
			typ  types.ShardIteratorType
			seq  *string
			ts   *time.Time
			want [][]byte
		}{
			{types.ShardIteratorTypeAtSequenceNumber, &seqs[1], nil, [][]byte{{1, 0xff}, {2, 0xff}}},
			{types.ShardIteratorTypeAfterSequenceNumber, &seqs[1], nil, [][]byte{{2, 0xff}}},
			{types.ShardIteratorTypeLatest, nil, nil, nil},
			{types.ShardIteratorTypeAtTimestamp, nil, aws.Time(time.Now().Add(-time.Hour)), [][]byte{{0, 0xff}, {1, 0xff}, {2, 0xff}}},
		} {
			it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(name), ShardId: aws.String(shard),
				ShardIteratorType: tc.typ, StartingSequenceNumber: tc.seq, Timestamp: tc.ts})
			if err != nil {
				t.Fatalf("%s: %v", tc.typ, err)
			}
			out, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
			if err != nil {
				t.Fatalf("%s: %v", tc.typ, err)
			}
			var got [][]byte
			for _, r := range out.Records {
				if *r.PartitionKey == "pk" {
					got = append(got, r.Data)
				}
			}
			if !slices.EqualFunc(got, tc.want, bytes.Equal) {
				t.Fatalf("%s: got %v, want %v", tc.typ, got, tc.want)
			}
		}
	})

	t.Run("ListShards", func(t *testing.T) {
		out, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(name), MaxResults: aws.Int32(1)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Shards) != 1 || out.NextToken == nil {
			t.Fatalf("page 1 %+v", out)
		}
		out, err = c.ListShards(ctx, &kinesis.ListShardsInput{NextToken: out.NextToken})
		if err != nil || len(out.Shards) != 1 || out.NextToken != nil || *out.Shards[0].ShardId != "shardId-000000000001" {
			t.Fatalf("page 2 %+v %v", out, err)
		}
		out, err = c.ListShards(ctx, &kinesis.ListShardsInput{StreamARN: aws.String(arn), ExclusiveStartShardId: aws.String("shardId-000000000000")})
		if err != nil || len(out.Shards) != 1 {
			t.Fatalf("ExclusiveStartShardId %+v %v", out, err)
		}
		summary := e.waitActive(t, name)
		out, err = c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(name), StreamCreationTimestamp: summary.StreamCreationTimestamp})
		if err != nil || len(out.Shards) != 2 {
			t.Fatalf("StreamCreationTimestamp %+v %v", out, err)
		}
		for _, f := range []types.ShardFilter{
			{Type: types.ShardFilterTypeAtTrimHorizon},
			{Type: types.ShardFilterTypeFromTrimHorizon},
			{Type: types.ShardFilterTypeAtLatest},
			{Type: types.ShardFilterTypeAtTimestamp, Timestamp: aws.Time(time.Now())},
			{Type: types.ShardFilterTypeFromTimestamp, Timestamp: aws.Time(time.Now().Add(-time.Hour))},
		} {
			out, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(name), ShardFilter: &f})
			if err != nil || len(out.Shards) != 2 {
				t.Fatalf("filter %s: %+v %v", f.Type, out, err)
			}
		}
		out, err = c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(name),
			ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeAfterShardId, ShardId: aws.String("shardId-000000000000")}})
		if err != nil || len(out.Shards) != 1 || *out.Shards[0].ShardId != "shardId-000000000001" {
			t.Fatalf("AFTER_SHARD_ID %+v %v", out, err)
		}
	})

	t.Run("Tags", func(t *testing.T) {
		if _, err := c.AddTagsToStream(ctx, &kinesis.AddTagsToStreamInput{StreamName: aws.String(name), Tags: map[string]string{"a": "1", "b": ""}}); err != nil {
			t.Fatal(err)
		}
		out, err := c.ListTagsForStream(ctx, &kinesis.ListTagsForStreamInput{StreamName: aws.String(name), Limit: aws.Int32(2)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Tags) != 2 || *out.Tags[0].Key != "a" || *out.Tags[1].Key != "b" || *out.Tags[1].Value != "" || !*out.HasMoreTags {
			t.Fatalf("page 1 %+v", out)
		}
		out, err = c.ListTagsForStream(ctx, &kinesis.ListTagsForStreamInput{StreamARN: aws.String(arn), ExclusiveStartTagKey: aws.String("b")})
		if err != nil || len(out.Tags) != 2 || *out.Tags[0].Key != "env" || *out.Tags[1].Key != "team" || *out.HasMoreTags {
			t.Fatalf("page 2 %+v %v", out, err)
		}
		if _, err := c.RemoveTagsFromStream(ctx, &kinesis.RemoveTagsFromStreamInput{StreamName: aws.String(name), TagKeys: []string{"a", "b", "missing"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.TagResource(ctx, &kinesis.TagResourceInput{ResourceARN: aws.String(arn), Tags: map[string]string{"r": "x"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.UntagResource(ctx, &kinesis.UntagResourceInput{ResourceARN: aws.String(arn), TagKeys: []string{"env"}}); err != nil {
			t.Fatal(err)
		}
		res, err := c.ListTagsForResource(ctx, &kinesis.ListTagsForResourceInput{ResourceARN: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, tg := range res.Tags {
			keys = append(keys, *tg.Key)
		}
		if !slices.Equal(keys, []string{"r", "team"}) {
			t.Fatalf("tags %v", keys)
		}
	})

	t.Run("Retention", func(t *testing.T) {
		if _, err := c.IncreaseStreamRetentionPeriod(ctx, &kinesis.IncreaseStreamRetentionPeriodInput{StreamName: aws.String(name), RetentionPeriodHours: aws.Int32(48)}); err != nil {
			t.Fatal(err)
		}
		if s := e.waitActive(t, name); *s.RetentionPeriodHours != 48 {
			t.Fatalf("retention %d", *s.RetentionPeriodHours)
		}
		if _, err := c.DecreaseStreamRetentionPeriod(ctx, &kinesis.DecreaseStreamRetentionPeriodInput{StreamARN: aws.String(arn), RetentionPeriodHours: aws.Int32(24)}); err != nil {
			t.Fatal(err)
		}
		if s := e.waitActive(t, name); *s.RetentionPeriodHours != 24 {
			t.Fatalf("retention %d", *s.RetentionPeriodHours)
		}
	})

	t.Run("EnhancedMonitoring", func(t *testing.T) {
		out, err := c.EnableEnhancedMonitoring(ctx, &kinesis.EnableEnhancedMonitoringInput{StreamName: aws.String(name),
			ShardLevelMetrics: []types.MetricsName{types.MetricsNameIncomingBytes, types.MetricsNameOutgoingRecords}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.CurrentShardLevelMetrics) != 0 || len(out.DesiredShardLevelMetrics) != 2 || *out.StreamName != name || *out.StreamARN != arn {
			t.Fatalf("enable %+v", out)
		}
		dis, err := c.DisableEnhancedMonitoring(ctx, &kinesis.DisableEnhancedMonitoringInput{StreamARN: aws.String(arn),
			ShardLevelMetrics: []types.MetricsName{types.MetricsNameAll}})
		if err != nil {
			t.Fatal(err)
		}
		if len(dis.CurrentShardLevelMetrics) != 2 || len(dis.DesiredShardLevelMetrics) != 0 {
			t.Fatalf("disable %+v", dis)
		}
	})

	t.Run("Encryption", func(t *testing.T) {
		if _, err := c.StartStreamEncryption(ctx, &kinesis.StartStreamEncryptionInput{StreamName: aws.String(name),
			EncryptionType: types.EncryptionTypeKms, KeyId: aws.String("alias/aws/kinesis")}); err != nil {
			t.Fatal(err)
		}
		e.waitActive(t, name)
		d, err := c.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)})
		if err != nil || d.StreamDescription.EncryptionType != types.EncryptionTypeKms || *d.StreamDescription.KeyId != "alias/aws/kinesis" {
			t.Fatalf("%+v %v", d, err)
		}
		put, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(name), PartitionKey: aws.String("enc"), Data: []byte("x")})
		if err != nil || put.EncryptionType != types.EncryptionTypeKms {
			t.Fatalf("put while encrypted: %+v %v", put, err)
		}
		if _, err := c.StopStreamEncryption(ctx, &kinesis.StopStreamEncryptionInput{StreamARN: aws.String(arn),
			EncryptionType: types.EncryptionTypeKms, KeyId: aws.String("alias/aws/kinesis")}); err != nil {
			t.Fatal(err)
		}
		e.waitActive(t, name)
		d, err = c.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)})
		if err != nil || d.StreamDescription.EncryptionType != types.EncryptionTypeNone || d.StreamDescription.KeyId != nil {
			t.Fatalf("%+v %v", d, err)
		}
	})

	t.Run("Consumers", func(t *testing.T) {
		var arns []string
		for _, cn := range []string{"c2", "c1", "c3"} {
			out, err := c.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: aws.String(arn), ConsumerName: aws.String(cn)})
			if err != nil {
				t.Fatal(err)
			}
			if *out.Consumer.ConsumerName != cn || out.Consumer.ConsumerStatus != types.ConsumerStatusCreating || out.Consumer.ConsumerCreationTimestamp == nil {
				t.Fatalf("%+v", out.Consumer)
			}
			arns = append(arns, *out.Consumer.ConsumerARN)
		}
		e.waitConsumerActive(t, arns[0])
		d, err := c.DescribeStreamConsumer(ctx, &kinesis.DescribeStreamConsumerInput{StreamARN: aws.String(arn), ConsumerName: aws.String("c2")})
		if err != nil || *d.ConsumerDescription.ConsumerARN != arns[0] || *d.ConsumerDescription.StreamARN != arn {
			t.Fatalf("%+v %v", d, err)
		}
		var names []string
		var token *string
		for {
			out, err := c.ListStreamConsumers(ctx, &kinesis.ListStreamConsumersInput{StreamARN: aws.String(arn), MaxResults: aws.Int32(2), NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, cs := range out.Consumers {
				names = append(names, *cs.ConsumerName)
			}
			if token = out.NextToken; token == nil {
				break
			}
		}
		if !slices.Equal(names, []string{"c1", "c2", "c3"}) {
			t.Fatalf("consumers %v", names)
		}
		if _, err := c.DeregisterStreamConsumer(ctx, &kinesis.DeregisterStreamConsumerInput{ConsumerARN: aws.String(arns[0])}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.DeregisterStreamConsumer(ctx, &kinesis.DeregisterStreamConsumerInput{StreamARN: aws.String(arn), ConsumerName: aws.String("c1")}); err != nil {
			t.Fatal(err)
		}
		if s := e.waitActive(t, name); *s.ConsumerCount != 1 {
			t.Fatalf("consumer count %d", *s.ConsumerCount)
		}
	})

	t.Run("Resharding", func(t *testing.T) {
		if _, err := c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String(name), ShardToSplit: aws.String("shardId-000000000000"),
			NewStartingHashKey: aws.String("85070591730234615865843651857942052864")}); err != nil {
			t.Fatal(err)
		}
		e.waitActive(t, name)
		if _, err := c.MergeShards(ctx, &kinesis.MergeShardsInput{StreamARN: aws.String(arn), ShardToMerge: aws.String("shardId-000000000002"),
			AdjacentShardToMerge: aws.String("shardId-000000000003")}); err != nil {
			t.Fatal(err)
		}
		e.waitActive(t, name)
		out, err := c.UpdateShardCount(ctx, &kinesis.UpdateShardCountInput{StreamName: aws.String(name), TargetShardCount: aws.Int32(4), ScalingType: types.ScalingTypeUniformScaling})
		if err != nil {
			t.Fatal(err)
		}
		if *out.CurrentShardCount != 2 || *out.TargetShardCount != 4 || *out.StreamName != name || *out.StreamARN != arn {
			t.Fatalf("%+v", out)
		}
		if s := e.waitActive(t, name); *s.OpenShardCount != 4 {
			t.Fatalf("open shards %d", *s.OpenShardCount)
		}
		open, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(name), ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeAtLatest}})
		if err != nil || len(open.Shards) != 4 {
			t.Fatalf("AT_LATEST %+v %v", open, err)
		}
		roots, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(name), ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeAtTrimHorizon}})
		if err != nil || len(roots.Shards) != 2 || *roots.Shards[0].ShardId != "shardId-000000000000" || *roots.Shards[1].ShardId != "shardId-000000000001" {
			t.Fatalf("AT_TRIM_HORIZON %+v %v", roots, err)
		}
	})

	t.Run("UpdateStreamMode", func(t *testing.T) {
		if _, err := c.UpdateStreamMode(ctx, &kinesis.UpdateStreamModeInput{StreamARN: aws.String(arn),
			StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand}}); err != nil {
			t.Fatal(err)
		}
		if s := e.waitActive(t, name); s.StreamModeDetails.StreamMode != types.StreamModeOnDemand {
			t.Fatalf("mode %s", s.StreamModeDetails.StreamMode)
		}
	})

	t.Run("DeleteStream", func(t *testing.T) {
		if _, err := c.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String(name), EnforceConsumerDeletion: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamARN: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/ondemand")}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			out, err := c.ListStreams(ctx, &kinesis.ListStreamsInput{})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.StreamNames) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("streams left: %v", out.StreamNames)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	if n := e.metric(t, "sluice_kds_requests_total", "action", "PutRecords", "error", "none"); n != 1 {
		t.Fatalf("PutRecords requests metric %v", n)
	}
}
