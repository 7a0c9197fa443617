package kds

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
)

// TestEventStreamException checks the framing of an error that ends a
// running stream: the SDK's reader must deliver the events sent before it,
// then report the exception's name and message from stream.Err().
func TestEventStreamException(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex := &exchange{w: w, r: r, codec: codec{mediaType: mediaJSON11}}
		es := newEventWriter(ex)
		es.start()
		if err := es.event("initial-response", noOutput{}); err != nil {
			t.Error(err)
		}
		now := epochTime(time.UnixMilli(1700000000123))
		if err := es.event("SubscribeToShardEvent", subscribeEvent{
			Records:                    []recordOut{{SequenceNumber: "1", ApproximateArrivalTimestamp: &now, Data: []byte("hi"), PartitionKey: "k"}},
			ContinuationSequenceNumber: "1",
		}); err != nil {
			t.Error(err)
		}
		if err := es.exception(newError(errUnavailable, "JetStream is gone")); err != nil {
			t.Error(err)
		}
	}))
	defer srv.Close()
	client := kinesis.New(kinesis.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		Retryer:      aws.NopRetryer{},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := client.SubscribeToShard(ctx, &kinesis.SubscribeToShardInput{ConsumerARN: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1"),
		ShardId: aws.String("shardId-000000000000"), StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeLatest}})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()
	var events []types.SubscribeToShardEvent
	for ev := range stream.Events() {
		events = append(events, ev.(*types.SubscribeToShardEventStreamMemberSubscribeToShardEvent).Value)
	}
	if len(events) != 1 || string(events[0].Records[0].Data) != "hi" || !events[0].Records[0].ApproximateArrivalTimestamp.Equal(time.UnixMilli(1700000000123)) {
		t.Fatalf("events %+v", events)
	}
	var ae smithy.APIError
	if err := stream.Err(); !errors.As(err, &ae) || ae.ErrorCode() != "ServiceUnavailable" || ae.ErrorMessage() != "JetStream is gone" {
		t.Fatalf("stream error %v", err)
	}
}
