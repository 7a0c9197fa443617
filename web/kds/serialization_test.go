package kds_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/web/kds"
)

const cborType = "application/x-amz-cbor-1.1"

// badBodies are malformed requests; none may yield a 5xx. They also seed
// FuzzHandler.
var badBodies = []struct {
	name, action, contentType string
	body                      []byte
	want                      string // __type; "" accepts any 4xx
}{
	{"not JSON", "ListStreams", jsonType, []byte(`{"Limit":`), "SerializationException"},
	{"garbage", "CreateStream", jsonType, []byte("\x00\xff\xfe"), "SerializationException"},
	{"array", "DescribeStream", jsonType, []byte(`[1,2]`), "SerializationException"},
	{"null", "DescribeStream", jsonType, []byte(`null`), "SerializationException"},
	{"string name as number", "CreateStream", jsonType, []byte(`{"StreamName":5,"ShardCount":1}`), "SerializationException"},
	{"int as string", "CreateStream", jsonType, []byte(`{"StreamName":"s","ShardCount":"1"}`), "SerializationException"},
	{"int as float", "DescribeStream", jsonType, []byte(`{"StreamName":"s","Limit":1.5}`), "SerializationException"},
	{"int overflow", "DescribeStream", jsonType, []byte(`{"StreamName":"s","Limit":1e400}`), "SerializationException"},
	{"bool as string", "DeleteStream", jsonType, []byte(`{"StreamName":"s","EnforceConsumerDeletion":"yes"}`), "SerializationException"},
	{"bad base64", "PutRecord", jsonType, []byte(`{"StreamName":"s","PartitionKey":"k","Data":"!!!"}`), "SerializationException"},
	{"blob as number", "PutRecord", jsonType, []byte(`{"StreamName":"s","PartitionKey":"k","Data":12}`), "SerializationException"},
	{"records not a list", "PutRecords", jsonType, []byte(`{"StreamName":"s","Records":{"Data":"eA=="}}`), "SerializationException"},
	{"record not a structure", "PutRecords", jsonType, []byte(`{"StreamName":"s","Records":["x"]}`), "SerializationException"},
	{"timestamp as string", "GetShardIterator", jsonType, []byte(`{"StreamName":"s","ShardId":"0","ShardIteratorType":"AT_TIMESTAMP","Timestamp":"yesterday"}`), "SerializationException"},
	{"timestamp huge", "GetShardIterator", jsonType, []byte(`{"StreamName":"s","ShardId":"0","ShardIteratorType":"AT_TIMESTAMP","Timestamp":1e300}`), "SerializationException"},
	{"tags not a map", "AddTagsToStream", jsonType, []byte(`{"StreamName":"s","Tags":["a"]}`), "SerializationException"},
	{"tag value not a string", "AddTagsToStream", jsonType, []byte(`{"StreamName":"s","Tags":{"a":1}}`), "SerializationException"},
	{"filter not a structure", "ListShards", jsonType, []byte(`{"StreamName":"s","ShardFilter":"AT_LATEST"}`), "SerializationException"},
	{"trailing data", "ListStreams", jsonType, []byte(`{}{}`), "SerializationException"},
	{"deep nesting", "ListStreams", jsonType, []byte(strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)), "SerializationException"},
	{"CBOR garbage", "ListStreams", cborType, []byte{0xa1, 0x61}, "SerializationException"},
	{"CBOR not a map", "ListStreams", cborType, []byte{0x83, 1, 2, 3}, "SerializationException"},
	{"CBOR wrong type", "CreateStream", cborType, mustCBOR(map[string]any{"StreamName": 7}), "SerializationException"},
	{"CBOR text as blob", "PutRecord", cborType, mustCBOR(map[string]any{"StreamName": "s", "PartitionKey": "k", "Data": map[string]int{"a": 1}}), "SerializationException"},
	{"CBOR bad timestamp tag", "GetShardIterator", cborType, mustCBOR(map[string]any{"StreamName": "s", "ShardId": "0", "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": cbor.Tag{Number: 2, Content: []byte{1}}}), "SerializationException"},
	{"CBOR timestamp as text", "GetShardIterator", cborType, mustCBOR(map[string]any{"StreamName": "s", "ShardId": "0", "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": "now"}), "SerializationException"},
	{"CBOR trailing bytes", "ListStreams", cborType, append(mustCBOR(map[string]any{}), 0x00), "SerializationException"},
	{"CBOR indefinite without break", "ListStreams", cborType, []byte{0xbf, 0x65, 'L', 'i', 'm', 'i', 't', 0x01}, "SerializationException"},
	{"unsupported content type", "ListStreams", "text/plain", []byte(`{}`), "SerializationException"},
	{"valid JSON, invalid values", "PutRecords", jsonType, []byte(`{"Records":[{}]}`), "ValidationException"},
}

