package kds_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/fxamacker/cbor/v2"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/web/kds"
)

// subscribeEnv is a one-shard stream with an ACTIVE consumer.
func subscribeEnv(t *testing.T, scfg streams.Config) (*env, string) {
	t.Helper()
	e := newEnv(t, scfg, kds.Config{})
	e.create(t, "sub", 1)
	reg, err := e.client.RegisterStreamConsumer(ctxT(t), &kinesis.RegisterStreamConsumerInput{
		StreamARN: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/sub"), ConsumerName: aws.String("efo")})
	if err != nil {
		t.Fatal(err)
	}
	e.waitConsumerActive(t, *reg.Consumer.ConsumerARN)
	return e, *reg.Consumer.ConsumerARN
}

func (e *env) putN(t testing.TB, from, n int) {
	t.Helper()
	var entries []types.PutRecordsRequestEntry
	for i := from; i < from+n; i++ {
		entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String("k"), Data: []byte(fmt.Sprint("r", i))})
	}
	out, err := e.client.PutRecords(ctxT(t), &kinesis.PutRecordsInput{StreamName: aws.String("sub"), Records: entries})
	if err != nil || *out.FailedRecordCount != 0 {
		t.Errorf("PutRecords: %+v %v", out, err)
	}
}

// TestSubscribeToShard reads, with the SDK's event stream reader over
// HTTP/1.1, records that are written after the subscription started; then
// splits the shard and sees the final event with ChildShards end the
// stream.
func TestSubscribeToShard(t *testing.T) {
	e, consumerARN := subscribeEnv(t, streams.Config{})
	ctx := ctxT(t)
	out, err := e.client.SubscribeToShard(ctx, &kinesis.SubscribeToShardInput{ConsumerARN: aws.String(consumerARN), ShardId: aws.String("shardId-000000000000"),
		StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeLatest}})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()

	_, err = e.client.SubscribeToShard(ctx, &kinesis.SubscribeToShardInput{ConsumerARN: aws.String(consumerARN), ShardId: aws.String("shardId-000000000000"),
		StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeLatest}})
	wantCode(t, err, "ResourceInUseException")
	if n := e.metric(t, "sluice_kds_subscriptions"); n != 1 {
		t.Fatalf("subscriptions gauge %v", n)
	}

	go func() {
		for i := 0; i < 50; i += 10 {
			e.putN(t, i, 10)
			time.Sleep(5 * time.Millisecond)
		}
	}()
	var got []string
	var last string
	split := false
	for ev := range stream.Events() {
		v, ok := ev.(*types.SubscribeToShardEventStreamMemberSubscribeToShardEvent)
		if !ok {
			t.Fatalf("unexpected event %T", ev)
		}
		for _, r := range v.Value.Records {
			got = append(got, string(r.Data))
			last = *r.SequenceNumber
			if r.ApproximateArrivalTimestamp == nil || time.Since(*r.ApproximateArrivalTimestamp) > time.Minute {
				t.Fatalf("record %+v", r)
			}
		}
		if len(v.Value.Records) > 0 && *v.Value.ContinuationSequenceNumber != last {
			t.Fatalf("ContinuationSequenceNumber %s, last record %s", *v.Value.ContinuationSequenceNumber, last)
		}
		if len(got) == 50 && !split {
			split = true
			if _, err := e.client.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("sub"), ShardToSplit: aws.String("shardId-000000000000"),
				NewStartingHashKey: aws.String("170141183460469231731687303715884105728")}); err != nil {
				t.Fatal(err)
			}
		}
		if len(v.Value.ChildShards) > 0 {
			if !split || len(v.Value.ChildShards) != 2 || v.Value.ChildShards[0].ParentShards[0] != "shardId-000000000000" {
				t.Fatalf("ChildShards %+v", v.Value.ChildShards)
			}
			// As AWS: no continuation on a closed shard's last event (KCLs
			// read its absence as the shard's end).
			if v.Value.ContinuationSequenceNumber != nil {
				t.Fatalf("the last event has ContinuationSequenceNumber %s", *v.Value.ContinuationSequenceNumber)
			}
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 50 || got[0] != "r0" || got[49] != "r49" {
		t.Fatalf("read %d records: %v", len(got), got)
	}
	for i, d := range got {
		if d != fmt.Sprint("r", i) {
			t.Fatalf("record %d is %s", i, d)
		}
	}
	if !split {
		t.Fatal("stream ended before the split")
	}
	if n := e.metric(t, "sluice_kds_records_out_total", "stream", "sub"); n != 50 {
		t.Fatalf("records out metric %v", n)
	}
}

