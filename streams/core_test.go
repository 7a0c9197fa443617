package streams_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/streamstest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var bg = context.Background()

func waitStatus(t *testing.T, c *streams.Core, name string, want streams.StreamStatus) streams.Stream {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err := c.DescribeStream(bg, name)
		if err == nil && s.Status == want {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream %s: status %q err %v, want %s", name, s.Status, err, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func create(t *testing.T, c *streams.Core, name string, shards int) {
	t.Helper()
	if err := c.CreateStream(bg, name, streams.CreateOptions{ShardCount: shards}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, name, streams.StatusActive)
}

func put(t *testing.T, c *streams.Core, name string, entries ...streams.PutEntry) []streams.PutResult {
	t.Helper()
	res, err := c.PutRecords(bg, name, entries)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	return res
}

func entry(pk, data string) streams.PutEntry {
	return streams.PutEntry{PartitionKey: pk, Data: []byte(data)}
}

func readAll(t *testing.T, c *streams.Core, name, shard string) (recs []streams.Record, children []streams.ChildShard) {
	t.Helper()
	it, err := c.GetShardIterator(bg, name, shard, streams.TrimHorizon, "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for range 1000 {
		r, err := c.GetRecords(bg, it, 7)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r.Records...)
		if r.NextIterator == "" {
			return recs, r.ChildShards
		}
		if len(r.Records) == 0 {
			return recs, nil // open shard, caught up
		}
		it = r.NextIterator
	}
	t.Fatal("shard never ended")
	return nil, nil
}

func wantKind(t *testing.T, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("got error %v, want kind %v", err, kind)
	}
}

func TestLifecycleStates(t *testing.T) {
	c := streamstest.Open(t, streams.Config{TransitionDelay: 300 * time.Millisecond})
	if err := c.CreateStream(bg, "life", streams.CreateOptions{ShardCount: 2}); err != nil {
		t.Fatal(err)
	}
	s, _ := c.DescribeStream(bg, "life")
	if s.Status != streams.StatusCreating {
		t.Fatalf("status %s right after create, want CREATING", s.Status)
	}
	_, err := c.PutRecords(bg, "life", []streams.PutEntry{entry("a", "x")})
	wantKind(t, err, streams.ErrNotFound)
	wantKind(t, c.CreateStream(bg, "life", streams.CreateOptions{ShardCount: 1}), streams.ErrInUse)
	waitStatus(t, c, "life", streams.StatusActive) // (a stream CREATING may be deleted, as AWS: web/kds TestWireDetails)

	if err := c.SplitShard(bg, "life", "shardId-000000000000", "85070591730234615865843651857942052864"); err != nil {
		t.Fatal(err)
	}
	if s, _ := c.DescribeStream(bg, "life"); s.Status != streams.StatusUpdating {
		t.Fatalf("status %s after split, want UPDATING", s.Status)
	}
	wantKind(t, c.SplitShard(bg, "life", "shardId-000000000001", "255211775190703847597530955573826158592"), streams.ErrInUse)
	wantKind(t, c.DeleteStream(bg, "life", false), streams.ErrInUse)
	put(t, c, "life", entry("during-update", "ok")) // writes continue while UPDATING
	waitStatus(t, c, "life", streams.StatusActive)

	if err := c.DeleteStream(bg, "life", false); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "life", streams.StatusDeleting)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := c.DescribeStream(bg, "life")
		if errors.Is(err, streams.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("stream not gone after delete")
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, err = c.PutRecords(bg, "life", []streams.PutEntry{entry("a", "x")})
	wantKind(t, err, streams.ErrNotFound)
}

