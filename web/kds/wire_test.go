package kds_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/web/kds"
)

// Wire details as AWS: an action without output answers an empty body; a
// ShardId is any text ending in "-<number>"; a stream still CREATING can
// be deleted.
func TestWireDetails(t *testing.T) {
	e := newEnv(t, streams.Config{TransitionDelay: 500 * time.Millisecond}, kds.Config{})
	ctx := ctxT(t)
	r := e.raw(t, target("CreateStream"), jsonType, []byte(`{"StreamName":"wire","ShardCount":1}`))
	if r.Status != http.StatusOK || len(r.Body) != 0 || r.Header.Get("Content-Length") != "0" {
		t.Fatalf("CreateStream: %d, body %q, Content-Length %q; want 200 and an empty body", r.Status, r.Body, r.Header.Get("Content-Length"))
	}
	// Still CREATING (the transition is held 500 ms): deleting it works.
	d, err := e.client.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("wire")})
	if err != nil || d.StreamDescriptionSummary.StreamStatus != types.StreamStatusCreating {
		t.Fatalf("right after CreateStream: %+v %v", d, err)
	}
	if _, err := e.client.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("wire")}); err != nil {
		t.Fatalf("DeleteStream of a stream CREATING: %v", err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, err := e.client.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("wire")})
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stream deleted while CREATING is still there: %v", err)
		}
	}

	e.create(t, "wire", 2)
	put, err := e.client.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("wire"), PartitionKey: aws.String("k"), Data: []byte("x"),
		ExplicitHashKey: aws.String("340282366920938463463374607431768211455")}) // the last hash key: shard 1
	if err != nil || *put.ShardId != "shardId-000000000001" {
		t.Fatalf("PutRecord: %+v %v", put, err)
	}
	for _, id := range []string{"anything-1", "x-y-0001", "shardId-1", "1"} {
		it, err := e.client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("wire"), ShardId: aws.String(id), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatalf("ShardId %q: %v", id, err)
		}
		got, err := e.client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
		if err != nil || len(got.Records) != 1 || *got.Records[0].SequenceNumber != *put.SequenceNumber {
			t.Fatalf("ShardId %q reads %+v %v, want the record put in shard 1", id, got, err)
		}
	}
	_, err = e.client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("wire"), ShardId: aws.String("anything-7"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	wantCode(t, err, "ResourceNotFoundException")
	for _, r := range []struct{ action, body string }{
		{"AddTagsToStream", `{"StreamName":"wire","Tags":{"a":"b"}}`},
		{"IncreaseStreamRetentionPeriod", `{"StreamName":"wire","RetentionPeriodHours":48}`},
	} {
		if resp := e.raw(t, target(r.action), jsonType, []byte(r.body)); resp.Status != http.StatusOK || len(resp.Body) != 0 {
			t.Fatalf("%s: %d %q; want 200 and an empty body", r.action, resp.Status, resp.Body)
		}
		e.waitActive(t, "wire")
	}
}
