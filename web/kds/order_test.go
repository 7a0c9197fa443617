package kds_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/fxamacker/cbor/v2"

	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/web/kds"
)

// TestValidationOrder: checks that need no stream come before the stream
// is looked up, as AWS makes them (a bad value on an unknown stream is
// said to be bad, not unknown); RemoveTagsFromStream says an unknown
// stream first; a missing StreamName of DeleteStream, DescribeStream and
// ListTagsForStream is a ValidationException; AWS's sentences for the
// retention bounds. In JSON and in CBOR.
func TestValidationOrder(t *testing.T) {
	e := newEnv(t, streams.Config{}, kds.Config{})
	e.create(t, "s", 2)
	tags := func(n int) map[string]any {
		m := map[string]any{}
		for i := range n {
			m[fmt.Sprint("k", i)] = "v"
		}
		return m
	}
	for _, tc := range []struct {
		name, action string
		body         map[string]any
		typ, msg     string
	}{
		{"51 tags, unknown stream", "AddTagsToStream", map[string]any{"StreamName": "nope", "Tags": tags(51)},
			"InvalidArgumentException", "Failed to add tags to stream nope under account 000000000000 because a given stream cannot have more than 50 tags associated with it."},
		{"retention too long, unknown stream", "IncreaseStreamRetentionPeriod", map[string]any{"StreamName": "nope", "RetentionPeriodHours": 9000},
			"InvalidArgumentException", "Maximum allowed retention period is 8760 hours. Requested retention period (9000 hours) is too long."},
		{"retention too short", "DecreaseStreamRetentionPeriod", map[string]any{"StreamName": "s", "RetentionPeriodHours": 10},
			"InvalidArgumentException", "Minimum allowed retention period is 24 hours. Requested retention period (10 hours) is too short."},
		{"split key outside every shard, unknown stream", "SplitShard", map[string]any{"StreamName": "nope", "ShardToSplit": "shardId-000000000000", "NewStartingHashKey": "1"},
			"InvalidArgumentException", "NewStartingHashKey 1 used in SplitShard() on shard shardId-000000000000 in stream nope under account 000000000000 is not both greater than one plus the shard's StartingHashKey and less than the shard's EndingHashKey."},
		{"merge a shard with itself, unknown stream", "MergeShards", map[string]any{"StreamName": "nope", "ShardToMerge": "shardId-000000000001", "AdjacentShardToMerge": "1"},
			"InvalidArgumentException", "Shards shardId-000000000001 and shardId-000000000001 in stream nope under account 000000000000 are not an adjacent pair of shards eligible for merging"},
		{"remove bad tag keys, unknown stream", "RemoveTagsFromStream", map[string]any{"StreamName": "nope", "TagKeys": []string{";"}},
			"ResourceNotFoundException", "Stream nope under account 000000000000 not found."},
		{"remove bad tag keys", "RemoveTagsFromStream", map[string]any{"StreamName": "s", "TagKeys": []string{";"}},
			"InvalidArgumentException", "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . : / = + - @."},
		{"DeleteStream without a name", "DeleteStream", map[string]any{},
			"ValidationException", "1 validation error detected: Value null at 'streamName' failed to satisfy constraint: Member must not be null"},
		{"DescribeStream without a name", "DescribeStream", map[string]any{},
			"ValidationException", "1 validation error detected: Value null at 'streamName' failed to satisfy constraint: Member must not be null"},
		{"ListTagsForStream without a name", "ListTagsForStream", map[string]any{},
			"ValidationException", "1 validation error detected: Value null at 'streamName' failed to satisfy constraint: Member must not be null"},
	} {
		for _, enc := range []string{"json", "cbor"} {
			var body []byte
			ct := jsonType
			if enc == "json" {
				body, _ = json.Marshal(tc.body)
			} else {
				body, ct = cborMap(t, tc.body), cborType
			}
			r := e.raw(t, target(tc.action), ct, body)
			typ, msg := decodeError(t, enc, r.Body)
			if r.Status != 400 || typ != tc.typ || msg != tc.msg {
				t.Errorf("%s (%s): %d %s %q\n want 400 %s %q", tc.name, enc, r.Status, typ, msg, tc.typ, tc.msg)
			}
		}
	}
}