func mustCBOR(v any) []byte {
	b, err := cbor.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// TestBadBodies sends malformed requests: each must be a 4xx with the
// expected AWS error name, never a 5xx.
func TestBadBodies(t *testing.T) {
	e := newEnv(t, streams.Config{}, kds.Config{})
	for _, tc := range badBodies {
		t.Run(tc.name, func(t *testing.T) {
			r := e.raw(t, target(tc.action), tc.contentType, tc.body)
			if r.Status >= 500 || r.Status < 400 {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			typ := r.Type
			if strings.Contains(tc.contentType, "cbor") {
				var eb map[string]string
				if err := cbor.Unmarshal(r.Body, &eb); err != nil {
					t.Fatalf("CBOR error body %x: %v", r.Body, err)
				}
				typ = eb["__type"]
			}
			if tc.want != "" && typ != tc.want {
				t.Fatalf("type %q, want %q (%s)", typ, tc.want, r.Body)
			}
			if r.Header.Get("x-amzn-RequestId") == "" || r.Header.Get("x-amzn-ErrorType") != typ {
				t.Fatalf("headers %v", r.Header)
			}
		})
	}
}

// TestProtocolErrors covers the requests that never reach an action.
func TestProtocolErrors(t *testing.T) {
	e := newEnv(t, streams.Config{}, kds.Config{MaxBodyBytes: 1024})
	for _, tc := range []struct {
		name, method, target, contentType string
		body                              []byte
		status                            int
		typ                               string
	}{
		{"unknown operation", http.MethodPost, target("FlyToTheMoon"), jsonType, []byte(`{}`), 400, "UnknownOperationException"},
		{"other service", http.MethodPost, "DynamoDB_20120810.ListTables", jsonType, []byte(`{}`), 400, "UnknownOperationException"},
		{"no target", http.MethodPost, "", jsonType, []byte(`{}`), 403, "AccessDeniedException"},
		{"GET", http.MethodGet, target("ListStreams"), jsonType, nil, 403, "AccessDeniedException"},
		{"body too large", http.MethodPost, target("PutRecord"), jsonType, bytes.Repeat([]byte(" "), 2048), 400, "SerializationException"},
		{"JSON 1.0", http.MethodPost, target("ListStreams"), "application/x-amz-json-1.0", []byte(`{}`), 200, ""},
		{"plain JSON", http.MethodPost, target("ListStreams"), "application/json; charset=utf-8", []byte(`{}`), 200, ""},
		{"no content type", http.MethodPost, target("ListStreams"), "", []byte(`{}`), 200, ""},
		{"empty body", http.MethodPost, target("DescribeLimits"), jsonType, nil, 400, "SerializationException"}, // as AWS (SDKs send {})
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, e.srv.URL+"/", bytes.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.target != "" {
				req.Header.Set("X-Amz-Target", tc.target)
			}
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var eb struct {
				Type string `json:"__type"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || eb.Type != tc.typ || resp.Header.Get("x-amzn-RequestId") == "" {
				t.Fatalf("status %d type %q, want %d %q", resp.StatusCode, eb.Type, tc.status, tc.typ)
			}
			if ct := resp.Header.Get("Content-Type"); tc.status == 200 && tc.contentType != "" && !strings.HasPrefix(tc.contentType, ct) {
				t.Fatalf("response Content-Type %q for request %q", ct, tc.contentType)
			}
		})
	}
}
