package streams

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

const (
	maxEventRecords = 1000
	maxEventBytes   = 1 << 20
	// idleEventEvery is how often an idle subscription sends an empty event,
	// so that the client sees the session alive and its position current.
	idleEventEvery = 5 * time.Second
)

// Subscription is a claimed SubscribeToShard session. Run it once.
type Subscription struct {
	c           *Core
	consumerARN string
	streamName  string
	streamID    string
	shard       int
	start       iterator
	ctx         context.Context // cancelled when the consumer is deregistered
	cancel      context.CancelFunc
}

// SubscribeToShard validates the consumer (it must be ACTIVE) and the shard,
// resolves the starting position and claims the (consumer, shard) pair:
// ErrInUse while another subscription of the pair runs on this node.
func (c *Core) SubscribeToShard(ctx context.Context, consumerARN, shardIDStr string, pos StartingPosition) (*Subscription, error) {
	m, cm, err := c.findConsumer(ctx, "", "", consumerARN)
	if err != nil {
		return nil, err
	}
	if cm.Status != "ACTIVE" {
		return nil, errf(ErrInUse, "Consumer %s under stream %s is not ACTIVE, instead in state %s.", cm.Name, m.Name, cm.Status)
	}
	if m.Status != StatusActive && m.Status != StatusUpdating {
		return nil, notFound(c, m.Name)
	}
	idx, ok := parseShardID(shardIDStr)
	var sh *shardMeta
	if ok {
		sh = m.shard(idx)
	}
	if sh == nil {
		return nil, errf(ErrNotFound, "Shard %s in stream %s under account %s does not exist", shardIDStr, m.Name, c.cfg.AccountID)
	}
	it, err := c.position(ctx, m, sh, pos.Type, pos.SequenceNumber, pos.Timestamp)
	if err != nil {
		return nil, err
	}
	if it.ByTime {
		// Start from a sequence, so that the end of a closed shard is seen
		// even when no record follows the timestamp.
		if it.Seq, err = c.seqAtTime(ctx, m, sh, it.At); err != nil {
			return nil, err
		}
		it.ByTime = false
	}
	s := &Subscription{c: c, consumerARN: consumerARN, streamName: m.Name, streamID: m.ID, shard: sh.Index, start: it}
	s.ctx, s.cancel = context.WithCancel(c.ctx)
	if !c.subs.take(consumerARN, sh.Index, s.cancel) {
		s.cancel()
		return nil, errf(ErrInUse, "Another active subscription exists for consumer %s on shard %s.", consumerARN, shardIDStr)
	}
	return s, nil
}

// Close releases the claim of a subscription that will not be run. Run
// releases it itself; calling Close after Run does nothing.
func (s *Subscription) Close() {
	s.c.subs.release(s.consumerARN, s.shard)
	s.cancel()
}

// Run pushes events to emit as records arrive, until ctx ends, emit fails,
// the session lifetime (Config.SubscriptionTTL) passes, the consumer is
// deregistered, or the end of a closed shard has been delivered (the last
// event then carries ChildShards and Run returns nil). Run releases the claim.
func (s *Subscription) Run(ctx context.Context, emit func(ShardEvent) error) error {
	c := s.c
	defer c.subs.release(s.consumerARN, s.shard)
	defer s.cancel()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.SubscriptionTTL)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()

	cfg := jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   s.start.Seq,
	}
	last := s.start.Seq - 1 // last JetStream sequence delivered
	if done, err := s.finishIfEnded(ctx, last, emit); done || err != nil {
		return err
	}
	cons, err := c.js.OrderedConsumer(ctx, c.jsStreamName(s.streamID, s.shard), cfg)
	if err != nil {
		return errf(ErrUnavailable, "subscribing to %s: %v", shardID(s.shard), err)
	}
	msgs := make(chan jetstream.Msg, 4*maxEventRecords)
	cctx, err := cons.Consume(func(msg jetstream.Msg) {
		select {
		case msgs <- msg:
		case <-ctx.Done():
		}
	})
	if err != nil {
		return errf(ErrUnavailable, "subscribing to %s: %v", shardID(s.shard), err)
	}
	defer cctx.Stop()

	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastEvent := time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case msg := <-msgs:
			ev, seq := s.collect(msg, msgs)
			if seq > 0 {
				last = seq
			}
			if err := emit(ev); err != nil {
				return err
			}
			lastEvent = time.Now()
			if done, err := s.finishIfEnded(ctx, last, emit); done || err != nil {
				return err
			}
		case <-tick.C:
			if done, err := s.finishIfEnded(ctx, last, emit); done || err != nil {
				return err
			}
			if time.Since(lastEvent) >= idleEventEvery {
				if err := emit(ShardEvent{Records: []Record{}, ContinuationSequenceNumber: formatSeq(s.shard, last)}); err != nil {
					return err
				}
				lastEvent = time.Now()
			}
		}
	}
}

// collect builds one event from msg and whatever else is already waiting,
// up to the event size limits. It returns the last sequence included.
func (s *Subscription) collect(first jetstream.Msg, more <-chan jetstream.Msg) (ShardEvent, uint64) {
	c := s.c
	cc := c.lookup(s.streamName)
	enc := "NONE"
	var endSeq uint64
	closed := false
	if cc != nil {
		enc = cc.meta.EncryptionType
		if sh := cc.meta.shard(s.shard); sh != nil && sh.Closed {
			closed, endSeq = true, sh.EndSeq
		}
	}
	ev := ShardEvent{Records: []Record{}}
	var (
		lastSeq  uint64
		lastTime time.Time
		pending  uint64
		size     int
	)
	add := func(msg jetstream.Msg) bool {
		md, err := msg.Metadata()
		if err != nil {
			return true
		}
		if closed && md.Sequence.Stream > endSeq {
			return false
		}
		pk, data, err := decodeRecord(msg.Data())
		if err == nil { // barriers and unreadable messages carry no record
			ev.Records = append(ev.Records, Record{
				SequenceNumber: formatSeq(s.shard, md.Sequence.Stream),
				ArrivalTime:    md.Timestamp,
				Data:           data,
				PartitionKey:   pk,
				EncryptionType: enc,
			})
			size += len(data) + len(pk)
		}
		lastSeq, lastTime, pending = md.Sequence.Stream, md.Timestamp, md.NumPending
		return true
	}
	ok := add(first)
	for ok && pending > 0 && len(ev.Records) < maxEventRecords && size < maxEventBytes {
		select {
		case msg := <-more:
			ok = add(msg)
		default:
			ok = false
		}
	}
	ev.ContinuationSequenceNumber = formatSeq(s.shard, lastSeq)
	if pending > 0 {
		ev.MillisBehindLatest = max(c.cfg.Now().Sub(lastTime), 0).Milliseconds()
	}
	return ev, lastSeq
}

// finishIfEnded sends the final event with ChildShards once a closed shard
// has been delivered up to its last record.
func (s *Subscription) finishIfEnded(ctx context.Context, last uint64, emit func(ShardEvent) error) (bool, error) {
	cc := s.c.lookup(s.streamName)
	if cc == nil || cc.meta.ID != s.streamID {
		return true, nil // stream deleted
	}
	sh := cc.meta.shard(s.shard)
	if sh == nil || !sh.Closed || last < sh.EndSeq {
		return false, nil
	}
	return true, emit(ShardEvent{
		Records:                    []Record{},
		ContinuationSequenceNumber: formatSeq(s.shard, sh.EndSeq),
		ChildShards:                childShards(cc.meta, s.shard),
	})
}
