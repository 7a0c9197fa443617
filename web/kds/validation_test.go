package kds_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/web/kds"
)

// validationCases are requests that break the API model's constraints, with
// the exact ValidationException message AWS sends for them.
var validationCases = []struct {
	name, action, body, msg string
}{
	{"stream name pattern", "CreateStream", `{"StreamName":"a b","ShardCount":1}`,
		"1 validation error detected: Value 'a b' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"},
	{"two errors", "CreateStream", `{"ShardCount":0}`,
		"2 validation errors detected: Value null at 'streamName' failed to satisfy constraint: Member must not be null; Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1"},
	{"empty name", "DescribeStream", `{"StreamName":""}`,
		"2 validation errors detected: Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1"},
	{"long name", "DescribeStreamSummary", `{"StreamName":"` + strings.Repeat("a", 129) + `"}`,
		"1 validation error detected: Value '" + strings.Repeat("a", 129) + "' at 'streamName' failed to satisfy constraint: Member must have length less than or equal to 128"},
	{"limit bounds", "DescribeStream", `{"StreamName":"s","Limit":10001}`,
		"1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000"},
	{"iterator type enum", "GetShardIterator", `{"StreamName":"s","ShardId":"shardId-000000000000","ShardIteratorType":"OLDEST"}`,
		"1 validation error detected: Value 'OLDEST' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP]"},
	{"required members", "GetShardIterator", `{"StreamName":"s"}`,
		"2 validation errors detected: Value null at 'shardId' failed to satisfy constraint: Member must not be null; Value null at 'shardIteratorType' failed to satisfy constraint: Member must not be null"},
	{"nested record members", "PutRecords", `{"StreamName":"s","Records":[{"Data":"eA=="},{"PartitionKey":"k","ExplicitHashKey":"-1"}]}`,
		"3 validation errors detected: Value null at 'records.1.member.partitionKey' failed to satisfy constraint: Member must not be null; Value null at 'records.2.member.data' failed to satisfy constraint: Member must not be null; Value '-1' at 'records.2.member.explicitHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})"},
	{"no records", "PutRecords", `{"StreamName":"s","Records":[]}`,
		"1 validation error detected: Value '[]' at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1"},
	{"too many records", "PutRecords", `{"StreamName":"s","Records":[` + strings.TrimSuffix(strings.Repeat(`{"Data":"eA==","PartitionKey":"k"},`, 501), ",") + `]}`,
		"1 validation error detected: Value '[PutRecordsRequestEntry, PutRecordsRequestEntry, PutRecordsRequestEntry, ... (501 entries)]' at 'records' failed to satisfy constraint: Member must have length less than or equal to 500"},
	{"partition key length", "PutRecord", `{"StreamName":"s","Data":"eA==","PartitionKey":"` + strings.Repeat("p", 257) + `"}`,
		"1 validation error detected: Value '" + strings.Repeat("p", 257) + "' at 'partitionKey' failed to satisfy constraint: Member must have length less than or equal to 256"},
	{"metric names", "EnableEnhancedMonitoring", `{"StreamName":"s","ShardLevelMetrics":["IncomingBytes","Bogus"]}`,
		"1 validation error detected: Value '[IncomingBytes, Bogus]' at 'shardLevelMetrics' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [IncomingBytes, IncomingRecords, OutgoingBytes, OutgoingRecords, WriteProvisionedThroughputExceeded, ReadProvisionedThroughputExceeded, IteratorAgeMilliseconds, ALL]]"},
	{"tag key length", "AddTagsToStream", `{"StreamName":"s","Tags":{"":"v"}}`,
		"1 validation error detected: Value '{=v}' at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]"},
	{"tag keys list", "RemoveTagsFromStream", `{"StreamName":"s","TagKeys":[]}`,
		"1 validation error detected: Value '[]' at 'tagKeys' failed to satisfy constraint: Member must have length greater than or equal to 1"},
	{"stream ARN pattern", "DescribeStreamSummary", `{"StreamARN":"arn:aws:s3:::bucket"}`,
		"1 validation error detected: Value 'arn:aws:s3:::bucket' at 'streamARN' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+"},
	{"stream mode", "UpdateStreamMode", `{"StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s","StreamModeDetails":{"StreamMode":"FAST"}}`,
		"1 validation error detected: Value 'FAST' at 'streamModeDetails.streamMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]"},
	{"shard filter", "ListShards", `{"StreamName":"s","ShardFilter":{}}`,
		"1 validation error detected: Value null at 'shardFilter.type' failed to satisfy constraint: Member must not be null"},
	{"scaling type", "UpdateShardCount", `{"StreamName":"s","TargetShardCount":2}`,
		"1 validation error detected: Value null at 'scalingType' failed to satisfy constraint: Member must not be null"},
	{"record size", "CreateStream", `{"StreamName":"s","ShardCount":1,"MaxRecordSizeInKiB":100}`,
		"1 validation error detected: Value '100' at 'maxRecordSizeInKiB' failed to satisfy constraint: Member must have value greater than or equal to 1024"},
	{"starting position", "SubscribeToShard", `{"ConsumerARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1","ShardId":"shardId-000000000000","StartingPosition":{"Type":"AT_SEQUENCE_NUMBER","SequenceNumber":"x"}}`,
		"1 validation error detected: Value 'x' at 'startingPosition.sequenceNumber' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,128})"},
	{"consumer ARN", "DescribeStreamConsumer", `{"ConsumerARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s"}`,
		"1 validation error detected: Value 'arn:aws:kinesis:us-east-1:000000000000:stream/s' at 'consumerARN' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+"},
	{"iterator length", "GetRecords", `{"ShardIterator":""}`,
		"1 validation error detected: Value '' at 'shardIterator' failed to satisfy constraint: Member must have length greater than or equal to 1"},
	{"ten errors at most", "PutRecords", `{"StreamName":"s","Records":[` + strings.TrimSuffix(strings.Repeat(`{},`, 12), ",") + `]}`, ""},
}

// TestValidationMessages checks ValidationException messages word for word
// on raw JSON requests.
func TestValidationMessages(t *testing.T) {
	e := newEnv(t, streams.Config{}, kds.Config{})
	for _, tc := range validationCases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.raw(t, target(tc.action), jsonType, []byte(tc.body))
			if r.Status != http.StatusBadRequest || r.Type != "ValidationException" || r.Header.Get("x-amzn-ErrorType") != "ValidationException" {
				t.Fatalf("status %d type %q header %q: %s", r.Status, r.Type, r.Header.Get("x-amzn-ErrorType"), r.Body)
			}
			if tc.msg == "" {
				if !strings.HasPrefix(r.Message, "10 validation errors detected: ") || strings.Count(r.Message, "; ") != 9 {
					t.Fatalf("message %q", r.Message)
				}
				return
			}
			if r.Message != tc.msg {
				t.Fatalf("message\n got %q\nwant %q", r.Message, tc.msg)
			}
		})
	}
}
