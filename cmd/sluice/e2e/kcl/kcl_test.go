package kcl

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/vmware/vmware-go-kcl-v2/clientlibrary/config"
	kcli "github.com/vmware/vmware-go-kcl-v2/clientlibrary/interfaces"
	"github.com/vmware/vmware-go-kcl-v2/clientlibrary/worker"

	"github.com/sluice-dev/sluice/internal/e2e"
)

// LeaseStore is where a KCL keeps its lease table: a DynamoDB endpoint.
// dynalite today; Sluice itself once it serves the lease tables.
type LeaseStore func(t *testing.T, sluiceURL string) (endpoint string)

func dynalite(t *testing.T, _ string) string { return e2e.StartDynalite(t) }

// app is what the record processors of every worker saw.
type app struct {
	mu      sync.Mutex
	events  []string         // "init <shard>", "end <shard>", in order
	started map[string]int   // shard -> index in events of its first init
	ended   map[string]int   // shard -> index in events of its TERMINATE
	records map[string][]int // partition key -> record numbers in processing order
	total   int
	errs    []string
}

func (a *app) event(kind, shard string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := len(a.events)
	a.events = append(a.events, kind+" "+shard)
	switch kind {
	case "init":
		if _, ok := a.started[shard]; !ok {
			a.started[shard] = i
		}
	case "end":
		a.ended[shard] = i
	}
}

type processor struct {
	a     *app
	shard string
}

func (p *processor) Initialize(in *kcli.InitializationInput) {
	p.shard = in.ShardId
	p.a.event("init", p.shard)
}

func (p *processor) ProcessRecords(in *kcli.ProcessRecordsInput) {
	if len(in.Records) == 0 {
		return
	}
	p.a.mu.Lock()
	for _, r := range in.Records {
		n, err := strconv.Atoi(strings.TrimPrefix(string(r.Data), *r.PartitionKey+":"))
		if err != nil {
			p.a.errs = append(p.a.errs, fmt.Sprintf("record %q of key %s", r.Data, *r.PartitionKey))
			continue
		}
		p.a.records[*r.PartitionKey] = append(p.a.records[*r.PartitionKey], n)
		p.a.total++
	}
	p.a.mu.Unlock()
	if err := in.Checkpointer.Checkpoint(in.Records[len(in.Records)-1].SequenceNumber); err != nil {
		p.a.mu.Lock()
		p.a.errs = append(p.a.errs, fmt.Sprintf("checkpoint on %s: %v", p.shard, err))
		p.a.mu.Unlock()
	}
}

func (p *processor) Shutdown(in *kcli.ShutdownInput) {
	if in.ShutdownReason != kcli.TERMINATE {
		return
	}
	// The shard's end: checkpoint it, so that its children may start.
	if err := in.Checkpointer.Checkpoint(nil); err != nil {
		p.a.mu.Lock()
		p.a.errs = append(p.a.errs, fmt.Sprintf("shard-end checkpoint on %s: %v", p.shard, err))
		p.a.mu.Unlock()
	}
	p.a.event("end", p.shard)
}

type factory struct{ a *app }

func (f factory) CreateProcessor() kcli.IRecordProcessor { return &processor{a: f.a} }

// TestKCLEnhancedFanOutAcrossReshards: two vmware-go-kcl-v2 workers with
// enhanced fan-out consume a 2-shard stream into which 2,000 records of 20
// keys are put, while one shard is split and one of its children merged
// with the other shard. Every record is processed, in order per key;
// every parent ends (TERMINATE at the shard's end) before its children
// start; both workers shut down within a bound.
func TestKCLEnhancedFanOutAcrossReshards(t *testing.T) {
	runKCL(t, dynalite)
}

