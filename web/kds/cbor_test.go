package kds_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/web/kds"
)

// indefiniteMap encodes key/value pairs as an indefinite-length CBOR map,
// as the Jackson CBOR generator inside the AWS Java SDK writes objects.
func indefiniteMap(t testing.TB, pairs ...any) []byte {
	t.Helper()
	b := []byte{0xbf}
	for _, v := range pairs {
		enc, err := cbor.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, enc...)
	}
	return append(b, 0xff)
}

func (e *env) rawCBOR(t testing.TB, action string, body []byte, out any) int {
	t.Helper()
	r := e.raw(t, target(action), cborType, body)
	if ct := r.Header.Get("Content-Type"); ct != cborType {
		t.Fatalf("%s: response Content-Type %q", action, ct)
	}
	if out == nil {
		if len(r.Body) != 0 {
			t.Fatalf("%s: response %x, want an empty body", action, r.Body)
		}
		return r.Status
	}
	if err := cbor.Unmarshal(r.Body, out); err != nil {
		t.Fatalf("%s: response %x is not CBOR: %v", action, r.Body, err)
	}
	return r.Status
}

// TestCBORJavaSDK speaks CBOR the way the AWS Java SDK does: indefinite
// maps, byte-string Data, tag-1 timestamps in epoch milliseconds; and
// checks the CBOR answers (byte strings, tag-1 milliseconds, CBOR errors).
func TestCBORJavaSDK(t *testing.T) {
	e := newEnv(t, streams.Config{}, kds.Config{})
	if st := e.rawCBOR(t, "CreateStream", indefiniteMap(t, "StreamName", "java", "ShardCount", 1), nil); st != http.StatusOK { // no output: an empty body, as AWS
		t.Fatalf("CreateStream: %d", st)
	}
	e.waitActive(t, "java")

	before := time.Now().Add(-time.Second)
	payload := []byte{0x00, 0x01, 0xfe, 0xff}
	var put struct {
		ShardID        string `cbor:"ShardId"`
		SequenceNumber string
	}
	if st := e.rawCBOR(t, "PutRecord", indefiniteMap(t, "StreamName", "java", "Data", payload, "PartitionKey", "pk"), &put); st != http.StatusOK || put.ShardID != "shardId-000000000000" || put.SequenceNumber == "" {
		t.Fatalf("PutRecord: %d %+v", st, put)
	}

	// Timestamps: tag 1 over integer milliseconds (Java SDK), over
	// integer seconds and over float seconds.
	for _, ts := range []cbor.Tag{
		{Number: 1, Content: before.UnixMilli()},
		{Number: 1, Content: before.Unix()},
		{Number: 1, Content: float64(before.UnixMilli()) / 1000},
	} {
		var it struct{ ShardIterator string }
		if st := e.rawCBOR(t, "GetShardIterator", indefiniteMap(t, "StreamName", "java", "ShardId", "shardId-000000000000",
			"ShardIteratorType", "AT_TIMESTAMP", "Timestamp", ts), &it); st != http.StatusOK {
			t.Fatalf("GetShardIterator %v: %d", ts, st)
		}
		var recs struct {
			Records []struct {
				Data                        cbor.RawMessage
				PartitionKey                string
				SequenceNumber              string
				ApproximateArrivalTimestamp cbor.RawTag
			}
			NextShardIterator  string
			MillisBehindLatest int64
		}
		if st := e.rawCBOR(t, "GetRecords", indefiniteMap(t, "ShardIterator", it.ShardIterator), &recs); st != http.StatusOK {
			t.Fatalf("GetRecords: %d", st)
		}
		if len(recs.Records) != 1 || recs.NextShardIterator == "" {
			t.Fatalf("timestamp %v: %+v", ts, recs)
		}
		r := recs.Records[0]
		var data []byte
		if r.Data[0]>>5 != 2 || cbor.Unmarshal(r.Data, &data) != nil || !bytes.Equal(data, payload) {
			t.Fatalf("Data %x is not the byte string %x", []byte(r.Data), payload)
		}
		var ms uint64
		if r.ApproximateArrivalTimestamp.Number != 1 || cbor.Unmarshal(r.ApproximateArrivalTimestamp.Content, &ms) != nil ||
			int64(ms) < before.UnixMilli() || int64(ms) > time.Now().UnixMilli() {
			t.Fatalf("ApproximateArrivalTimestamp %+v is not tag 1 over epoch milliseconds", r.ApproximateArrivalTimestamp)
		}
		if r.PartitionKey != "pk" || r.SequenceNumber != put.SequenceNumber {
			t.Fatalf("record %+v", r)
		}
	}

	var desc struct {
		StreamDescription struct {
			StreamName              string
			StreamCreationTimestamp cbor.RawTag
			HasMoreShards           bool
			Shards                  []map[string]any
		}
	}
	if st := e.rawCBOR(t, "DescribeStream", indefiniteMap(t, "StreamName", "java"), &desc); st != http.StatusOK {
		t.Fatalf("DescribeStream: %d", st)
	}
	var created int64
	if d := desc.StreamDescription; d.StreamName != "java" || len(d.Shards) != 1 || d.StreamCreationTimestamp.Number != 1 ||
		cbor.Unmarshal(d.StreamCreationTimestamp.Content, &created) != nil || created < before.Add(-time.Minute).UnixMilli() {
		t.Fatalf("DescribeStream %+v", d)
	}

	var eb struct {
		Type    string `cbor:"__type"`
		Message string `cbor:"message"`
	}
	if st := e.rawCBOR(t, "DescribeStream", indefiniteMap(t, "StreamName", "nope"), &eb); st != http.StatusBadRequest ||
		eb.Type != "ResourceNotFoundException" || eb.Message != "Stream nope under account 000000000000 not found." {
		t.Fatalf("error: %d %+v", st, eb)
	}
	if st := e.rawCBOR(t, "PutRecord", indefiniteMap(t, "StreamName", "java", "Data", "not bytes", "PartitionKey", "pk"), &eb); st != http.StatusBadRequest || eb.Type != "SerializationException" {
		t.Fatalf("text Data: %d %+v", st, eb)
	}
}
