package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// awsCLI is Debian's AWS CLI v2 (an older v1 may come first on PATH).
const awsCLI = "/usr/bin/aws"

func requireTool(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required (scripts/test.sh installs it): %v", path, err)
		}
		t.Skipf("%s not installed (scripts/test.sh installs it)", path)
	}
}

// runAWS runs the CLI against url and decodes its JSON output into out.
func runAWS(t *testing.T, url string, out any, args ...string) {
	t.Helper()
	cmd := exec.Command(awsCLI, append([]string{"--endpoint-url", url, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true")
	b, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	if out != nil && len(strings.TrimSpace(string(b))) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
}

// TestAWSCLIDataStreams drives the built binary with the AWS CLI v2.
func TestAWSCLIDataStreams(t *testing.T) {
	requireTool(t, awsCLI)
	srv := startServer(t, t.TempDir())
	u := srv.url
	runAWS(t, u, nil, "kinesis", "create-stream", "--stream-name", "cli", "--shard-count", "2")
	runAWS(t, u, nil, "kinesis", "wait", "stream-exists", "--stream-name", "cli")

	var put struct{ ShardId, SequenceNumber string }
	runAWS(t, u, &put, "kinesis", "put-record", "--stream-name", "cli", "--partition-key", "alpha",
		"--data", "hello from the cli", "--cli-binary-format", "raw-in-base64-out")
	var puts struct {
		FailedRecordCount int
		Records           []struct{ ShardId, SequenceNumber string }
	}
	runAWS(t, u, &puts, "kinesis", "put-records", "--stream-name", "cli", "--cli-binary-format", "raw-in-base64-out",
		"--records", "Data=one,PartitionKey=alpha", "Data=two,PartitionKey=alpha", "Data=three,PartitionKey=beta")
	if puts.FailedRecordCount != 0 || len(puts.Records) != 3 || puts.Records[0].ShardId != put.ShardId {
		t.Fatalf("put-records: %+v (put-record went to %s)", puts, put.ShardId)
	}

	var it struct{ ShardIterator string }
	runAWS(t, u, &it, "kinesis", "get-shard-iterator", "--stream-name", "cli", "--shard-id", put.ShardId,
		"--shard-iterator-type", "AT_SEQUENCE_NUMBER", "--starting-sequence-number", put.SequenceNumber)
	var recs struct {
		Records []struct {
			Data         []byte // the CLI prints base64; encoding/json decodes it
			PartitionKey string
		}
		NextShardIterator string
	}
	runAWS(t, u, &recs, "kinesis", "get-records", "--shard-iterator", it.ShardIterator)
	if len(recs.Records) < 3 || string(recs.Records[0].Data) != "hello from the cli" ||
		string(recs.Records[1].Data) != "one" || string(recs.Records[2].Data) != "two" || recs.NextShardIterator == "" {
		t.Fatalf("get-records: %+v", recs)
	}

	runAWS(t, u, nil, "kinesis", "split-shard", "--stream-name", "cli", "--shard-to-split", "shardId-000000000000",
		"--new-starting-hash-key", "85070591730234615865843651857942052864")
	runAWS(t, u, nil, "kinesis", "wait", "stream-exists", "--stream-name", "cli")
	var shards struct {
		Shards []struct {
			ShardId, ParentShardId string
			SequenceNumberRange    struct{ EndingSequenceNumber string }
		}
	}
	runAWS(t, u, &shards, "kinesis", "list-shards", "--stream-name", "cli")
	if len(shards.Shards) != 4 || shards.Shards[0].SequenceNumberRange.EndingSequenceNumber == "" ||
		shards.Shards[2].ParentShardId != "shardId-000000000000" {
		t.Fatalf("list-shards after split: %+v", shards)
	}
}
