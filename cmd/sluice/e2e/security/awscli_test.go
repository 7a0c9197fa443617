package security

import (
	"testing"

	"github.com/sluice-dev/sluice/internal/e2e"
)

// TestAWSCLIDataStreams drives the built binary with the AWS CLI v2.
func TestAWSCLIDataStreams(t *testing.T) {
	e2e.RequireTool(t, e2e.AWSCLI)
	srv := e2e.StartServer(t, t.TempDir())
	u := srv.URL
	e2e.RunAWS(t, u, nil, "kinesis", "create-stream", "--stream-name", "cli", "--shard-count", "2")
	e2e.RunAWS(t, u, nil, "kinesis", "wait", "stream-exists", "--stream-name", "cli")

	var put struct{ ShardId, SequenceNumber string }
	e2e.RunAWS(t, u, &put, "kinesis", "put-record", "--stream-name", "cli", "--partition-key", "alpha",
		"--data", "hello from the cli", "--cli-binary-format", "raw-in-base64-out")
	var puts struct {
		FailedRecordCount int
		Records           []struct{ ShardId, SequenceNumber string }
	}
	e2e.RunAWS(t, u, &puts, "kinesis", "put-records", "--stream-name", "cli", "--cli-binary-format", "raw-in-base64-out",
		"--records", "Data=one,PartitionKey=alpha", "Data=two,PartitionKey=alpha", "Data=three,PartitionKey=beta")
	if puts.FailedRecordCount != 0 || len(puts.Records) != 3 || puts.Records[0].ShardId != put.ShardId {
		t.Fatalf("put-records: %+v (put-record went to %s)", puts, put.ShardId)
	}

	var it struct{ ShardIterator string }
	e2e.RunAWS(t, u, &it, "kinesis", "get-shard-iterator", "--stream-name", "cli", "--shard-id", put.ShardId,
		"--shard-iterator-type", "AT_SEQUENCE_NUMBER", "--starting-sequence-number", put.SequenceNumber)
	var recs struct {
		Records []struct {
			Data         []byte // the CLI prints base64; encoding/json decodes it
			PartitionKey string
		}
		NextShardIterator string
	}
	e2e.RunAWS(t, u, &recs, "kinesis", "get-records", "--shard-iterator", it.ShardIterator)
	if len(recs.Records) < 3 || string(recs.Records[0].Data) != "hello from the cli" ||
		string(recs.Records[1].Data) != "one" || string(recs.Records[2].Data) != "two" || recs.NextShardIterator == "" {
		t.Fatalf("get-records: %+v", recs)
	}

	e2e.RunAWS(t, u, nil, "kinesis", "split-shard", "--stream-name", "cli", "--shard-to-split", "shardId-000000000000",
		"--new-starting-hash-key", "85070591730234615865843651857942052864")
	e2e.RunAWS(t, u, nil, "kinesis", "wait", "stream-exists", "--stream-name", "cli")
	var shards struct {
		Shards []struct {
			ShardId, ParentShardId string
			SequenceNumberRange    struct{ EndingSequenceNumber string }
		}
	}
	e2e.RunAWS(t, u, &shards, "kinesis", "list-shards", "--stream-name", "cli")
	if len(shards.Shards) != 4 || shards.Shards[0].SequenceNumberRange.EndingSequenceNumber == "" ||
		shards.Shards[2].ParentShardId != "shardId-000000000000" {
		t.Fatalf("list-shards after split: %+v", shards)
	}
}
