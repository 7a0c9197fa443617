package kds_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/streamstest"
	"github.com/sluice-dev/sluice/web/kds"
)

// fuzzActions are the actions FuzzHandler drives (all but the event
// stream, and DeleteStream, which would remove the fixture stream).
var fuzzActions = []string{
	"CreateStream", "DescribeStream", "DescribeStreamSummary", "ListStreams", "ListShards",
	"PutRecord", "PutRecords", "GetShardIterator", "GetRecords", "SplitShard", "MergeShards",
	"UpdateShardCount", "AddTagsToStream", "ListTagsForStream", "RemoveTagsFromStream",
	"RegisterStreamConsumer", "DescribeStreamConsumer", "ListStreamConsumers",
	"IncreaseStreamRetentionPeriod", "EnableEnhancedMonitoring", "TagResource", "ListTagsForResource",
}

func fuzzActionIndex(action string) uint8 {
	for i, a := range fuzzActions {
		if a == action {
			return uint8(i)
		}
	}
	return 0
}

// FuzzHandler sends arbitrary bodies to a few actions, as JSON and as
// CBOR: the answer must never be a 5xx, and must be a well-formed body
// with an error name whenever it is not a success.
func FuzzHandler(f *testing.F) {
	for _, tc := range badBodies {
		f.Add(fuzzActionIndex(tc.action), tc.contentType == cborType, tc.body)
	}
	for _, tc := range validationCases {
		f.Add(fuzzActionIndex(tc.action), false, []byte(tc.body))
	}
	for action, body := range map[string]string{
		"PutRecords":       `{"StreamName":"fz","Records":[{"Data":"aGk=","PartitionKey":"a"},{"Data":"","PartitionKey":"b","ExplicitHashKey":"0"}]}`,
		"GetShardIterator": `{"StreamName":"fz","ShardId":"shardId-000000000001","ShardIteratorType":"AT_TIMESTAMP","Timestamp":1700000000.5}`,
		"ListShards":       `{"StreamName":"fz","MaxResults":1,"ShardFilter":{"Type":"AT_TIMESTAMP","Timestamp":0}}`,
		"SplitShard":       `{"StreamName":"fz","ShardToSplit":"0","NewStartingHashKey":"12345"}`,
		"GetRecords":       `{"ShardIterator":"AQAAAAAAAAAA","Limit":5}`,
	} {
		f.Add(fuzzActionIndex(action), false, []byte(body))
		var v any
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			f.Fatal(err)
		}
		f.Add(fuzzActionIndex(action), true, mustCBOR(v))
	}

	core := streamstest.Open(f, streams.Config{MaxShards: 40, MemoryStorage: true})
	h := kds.New(core, kds.Config{Logger: slog.New(slog.DiscardHandler)})
	f.Cleanup(func() { h.Close() })
	ctx := context.Background()
	if err := core.CreateStream(ctx, "fz", streams.CreateOptions{ShardCount: 2}); err != nil {
		f.Fatal(err)
	}
	for {
		s, err := core.DescribeStream(ctx, "fz")
		if err != nil {
			f.Fatal(err)
		}
		if s.Status == streams.StatusActive {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := core.RegisterConsumer(ctx, "fz", "fc"); err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, action uint8, useCBOR bool, body []byte) {
		name := fuzzActions[int(action)%len(fuzzActions)]
		contentType := jsonType
		if useCBOR {
			contentType = cborType
		}
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", "Kinesis_20131202."+name)
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q: status %d: %s", name, body, rec.Code, rec.Body.Bytes())
		}
		if rec.Header().Get("x-amzn-RequestId") == "" || rec.Header().Get("Content-Type") != contentType {
			t.Fatalf("%s: headers %v", name, rec.Header())
		}
		var decoded map[string]any
		var err error
		if useCBOR {
			err = cbor.Unmarshal(rec.Body.Bytes(), &decoded)
		} else {
			err = json.Unmarshal(rec.Body.Bytes(), &decoded)
		}
		if err != nil && !(rec.Code == http.StatusOK && rec.Body.Len() == 0) { // an action without output: empty
			t.Fatalf("%s: undecodable response %q: %v", name, rec.Body.Bytes(), err)
		}
		if rec.Code != http.StatusOK {
			if typ, _ := decoded["__type"].(string); typ == "" || rec.Header().Get("x-amzn-ErrorType") != typ {
				t.Fatalf("%s: error without a type: %d %q", name, rec.Code, rec.Body.Bytes())
			}
		}
	})
}