// cborMap encodes a request body in CBOR, as the Java SDK sends it.
func cborMap(t *testing.T, m map[string]any) []byte {
	t.Helper()
	b, err := cbor.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeError reads an error body's type and message.
func decodeError(t *testing.T, enc string, body []byte) (typ, msg string) {
	t.Helper()
	var eb map[string]any
	var err error
	if enc == "cbor" {
		err = cbor.Unmarshal(body, &eb)
	} else {
		err = json.Unmarshal(body, &eb)
	}
	if err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	typ, _ = eb["__type"].(string)
	msg, _ = eb["message"].(string)
	return typ, msg
}

// TestSerializationTexts: a member of the wrong JSON type gets the texts
// of AWS's front end, under "Message".
func TestSerializationTexts(t *testing.T) {
	e := newEnv(t, streams.Config{}, kds.Config{})
	for _, tc := range []struct{ action, body, msg string }{
		{"DescribeStream", `{"StreamName":true}`, "class java.lang.Boolean can not be converted to an String"},
		{"DescribeStream", `{"StreamName":23}`, "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"},
		{"DescribeStream", `{"StreamName":[]}`, "Start of list found where not expected"},
		{"DescribeStream", `{"StreamName":{}}`, "Start of structure or map found where not expected."},
		{"DescribeStream", `{"StreamName":"s","Limit":"23"}`, "class java.lang.String can not be converted to an Integer"},
		{"DescribeStream", `{"StreamName":"s","Limit":true}`, "class java.lang.Boolean can not be converted to an Integer"},
		{"AddTagsToStream", `{"StreamName":"s","Tags":"x"}`, "Expected map or null"},
		{"AddTagsToStream", `{"StreamName":"s","Tags":[]}`, "Start of list found where not expected"},
		{"RemoveTagsFromStream", `{"StreamName":"s","TagKeys":"x"}`, "Expected list or null"},
		{"RemoveTagsFromStream", `{"StreamName":"s","TagKeys":{}}`, "Start of structure or map found where not expected."},
		{"PutRecord", `{"StreamName":"s","PartitionKey":"k","Data":true}`, "class java.lang.Boolean can not be converted to a Blob"},
		{"PutRecord", `{"StreamName":"s","PartitionKey":"k","Data":12}`, "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to a Blob"},
		{"DeleteStream", `{"StreamName":"s","EnforceConsumerDeletion":"yes"}`, "'YES' can not be converted to an Boolean"},
		{"UpdateStreamMode", `{"StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s","StreamModeDetails":"x"}`, "Expected null"},
	} {
		r := e.raw(t, target(tc.action), jsonType, []byte(tc.body))
		var eb map[string]string
		if err := json.Unmarshal(r.Body, &eb); err != nil {
			t.Fatalf("%s %s: %q", tc.action, tc.body, r.Body)
		}
		if r.Status != 400 || eb["__type"] != "SerializationException" || eb["Message"] != tc.msg {
			t.Errorf("%s %s: %d %q\n want SerializationException with Message %q", tc.action, tc.body, r.Status, r.Body, tc.msg)
		}
	}
}

// TestSerializationTextsCBOR: the same texts for CBOR bodies.
func TestSerializationTextsCBOR(t *testing.T) {
	e := newEnv(t, streams.Config{}, kds.Config{})
	for _, tc := range []struct {
		action string
		body   map[string]any
		msg    string
	}{
		{"DescribeStream", map[string]any{"StreamName": true}, "class java.lang.Boolean can not be converted to an String"},
		{"DescribeStream", map[string]any{"StreamName": 23}, "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"},
		{"DescribeStream", map[string]any{"StreamName": []int{}}, "Start of list found where not expected"},
		{"DescribeStream", map[string]any{"StreamName": "s", "Limit": "23"}, "class java.lang.String can not be converted to an Integer"},
		{"AddTagsToStream", map[string]any{"StreamName": "s", "Tags": "x"}, "Expected map or null"},
		{"RemoveTagsFromStream", map[string]any{"StreamName": "s", "TagKeys": map[string]int{}}, "Start of structure or map found where not expected."},
		{"PutRecord", map[string]any{"StreamName": "s", "PartitionKey": "k", "Data": 12}, "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to a Blob"},
	} {
		r := e.raw(t, target(tc.action), cborType, cborMap(t, tc.body))
		var eb map[string]string
		if err := cbor.Unmarshal(r.Body, &eb); err != nil {
			t.Fatalf("%s %v: %x", tc.action, tc.body, r.Body)
		}
		if r.Status != 400 || eb["__type"] != "SerializationException" || eb["Message"] != tc.msg {
			t.Errorf("%s %v: %d %v\n want SerializationException with Message %q", tc.action, tc.body, r.Status, eb, tc.msg)
		}
	}
}

// TestTypeOnlyErrors: an unknown operation and an empty body are answered
// as AWS does, with the error type alone (no message), in JSON and CBOR.
func TestTypeOnlyErrors(t *testing.T) {
	e := newEnv(t, streams.Config{}, kds.Config{})
	for _, tc := range []struct {
		target, ct, body, want string
	}{
		{"Kinesis_20131202.ListStream", jsonType, "{}", `{"__type":"UnknownOperationException"}`},
		{"Whatever", jsonType, "{}", `{"__type":"UnknownOperationException"}`},
		{"Kinesis_20131202.ListStreams", jsonType, "", `{"__type":"SerializationException"}`},
		{"Kinesis_20131202.ListStream", cborType, "\xa0", "\xa1f__typex\x19UnknownOperationException"},
		{"Kinesis_20131202.ListStreams", cborType, "", "\xa1f__typevSerializationException"},
	} {
		r := e.raw(t, tc.target, tc.ct, []byte(tc.body))
		if r.Status != 400 || string(r.Body) != tc.want {
			t.Errorf("%s %s %q: %d %q, want 400 %q", tc.target, tc.ct, tc.body, r.Status, r.Body, tc.want)
		}
	}
}

// TestStartingSequenceNumberErrors: AWS's sentences for a sequence number
// that is malformed, of another shard, or of another incarnation of the
// stream (deleted and created again: its 56 digits carry the stream's ID).
func TestStartingSequenceNumberErrors(t *testing.T) {
	e := newEnv(t, streams.Config{}, kds.Config{})
	ctx := ctxT(t)
	e.create(t, "seq", 2)
	put, err := e.client.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("seq"), PartitionKey: aws.String("k"), Data: []byte("x"),
		ExplicitHashKey: aws.String("0")})
	if err != nil {
		t.Fatal(err)
	}
	at := func(shard, seq string) error {
		_, err := e.client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("seq"), ShardId: aws.String(shard),
			ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: aws.String(seq)})
		return err
	}
	if err := at("shardId-000000000000", *put.SequenceNumber); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ shard, seq, msg string }{
		{"shardId-000000000001", *put.SequenceNumber, "Invalid StartingSequenceNumber. It encodes shardId-000000000000, while it was used in a call to a shard with shardId-000000000001"},
		{"shardId-000000000000", "123", "StartingSequenceNumber 123 used in GetShardIterator on shard shardId-000000000000 in stream seq under account 000000000000 is invalid."},
	} {
		err := at(tc.shard, tc.seq)
		wantCode(t, err, "InvalidArgumentException")
		if apiMessage(err) != tc.msg {
			t.Errorf("%s %s: %q, want %q", tc.shard, tc.seq, apiMessage(err), tc.msg)
		}
	}
	if _, err := e.client.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("seq")}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := e.client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("seq"), ShardCount: aws.Int32(2)}); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("creating the stream again: %v", err)
		}
	}
	e.waitActive(t, "seq")
	err = at("shardId-000000000000", *put.SequenceNumber)
	wantCode(t, err, "InvalidArgumentException")
	if want := "StartingSequenceNumber " + *put.SequenceNumber + " used in GetShardIterator on shard shardId-000000000000 in stream seq under account 000000000000 is invalid because it did not come from this stream."; apiMessage(err) != want {
		t.Errorf("a number of the deleted stream: %q, want %q", apiMessage(err), want)
	}
}
