package cluster

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kdstypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	kvstypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"

	"github.com/sluice-dev/sluice/internal/e2e"
	"github.com/sluice-dev/sluice/web/webtest"
)

// Timings of the tests, as parameters: how long the nodes may take to be
// ready, and streams to be ACTIVE everywhere.
const (
	readyWithin  = 30 * time.Second
	activeWithin = 10 * time.Second
)

func videoClient(url string) *kinesisvideo.Client {
	return kinesisvideo.New(kinesisvideo.Options{BaseEndpoint: aws.String(url), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""), Retryer: webtest.Retryer()})
}

// TestClusterControlPlane: three nodes started together on a fresh
// three-server NATS cluster all come up; data and video streams created
// through different nodes are ACTIVE, seen from another node, within
// activeWithin; a NATS server killed under PutRecords load loses no
// acknowledged record.
func TestClusterControlPlane(t *testing.T) {
	nats := e2e.StartNATSCluster(t, 3)
	nodes := e2e.StartNodes(t, nats, 3, readyWithin)
	ctx := context.Background()

	created := time.Now()
	var data []string
	for i := range 9 {
		name := fmt.Sprintf("data-%d", i)
		kc := e2e.KinesisClient(nodes[i%3].URL)
		if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(2)}); err != nil {
			t.Fatalf("CreateStream %s on %s: %v", name, nodes[i%3].Name, err)
		}
		data = append(data, name)
	}
	var video []string
	for i := range 3 {
		name := fmt.Sprintf("video-%d", i)
		if _, err := videoClient(nodes[i].URL).CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String(name), DataRetentionInHours: aws.Int32(1)}); err != nil {
			t.Fatalf("video CreateStream %s on %s: %v", name, nodes[i].Name, err)
		}
		video = append(video, name)
	}
	e2e.WaitFor(t, activeWithin, "every stream ACTIVE as seen from another node", func() bool {
		for i, name := range data {
			out, err := e2e.KinesisClient(nodes[(i+1)%3].URL).DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
			if err != nil || out.StreamDescriptionSummary.StreamStatus != kdstypes.StreamStatusActive {
				return false
			}
		}
		for i, name := range video {
			out, err := videoClient(nodes[(i+1)%3].URL).DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamName: aws.String(name)})
			if err != nil || out.StreamInfo.Status != kvstypes.StatusActive {
				return false
			}
		}
		return true
	})
	t.Logf("9 data and 3 video streams ACTIVE on other nodes %v after the first create", time.Since(created).Round(time.Millisecond))

	// PutRecords through node 1 while NATS server 2 is killed: every
	// acknowledged record is read back through node 3.
	kc := e2e.KinesisClient(nodes[0].URL)
	var acked []string
	deadline := time.Now().Add(6 * time.Second)
	killed := false
	for i := 0; time.Now().Before(deadline) && i < 2000; i++ {
		if !killed && time.Until(deadline) < 4*time.Second {
			nats.Kill(1)
			killed = true
		}
		var entries []kdstypes.PutRecordsRequestEntry
		for j := range 10 {
			entries = append(entries, kdstypes.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprintf("k%d", j)), Data: fmt.Appendf(nil, "r%d-%d", i, j)})
		}
		out, err := kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("data-0"), Records: entries})
		if err != nil {
			continue // not acknowledged: may or may not be stored
		}
		for j, r := range out.Records {
			if r.ErrorCode == nil {
				acked = append(acked, string(entries[j].Data))
			}
		}
	}
	if !killed || len(acked) == 0 {
		t.Fatalf("killed %v, %d records acknowledged", killed, len(acked))
	}
	reader := e2e.KinesisClient(nodes[2].URL)
	var got []string
	shards, err := reader.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("data-0")})
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range shards.Shards {
		it, err := reader.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("data-0"), ShardId: sh.ShardId, ShardIteratorType: kdstypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		iter := it.ShardIterator
		for iter != nil {
			out, err := reader.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range out.Records {
				got = append(got, string(r.Data))
			}
			if len(out.Records) == 0 && aws.ToInt64(out.MillisBehindLatest) == 0 {
				break
			}
			iter = out.NextShardIterator
		}
	}
	missing := 0
	for _, a := range acked {
		if !slices.Contains(got, a) {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged records missing after a NATS server was killed", missing, len(acked))
	}
	t.Logf("NATS server killed under load: %d records acknowledged, all read back from another node", len(acked))
}