func TestValidationErrors(t *testing.T) {
	c := streamstest.Open(t, streams.Config{MaxShards: 5})
	wantKind(t, c.CreateStream(bg, "bad name", streams.CreateOptions{ShardCount: 1}), streams.ErrValidation)
	wantKind(t, c.CreateStream(bg, "big", streams.CreateOptions{ShardCount: 6}), streams.ErrLimitExceeded)
	create(t, c, "v", 2)
	wantKind(t, c.SplitShard(bg, "v", "shardId-000000000000", "0"), streams.ErrInvalidArgument)
	wantKind(t, c.SplitShard(bg, "v", "shardId-000000000009", "100"), streams.ErrNotFound)
	wantKind(t, c.IncreaseRetention(bg, "v", 12), streams.ErrInvalidArgument)
	wantKind(t, c.DecreaseRetention(bg, "v", 48), streams.ErrInvalidArgument)
	wantKind(t, c.IncreaseRetention(bg, "v", 9000), streams.ErrInvalidArgument)
	_, err := c.UpdateShardCount(bg, "v", 5)
	wantKind(t, err, streams.ErrLimitExceeded)
	_, err = c.GetShardIterator(bg, "v", "shardId-000000000001", streams.AtSequenceNumber, "49000000000000000000000000000001", time.Time{})
	wantKind(t, err, streams.ErrInvalidArgument) // a sequence number of shard 0
	_, err = c.GetRecords(bg, "not-an-iterator", 10)
	wantKind(t, err, streams.ErrInvalidArgument)
	_, err = c.PutRecords(bg, "v", []streams.PutEntry{{PartitionKey: "k", ExplicitHashKey: "340282366920938463463374607431768211456"}})
	wantKind(t, err, streams.ErrInvalidArgument)
	_, err = c.PutRecords(bg, "v", []streams.PutEntry{{PartitionKey: "k", Data: make([]byte, 1<<20)}})
	wantKind(t, err, streams.ErrInvalidArgument)
}

func TestIteratorExpiryAndTampering(t *testing.T) {
	var offset atomic.Int64
	c := streamstest.Open(t, streams.Config{Now: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }})
	create(t, c, "it", 1)
	put(t, c, "it", entry("a", "1"))
	it, err := c.GetShardIterator(bg, "it", "shardId-000000000000", streams.TrimHorizon, "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	tampered := []byte(it)
	tampered[10] ^= 1
	_, err = c.GetRecords(bg, string(tampered), 10)
	wantKind(t, err, streams.ErrInvalidArgument)

	offset.Store(int64(4 * time.Minute))
	if _, err := c.GetRecords(bg, it, 10); err != nil {
		t.Fatalf("4-minute-old iterator refused: %v", err)
	}
	offset.Store(int64(5*time.Minute + time.Second))
	_, err = c.GetRecords(bg, it, 10)
	wantKind(t, err, streams.ErrExpiredIterator)
}

