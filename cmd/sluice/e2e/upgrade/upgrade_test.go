package upgrade

import (
	"context"
	"encoding/json"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/sluice-dev/sluice/internal/e2e"
)

// fixture is what testdata/data-37-digit.json says the earlier build
// answered to the PutRecords calls that wrote the data directory.
type fixture struct {
	Written string
	Records []struct {
		PartitionKey, Data, SequenceNumber, ShardId string
	}
}

func seqNum(t *testing.T, s string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		t.Fatalf("sequence number %q", s)
	}
	return n
}

// TestSequenceNumbersFromBefore: a data directory written by a build with
// 37-digit sequence numbers (testdata/data-37-digit.tar.gz: stream
// "legacy", 12 records) is served by this one: every old sequence number
// still works as an AT_ and AFTER_SEQUENCE_NUMBER position; records
// written now get AWS's 56 digits, numerically after the old ones.
func TestSequenceNumbersFromBefore(t *testing.T) {
	var fx fixture
	b, err := os.ReadFile(filepath.Join("testdata", "data-37-digit.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if out, err := exec.Command("tar", "-xzf", filepath.Join("testdata", "data-37-digit.tar.gz"), "-C", root).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	srv := e2e.StartServer(t, filepath.Join(root, "data"))
	kc := e2e.KinesisClient(srv.URL)
	ctx := context.Background()
	e2e.WaitStreamActive(t, kc, "legacy")

	read := func(shard string, typ types.ShardIteratorType, seq string) []types.Record {
		t.Helper()
		it, err := kc.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("legacy"), ShardId: aws.String(shard),
			ShardIteratorType: typ, StartingSequenceNumber: aws.String(seq)})
		if err != nil {
			t.Fatalf("%s %s: %v", typ, seq, err)
		}
		return e2e.GetRecords(t, kc, it.ShardIterator).Records
	}
	byShard := map[string][]string{} // shard -> data of its records, in order
	for _, r := range fx.Records {
		byShard[r.ShardId] = append(byShard[r.ShardId], r.Data)
	}
	for _, r := range fx.Records {
		if len(r.SequenceNumber) != 37 {
			t.Fatalf("the fixture's sequence number %s is not of the old form", r.SequenceNumber)
		}
		at := read(r.ShardId, types.ShardIteratorTypeAtSequenceNumber, r.SequenceNumber)
		if len(at) == 0 || string(at[0].Data) != r.Data {
			t.Fatalf("AT_SEQUENCE_NUMBER %s: %d records (first %q), want %s first", r.SequenceNumber, len(at), firstData(at), r.Data)
		}
		after := read(r.ShardId, types.ShardIteratorTypeAfterSequenceNumber, r.SequenceNumber)
		if len(after) != len(at)-1 || len(after) > 0 && string(after[0].Data) != string(at[1].Data) {
			t.Fatalf("AFTER_SEQUENCE_NUMBER %s: %d records after it, want %d", r.SequenceNumber, len(after), len(at)-1)
		}
	}
	// New records: 56 digits, after the old ones in number.
	put, err := kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("legacy"), PartitionKey: aws.String("a"), Data: []byte("new")})
	if err != nil {
		t.Fatal(err)
	}
	if len(*put.SequenceNumber) != 56 {
		t.Fatalf("a new record's sequence number %s has %d digits, want 56", *put.SequenceNumber, len(*put.SequenceNumber))
	}
	last := fx.Records[len(fx.Records)-1].SequenceNumber
	for _, r := range fx.Records {
		if r.ShardId == *put.ShardId {
			last = r.SequenceNumber
		}
	}
	if seqNum(t, *put.SequenceNumber).Cmp(seqNum(t, last)) <= 0 {
		t.Fatalf("the new %s is not after the old %s", *put.SequenceNumber, last)
	}
	all := read(*put.ShardId, types.ShardIteratorTypeAfterSequenceNumber, last)
	if len(all) != 1 || string(all[0].Data) != "new" || *all[0].SequenceNumber != *put.SequenceNumber {
		t.Fatalf("after the last old record: %+v", all)
	}
	t.Logf("%d records of %s read by their old sequence numbers; new records numbered like %s", len(fx.Records), fx.Written, *put.SequenceNumber)
}

func firstData(rs []types.Record) string {
	if len(rs) == 0 {
		return ""
	}
	return string(rs[0].Data)
}