// TestSubscribeToShardSDKOverH2C runs the SDK's event stream reader over
// HTTP/2 without TLS, from TRIM_HORIZON, and ends the stream by
// deregistering the consumer.
func TestSubscribeToShardSDKOverH2C(t *testing.T) {
	e, consumerARN := subscribeEnv(t, streams.Config{})
	ctx := ctxT(t)
	e.putN(t, 0, 20)
	client := newClient(e.srv.URL, h2cClient(t))
	out, err := client.SubscribeToShard(ctx, &kinesis.SubscribeToShardInput{ConsumerARN: aws.String(consumerARN), ShardId: aws.String("shardId-000000000000"),
		StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeTrimHorizon}})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()
	n := 0
	for ev := range stream.Events() {
		v := ev.(*types.SubscribeToShardEventStreamMemberSubscribeToShardEvent)
		for _, r := range v.Value.Records {
			if string(r.Data) != fmt.Sprint("r", n) {
				t.Fatalf("record %d is %s", n, r.Data)
			}
			n++
		}
		if n == 20 {
			if _, err := client.DeregisterStreamConsumer(ctx, &kinesis.DeregisterStreamConsumerInput{ConsumerARN: aws.String(consumerARN)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 20 {
		t.Fatalf("read %d records", n)
	}
}

// TestSubscribeToShardRawH2C speaks the protocol by hand over h2c with a
// CBOR request (tag-1 millisecond timestamp), decodes the event stream
// frames and their CBOR payloads, and ends the stream with Handler.Close.
func TestSubscribeToShardRawH2C(t *testing.T) {
	e, consumerARN := subscribeEnv(t, streams.Config{})
	start := time.Now().Add(-time.Second)
	body, err := cbor.Marshal(map[string]any{
		"ConsumerARN": consumerARN,
		"ShardId":     "shardId-000000000000",
		"StartingPosition": map[string]any{
			"Type":      "AT_TIMESTAMP",
			"Timestamp": cbor.Tag{Number: 1, Content: start.UnixMilli()},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctxT(t), http.MethodPost, e.srv.URL+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", target("SubscribeToShard"))
	req.Header.Set("Content-Type", cborType)
	resp, err := h2cClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.amazon.eventstream" || resp.Header.Get("x-amzn-RequestId") == "" {
		t.Fatalf("%s %d %v", resp.Proto, resp.StatusCode, resp.Header)
	}
	dec := eventstream.NewDecoder()
	next := func() eventstream.Message {
		t.Helper()
		msg, err := dec.Decode(resp.Body, nil)
		if err != nil {
			t.Fatalf("decoding event: %v", err)
		}
		if ct := msg.Headers.Get(":content-type"); ct == nil || ct.String() != cborType {
			t.Fatalf("content type %v", ct)
		}
		return msg
	}
	first := next()
	if first.Headers.Get(":message-type").String() != "event" || first.Headers.Get(":event-type").String() != "initial-response" {
		t.Fatalf("first message %v", first.Headers)
	}

	e.putN(t, 0, 5) // written after the subscription started, read live
	n := 0
	for n < 5 {
		msg := next()
		if msg.Headers.Get(":message-type").String() != "event" || msg.Headers.Get(":event-type").String() != "SubscribeToShardEvent" {
			t.Fatalf("message %v: %s", msg.Headers, msg.Payload)
		}
		var ev struct {
			Records []struct {
				Data                        []byte
				PartitionKey                string
				SequenceNumber              string
				ApproximateArrivalTimestamp cbor.Tag
			}
			ContinuationSequenceNumber string
			MillisBehindLatest         int64
		}
		if err := cbor.Unmarshal(msg.Payload, &ev); err != nil {
			t.Fatalf("event payload %x: %v", msg.Payload, err)
		}
		for _, r := range ev.Records {
			ms, ok := r.ApproximateArrivalTimestamp.Content.(uint64)
			if string(r.Data) != fmt.Sprint("r", n) || r.PartitionKey != "k" || r.ApproximateArrivalTimestamp.Number != 1 || !ok || int64(ms) < start.UnixMilli() {
				t.Fatalf("record %d: %+v", n, r)
			}
			n++
		}
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(io.Discard, resp.Body) // ends when Close ends the stream
	}()
	e.h.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Handler.Close did not end the stream")
	}
	// After Close, new subscriptions are refused before any streaming.
	r := e.raw(t, target("SubscribeToShard"), jsonType, []byte(`{"ConsumerARN":"`+consumerARN+`","ShardId":"shardId-000000000000","StartingPosition":{"Type":"LATEST"}}`))
	if r.Status != http.StatusServiceUnavailable || r.Type != "ServiceUnavailable" {
		t.Fatalf("after Close: %d %s", r.Status, r.Body)
	}
}

// TestSubscribeToShardErrorsBeforeStart checks that failures found before
// the stream starts are ordinary JSON error responses.
func TestSubscribeToShardErrorsBeforeStart(t *testing.T) {
	e, consumerARN := subscribeEnv(t, streams.Config{})
	for _, tc := range []struct{ body, typ string }{
		{`{"ConsumerARN":"` + consumerARN + `","ShardId":"shardId-000000000007","StartingPosition":{"Type":"LATEST"}}`, "ResourceNotFoundException"},
		{`{"ConsumerARN":"` + strings.Replace(consumerARN, "efo", "ghost", 1) + `","ShardId":"shardId-000000000000","StartingPosition":{"Type":"LATEST"}}`, "ResourceNotFoundException"},
		{`{"ConsumerARN":"` + consumerARN + `","ShardId":"shardId-000000000000","StartingPosition":{"Type":"AT_SEQUENCE_NUMBER"}}`, "InvalidArgumentException"},
		{`{"ConsumerARN":"` + consumerARN + `","ShardId":"shardId-000000000000"}`, "ValidationException"},
	} {
		r := e.raw(t, target("SubscribeToShard"), jsonType, []byte(tc.body))
		if r.Status != 400 || r.Type != tc.typ || r.Header.Get("Content-Type") != jsonType {
			t.Fatalf("%s: %d %s %v", tc.body, r.Status, r.Body, r.Header)
		}
		var eb map[string]string
		if err := json.Unmarshal(r.Body, &eb); err != nil || eb["message"] == "" {
			t.Fatalf("body %s", r.Body)
		}
	}
}