func TestIteratorTypes(t *testing.T) {
	c := streamstest.Open(t, streams.Config{})
	create(t, c, "types", 1)
	const sh = "shardId-000000000000"
	res := put(t, c, "types", entry("a", "1"), entry("a", "2"))
	time.Sleep(20 * time.Millisecond)
	mid := time.Now()
	time.Sleep(20 * time.Millisecond)
	latest, err := c.GetShardIterator(bg, "types", sh, streams.Latest, "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	put(t, c, "types", entry("a", "3"))
	read := func(typ streams.IteratorType, seq string, ts time.Time) string {
		it, err := c.GetShardIterator(bg, "types", sh, typ, seq, ts)
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.GetRecords(bg, it, 100)
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for _, rec := range r.Records {
			s += string(rec.Data)
		}
		return s
	}
	for _, tc := range []struct {
		typ  streams.IteratorType
		seq  string
		ts   time.Time
		want string
	}{
		{streams.TrimHorizon, "", time.Time{}, "123"},
		{streams.AtSequenceNumber, res[1].SequenceNumber, time.Time{}, "23"},
		{streams.AfterSequenceNumber, res[1].SequenceNumber, time.Time{}, "3"},
		{streams.AtTimestamp, "", mid, "3"},
		{streams.AtTimestamp, "", mid.Add(-time.Hour), "123"},
		{streams.Latest, "", time.Time{}, ""},
	} {
		if got := read(tc.typ, tc.seq, tc.ts); got != tc.want {
			t.Errorf("%s: read %q, want %q", tc.typ, got, tc.want)
		}
	}
	r, err := c.GetRecords(bg, latest, 100)
	if err != nil || len(r.Records) != 1 || string(r.Records[0].Data) != "3" {
		t.Fatalf("LATEST taken before the put: %+v %v", r.Records, err)
	}
}

// TestReshardLineage writes keyed, numbered records across splits, merges
// and a rescale, then reads the stream as a consumer following lineage
// must: every record exactly once, in order per partition key.
func TestReshardLineage(t *testing.T) {
	c := streamstest.Open(t, streams.Config{})
	create(t, c, "lin", 2)
	next := map[string]int{}
	written := 0
	write := func() {
		var batch []streams.PutEntry
		for k := range 40 {
			pk := fmt.Sprint("key-", k)
			batch = append(batch, entry(pk, fmt.Sprint(next[pk])))
			next[pk]++
		}
		put(t, c, "lin", batch...)
		written += len(batch)
	}
	write()
	if err := c.SplitShard(bg, "lin", "shardId-000000000000", "85070591730234615865843651857942052864"); err != nil {
		t.Fatal(err)
	}
	write() // while UPDATING
	waitStatus(t, c, "lin", streams.StatusActive)
	write()
	if err := c.MergeShards(bg, "lin", "shardId-000000000003", "shardId-000000000001"); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "lin", streams.StatusActive)
	write()
	if prev, err := c.UpdateShardCount(bg, "lin", 3); err != nil || prev != 2 {
		t.Fatalf("UpdateShardCount: %d %v", prev, err)
	}
	write()
	s := waitStatus(t, c, "lin", streams.StatusActive)
	write()
	if n := len(s.OpenShards()); n != 3 {
		t.Fatalf("%d open shards after UpdateShardCount(3)", n)
	}

	// Read: a shard is read once all its parents have been read to the end.
	parents := map[string][]string{}
	for _, sh := range s.Shards {
		for _, p := range []string{sh.ParentID, sh.AdjacentParentID} {
			if p != "" {
				parents[sh.ID] = append(parents[sh.ID], p)
			}
		}
	}
	done := map[string]bool{}
	seen := map[string]int{}
	total := 0
	queue := []string{}
	for _, sh := range s.Shards {
		if len(parents[sh.ID]) == 0 {
			queue = append(queue, sh.ID)
		}
	}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if done[id] {
			continue
		}
		ready := true
		for _, p := range parents[id] {
			ready = ready && done[p]
		}
		if !ready {
			queue = append(queue, id)
			continue
		}
		recs, children := readAll(t, c, "lin", id)
		for _, r := range recs {
			var n int
			fmt.Sscan(string(r.Data), &n)
			if n != seen[r.PartitionKey] {
				t.Fatalf("%s: key %s record %d, want %d", id, r.PartitionKey, n, seen[r.PartitionKey])
			}
			seen[r.PartitionKey]++
			total++
		}
		done[id] = true
		for _, ch := range children {
			queue = append(queue, ch.ShardID)
		}
	}
	if total != written {
		t.Fatalf("read %d records, wrote %d", total, written)
	}
}

func TestRetentionTrims(t *testing.T) {
	c := streamstest.Open(t, streams.Config{RetentionHour: 20 * time.Millisecond}) // 24 "hours" = 480 ms
	create(t, c, "ret", 1)
	put(t, c, "ret", entry("a", "old"))
	if err := c.SplitShard(bg, "ret", "shardId-000000000000", "170141183460469231731687303715884105728"); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "ret", streams.StatusActive)
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, err := c.DescribeStream(bg, "ret")
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Shards) == 2 { // the closed parent is gone with its data
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("closed shard still listed after retention: %d shards", len(s.Shards))
		}
		time.Sleep(50 * time.Millisecond)
	}
	put(t, c, "ret", entry("a", "new"))
	time.Sleep(time.Second)
	for _, sh := range []string{"shardId-000000000001", "shardId-000000000002"} {
		if recs, _ := readAll(t, c, "ret", sh); len(recs) != 0 {
			t.Fatalf("%s: %d records survived retention", sh, len(recs))
		}
	}
}