func runKCL(t *testing.T, store LeaseStore) {
	srv := e2e.StartServer(t, t.TempDir())
	leases := store(t, srv.URL)
	kc := e2e.KinesisClient(srv.URL)
	ctx := context.Background()
	const stream = "kcl"
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(stream), ShardCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	e2e.WaitStreamActive(t, kc, stream)

	a := &app{started: map[string]int{}, ended: map[string]int{}, records: map[string][]int{}}
	creds := credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")
	var workers []*worker.Worker
	for i := range 2 {
		cfg := config.NewKinesisClientLibConfigWithCredential("kcl-app", stream, "us-east-1", fmt.Sprint("worker-", i), creds).
			WithKinesisEndpoint(srv.URL).
			WithDynamoDBEndpoint(leases).
			WithInitialPositionInStream(config.TRIM_HORIZON).
			WithEnhancedFanOutConsumer(true).
			WithEnhancedFanOutConsumerName("kcl-app").
			WithShardSyncIntervalMillis(1000).
			WithLeaseSyncingIntervalMillis(1000).
			WithFailoverTimeMillis(6000).
			WithLeaseRefreshPeriodMillis(2000).
			WithMaxLeasesForWorker(3)
		cfg.ParentShardPollIntervalMillis = 500
		w := worker.NewWorker(factory{a}, cfg).WithKinesis(e2e.KinesisClient(srv.URL))
		if err := w.Start(); err != nil {
			t.Fatalf("worker %d: %v", i, err)
		}
		workers = append(workers, w)
	}

	// 2,000 records, 20 keys, in batches of 50. Shard 0 is split once the
	// first 700 are processed (the workers are consuming: the parents have
	// checkpoints), and its upper child merged with shard 1 once 1,400 are.
	const keys, total = 20, 2000
	next := make([]int, keys)
	processed := func(n int) {
		e2e.WaitFor(t, 60*time.Second, fmt.Sprint(n, " records to be processed"), func() bool {
			a.mu.Lock()
			defer a.mu.Unlock()
			return a.total >= n
		})
	}
	for put := 0; put < total; put += 50 {
		var entries []types.PutRecordsRequestEntry
		for i := range 50 {
			k := (put + i) % keys
			entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprint("key-", k)), Data: []byte(fmt.Sprintf("key-%d:%d", k, next[k]))})
			next[k]++
		}
		out, err := kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries})
		if err != nil || aws.ToInt32(out.FailedRecordCount) != 0 {
			t.Fatalf("PutRecords: %v %+v", err, out)
		}
		switch put + 50 {
		case 700:
			processed(700)
			if _, err := kc.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String(stream), ShardToSplit: aws.String("shardId-000000000000"),
				NewStartingHashKey: aws.String("85070591730234615865843651857942052864")}); err != nil { // 2^126
				t.Fatal(err)
			}
			e2e.WaitStreamActive(t, kc, stream)
		case 1400:
			processed(1400)
			if _, err := kc.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String(stream), ShardToMerge: aws.String("shardId-000000000003"),
				AdjacentShardToMerge: aws.String("shardId-000000000001")}); err != nil {
				t.Fatal(err)
			}
			e2e.WaitStreamActive(t, kc, stream)
		}
	}
	processed(total)
	stopped := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		for _, w := range workers {
			wg.Go(w.Shutdown)
		}
		wg.Wait()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("the workers did not shut down within 30 s")
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.errs) > 0 {
		t.Fatalf("record processor errors: %v", a.errs)
	}
	// Every record, in order per key (a record seen again after a
	// failover is allowed; it never comes before a later one's first).
	for k := range keys {
		key := fmt.Sprint("key-", k)
		want := 0
		for _, n := range a.records[key] {
			if n == want {
				want++
			} else if n > want {
				t.Fatalf("%s: record %d processed before %d (order %v; shard events %v)", key, n, want, a.records[key], a.events)
			}
		}
		if want != next[k] {
			t.Fatalf("%s: %d of %d records processed", key, want, next[k])
		}
	}
	// Every parent reaches its end (TERMINATE: the last event of a closed
	// shard had no continuation) and ends before its child starts.
	// vmware-go-kcl-v2 waits for a child's ParentShardId only, not for
	// its AdjacentParentShardId (the Java KCL waits for both): the merge's
	// other parent, shard 1, must end, in any order.
	lineage := map[string]string{
		"shardId-000000000002": "shardId-000000000000",
		"shardId-000000000003": "shardId-000000000000",
		"shardId-000000000004": "shardId-000000000003",
	}
	for child, parent := range lineage {
		c, ok := a.started[child]
		if !ok {
			t.Fatalf("%s never started (events: %v)", child, a.events)
		}
		if e, ok := a.ended[parent]; !ok || e > c {
			t.Fatalf("%s started before its parent %s ended (events: %v)", child, parent, a.events)
		}
	}
	if _, ok := a.ended["shardId-000000000001"]; !ok {
		t.Fatalf("shard 1, merged, never ended (events: %v)", a.events)
	}
	t.Logf("%d records processed (%d distinct) by 2 workers; shard events: %v", a.total, total, a.events)
}
