package streams_test

import (
	"context"
	"errors"
	"math/big"
	"regexp"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/streamstest"
)

// activeConsumer registers a consumer of stream and waits until it is
// ACTIVE.
func activeConsumer(t *testing.T, c *streams.Core, stream string) streams.Consumer {
	t.Helper()
	cons, err := c.RegisterConsumer(bg, stream, "app")
	if err != nil {
		t.Fatal(err)
	}
	streamstest.Eventually(t, 10*time.Second, func() error {
		if cons, _ = c.DescribeConsumer(bg, "", "", cons.ARN); cons.Status != "ACTIVE" {
			return errors.New("consumer not ACTIVE")
		}
		return nil
	})
	return cons
}

// subscribeEvents runs one subscription until it ends by itself, or
// after its first event when first is set; it returns the events.
func subscribeEvents(t *testing.T, c *streams.Core, arn, shard string, start streams.StartingPosition, first bool) []streams.ShardEvent {
	t.Helper()
	sub, err := c.SubscribeToShard(bg, arn, shard, start)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	var evs []streams.ShardEvent
	errStop := errors.New("stop")
	err = sub.Run(ctx, func(ev streams.ShardEvent) error {
		evs = append(evs, ev)
		if first {
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) || ctx.Err() != nil {
		t.Fatalf("subscription from %+v: %v (context %v)", start, err, ctx.Err())
	}
	return evs
}

func seqNum(t *testing.T, s string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		t.Fatalf("sequence number %q", s)
	}
	return n
}

// The end of a closed shard, as AWS sends it and KCLs read it: the last
// event has ChildShards, no ContinuationSequenceNumber and is not behind;
// no event's continuation lies past the shard's end; a subscription after
// the shard's last record (the last of a PutRecords batch) gets that last
// event at once.
func TestSubscribeEndOfClosedShard(t *testing.T) {
	c := streamstest.Open(t, streams.Config{})
	create(t, c, "sub", 1)
	cons := activeConsumer(t, c, "sub")
	var last string
	for b := range 3 {
		var batch []streams.PutEntry
		for i := range 10 {
			batch = append(batch, entry("k", string(rune('a'+b))+string(rune('0'+i))))
		}
		res := put(t, c, "sub", batch...)
		last = res[len(res)-1].SequenceNumber
	}
	if err := c.SplitShard(bg, "sub", "shardId-000000000000", "170141183460469231731687303715884105728"); err != nil {
		t.Fatal(err)
	}
	var end string
	streamstest.Eventually(t, 10*time.Second, func() error {
		d, err := c.DescribeStream(bg, "sub")
		if err != nil || len(d.Shards) != 3 || d.Shards[0].Open() {
			return errors.New("parent not closed yet")
		}
		end = d.Shards[0].EndingSequenceNumber
		return nil
	})
	if end != last {
		t.Fatalf("the closed shard ends at %s, its last record is %s", end, last)
	}
	final := func(name string, ev streams.ShardEvent) {
		t.Helper()
		if len(ev.ChildShards) != 2 || ev.ContinuationSequenceNumber != "" || ev.MillisBehindLatest != 0 || len(ev.Records) != 0 {
			t.Fatalf("%s: the last event is %+v; want the 2 child shards, no continuation, 0 ms behind", name, ev)
		}
	}
	evs := subscribeEvents(t, c, cons.ARN, "shardId-000000000000", streams.StartingPosition{Type: streams.TrimHorizon}, false)
	n := 0
	for i, ev := range evs[:len(evs)-1] {
		n += len(ev.Records)
		if ev.ContinuationSequenceNumber == "" || seqNum(t, ev.ContinuationSequenceNumber).Cmp(seqNum(t, end)) > 0 || len(ev.ChildShards) != 0 {
			t.Fatalf("event %d: continuation %q past the shard's end %s, or children %v", i, ev.ContinuationSequenceNumber, end, ev.ChildShards)
		}
	}
	if n != 30 {
		t.Fatalf("read %d of 30 records", n)
	}
	final("from TRIM_HORIZON", evs[len(evs)-1])

	evs = subscribeEvents(t, c, cons.ARN, "shardId-000000000000", streams.StartingPosition{Type: streams.AfterSequenceNumber, SequenceNumber: last}, false)
	if len(evs) != 1 {
		t.Fatalf("after the shard's last record: %d events %+v, want only the last", len(evs), evs)
	}
	final("after the last record", evs[0])
}

// A subscription's JetStream consumer is removed when it ends: subscribing
// and closing again and again (as a KCL does while it waits for a
// shard's parents) leaves none behind.
func TestSubscribeLeavesNoConsumers(t *testing.T) {
	nc := streamstest.Connect(t)
	ctx, cancel := context.WithTimeout(bg, 30*time.Second)
	defer cancel()
	c, err := streams.Open(ctx, nc, streams.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	create(t, c, "sub", 1)
	cons := activeConsumer(t, c, "sub")
	put(t, c, "sub", entry("k", "x"))
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	shardStreams := regexp.MustCompile(`_[0-9a-f]{12}_0$`)
	consumers := func() int {
		n := 0
		for name := range js.StreamNames(ctx).Name() {
			if !shardStreams.MatchString(name) {
				continue
			}
			s, err := js.Stream(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			n += s.CachedInfo().State.Consumers
		}
		return n
	}
	const cycles = 5000 // as many as the issue saw fail at about 1,000
	for i := range cycles {
		evs := subscribeEvents(t, c, cons.ARN, "shardId-000000000000", streams.StartingPosition{Type: streams.TrimHorizon}, true)
		if len(evs[0].Records) != 1 {
			t.Fatalf("cycle %d: first event %+v", i, evs[0])
		}
	}
	if n := consumers(); n != 0 {
		t.Fatalf("%d JetStream consumers left after %d subscriptions ended", n, cycles)
	}
}