func TestThroughputLimits(t *testing.T) {
	c := streamstest.Open(t, streams.Config{Limits: streams.ThroughputLimits{Enabled: true, WriteRecordsPerSec: 10, ReadCallsPerSec: 2}})
	create(t, c, "lim", 1)
	var batch []streams.PutEntry
	for i := range 15 {
		batch = append(batch, entry("k", fmt.Sprint(i)))
	}
	res, err := c.PutRecords(bg, "lim", batch)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, r := range res {
		if errors.Is(r.Err, streams.ErrThroughputExceeded) {
			failed++
		}
	}
	if failed != 5 {
		t.Fatalf("%d records throttled, want 5", failed)
	}
	it, _ := c.GetShardIterator(bg, "lim", "shardId-000000000000", streams.TrimHorizon, "", time.Time{})
	for i := range 3 {
		_, err := c.GetRecords(bg, it, 1)
		if i < 2 && err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if i == 2 {
			wantKind(t, err, streams.ErrThroughputExceeded)
		}
	}
	// The server's own tail reads neither wait for nor spend the budget.
	for i := range 5 {
		if _, err := c.TailRecords(bg, it, 1); err != nil {
			t.Fatalf("tail read %d: %v", i, err)
		}
	}
}

func TestSubscribeToShard(t *testing.T) {
	c := streamstest.Open(t, streams.Config{})
	create(t, c, "sub", 1)
	cons, err := c.RegisterConsumer(bg, "sub", "app")
	if err != nil {
		t.Fatal(err)
	}
	if cons.Status != "CREATING" {
		t.Fatalf("consumer status %s, want CREATING", cons.Status)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		cons, _ = c.DescribeConsumer(bg, "", "", cons.ARN)
		if cons.Status == "ACTIVE" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("consumer not ACTIVE")
		}
	}
	sub, err := c.SubscribeToShard(bg, cons.ARN, "shardId-000000000000", streams.StartingPosition{Type: streams.Latest})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SubscribeToShard(bg, cons.ARN, "shardId-000000000000", streams.StartingPosition{Type: streams.Latest})
	wantKind(t, err, streams.ErrInUse)

	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	var (
		mu       sync.Mutex
		got      []string
		children []streams.ChildShard
	)
	done := make(chan error, 1)
	go func() {
		done <- sub.Run(ctx, func(ev streams.ShardEvent) error {
			mu.Lock()
			defer mu.Unlock()
			for _, r := range ev.Records {
				got = append(got, string(r.Data))
			}
			children = append(children, ev.ChildShards...)
			return nil
		})
	}()
	for i := range 50 {
		put(t, c, "sub", entry("k", fmt.Sprint(i)))
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 50 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("received %d of 50 records", n)
		}
	}
	// Splitting the shard ends the subscription with its children.
	if err := c.SplitShard(bg, "sub", "shardId-000000000000", "170141183460469231731687303715884105728"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for i, s := range got {
		if s != fmt.Sprint(i) {
			t.Fatalf("record %d is %s", i, s)
		}
	}
	if len(children) != 2 {
		t.Fatalf("final event had %d child shards, want 2", len(children))
	}
}

func TestStateSurvivesReopen(t *testing.T) {
	nc := streamstest.Connect(t)
	c1, err := streams.Open(bg, nc, streams.Config{})
	if err != nil {
		t.Fatal(err)
	}
	create(t, c1, "keep", 1)
	res := put(t, c1, "keep", entry("a", "1"), entry("b", "2"))
	it, _ := c1.GetShardIterator(bg, "keep", "shardId-000000000000", streams.TrimHorizon, "", time.Time{})
	c1.Close()

	c2, err := streams.Open(bg, nc, streams.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	r, err := c2.GetRecords(bg, it, 10) // iterators outlive the node that issued them
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Records) != 2 || r.Records[1].SequenceNumber != res[1].SequenceNumber {
		t.Fatalf("after reopen: %+v", r.Records)
	}
}
