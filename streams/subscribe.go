package streams

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

const (
	maxEventRecords = 1000
	maxEventBytes   = 1 << 20
	// idleEventEvery is how often an idle subscription sends an empty event,
	// so that the client sees the session alive and its position current.
	idleEventEvery = 5 * time.Second
	// consumerIdleExpiry: a subscription's JetStream consumer left behind
	// (its node died before deleting it) is removed by the server after
	// this long without a pull.
	consumerIdleExpiry = 10 * time.Second
)

// Subscription is a claimed SubscribeToShard session. Run it once.
type Subscription struct {
	c          *Core
	streamName string
	streamID   string
	consumer   consumerMeta
	shard      int
	start      iterator
	claim      *claim
	ctx        context.Context // cancelled when the claim is lost
	cancel     context.CancelFunc
}

// SubscribeToShard validates the consumer (it must be ACTIVE) and the shard,
// resolves the starting position and claims the (consumer, shard) pair
// across every node sharing the JetStream: ErrInUse while another
// subscription of the pair runs anywhere. The claim (see claim.go) is
// renewed while the subscription lives and released by Run or Close; if
// its node dies, it expires after Config.ClaimTTL.
func (c *Core) SubscribeToShard(ctx context.Context, consumerARN, shardIDStr string, start StartingPosition) (*Subscription, error) {
	m, cm, err := c.findConsumer(ctx, "", "", consumerARN)
	if err != nil {
		return nil, err
	}
	if st := c.status(cm); st != "ACTIVE" {
		return nil, errf(ErrInUse, "Consumer %s under stream %s is not ACTIVE, instead in state %s.", cm.Name, m.Name, st)
	}
	if m.Status != StatusActive && m.Status != StatusUpdating {
		return nil, notFound(c, m.Name)
	}
	idx, ok := ShardIndex(shardIDStr)
	var sh *shardMeta
	if ok {
		sh = m.shard(idx)
	}
	if sh == nil {
		return nil, errf(ErrNotFound, "Shard %s in stream %s under account %s does not exist", shardIDStr, m.Name, c.cfg.AccountID)
	}
	it, err := c.position(ctx, "SubscribeToShard", m, sh, start.Type, start.SequenceNumber, start.Timestamp)
	if err != nil {
		return nil, err
	}
	if it.ByTime {
		// Start from a sequence, so that the end of a closed shard is seen
		// even when no record follows the timestamp.
		seq, err := c.seqAtTime(ctx, m, sh, it.At)
		if err != nil {
			return nil, err
		}
		it.Pos = pos{seq: seq}
		it.ByTime = false
	}
	s := &Subscription{c: c, streamName: m.Name, streamID: m.ID, consumer: cm, shard: sh.Index, start: it}
	s.ctx, s.cancel = context.WithCancel(c.ctx)
	s.claim, err = c.takeClaim(ctx, claimKey(consumerARN, sh.Index), s.cancel)
	if err != nil {
		s.cancel()
		if err == ErrInUse {
			return nil, errf(ErrInUse, "Another active subscription exists for consumer %s on shard %s.", consumerARN, shardIDStr)
		}
		return nil, err
	}
	return s, nil
}

// Close releases the claim of a subscription that will not be run. Run
// releases it itself; calling Close after Run does nothing.
func (s *Subscription) Close() {
	s.claim.release()
	s.cancel()
}

// Run pushes events to emit as records arrive, until ctx ends, emit fails,
// the session lifetime (Config.SubscriptionTTL) passes, the consumer is
// deregistered, or the end of a closed shard has been delivered (the last
// event then carries ChildShards and Run returns nil). Run releases the claim.
func (s *Subscription) Run(ctx context.Context, emit func(ShardEvent) error) error {
	c := s.c
	defer s.claim.release()
	defer s.cancel()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.SubscriptionTTL)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()

	cfg := jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   s.start.Pos.seq,
		// Deleted when Run returns; should that fail (the node died), the
		// server removes it after this long without a pull, not after the
		// library's 5 minutes: a client that subscribes again and again
		// must not run the stream's consumers out.
		InactiveThreshold: consumerIdleExpiry,
	}
	// cur is where the next record is: past every message consumed, and
	// past the records of the start message before the start position.
	cur := s.start.Pos
	if done, err := s.finishIfEnded(ctx, cur, emit); done || err != nil {
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
	defer func() {
		cctx.Stop()
		if info := cons.CachedInfo(); info != nil {
			dctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
			if err := c.js.DeleteConsumer(dctx, c.jsStreamName(s.streamID, s.shard), info.Name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
				c.log.Debug("removing a subscription's consumer; the server expires it", "stream", s.streamName, "shard", s.shard, "err", err)
			}
			cancel()
		}
	}()

	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastEvent := time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case msg := <-msgs:
			var ev ShardEvent
			ev, cur = s.collect(msg, msgs, cur)
			if err := emit(ev); err != nil {
				return err
			}
			lastEvent = time.Now()
			if done, err := s.finishIfEnded(ctx, cur, emit); done || err != nil {
				return err
			}
		case <-tick.C:
			if done, err := s.finishIfEnded(ctx, cur, emit); done || err != nil {
				return err
			}
			if time.Since(lastEvent) >= idleEventEvery {
				if err := emit(ShardEvent{Records: []Record{}, ContinuationSequenceNumber: s.continuation(cur)}); err != nil {
					return err
				}
				lastEvent = time.Now()
			}
		}
	}
}

// continuation is the sequence number to resume after, when the next
// record is at cur: the one before it.
func (s *Subscription) continuation(cur pos) string {
	if cur.sub > 0 {
		return s.c.seqNum(s.streamID, s.shard, pos{cur.seq, cur.sub - 1})
	}
	return s.c.seqNum(s.streamID, s.shard, pos{cur.seq - 1, maxSub})
}

// collect builds one event from msg and whatever else is already waiting,
// up to the event size limits (whole messages: a message's records are
// never split between events). cur is where the next record is; collect
// returns the event and the new cur.
func (s *Subscription) collect(first jetstream.Msg, more <-chan jetstream.Msg, cur pos) (ShardEvent, pos) {
	c := s.c
	cc := c.lookup(s.streamName)
	enc := "NONE"
	var endSeq uint64
	var endSub int
	closed := false
	if cc != nil {
		enc = cc.meta.EncryptionType
		if sh := cc.meta.shard(s.shard); sh != nil && sh.Closed {
			closed, endSeq, endSub = true, sh.EndSeq, sh.EndSub
		}
	}
	ev := ShardEvent{Records: []Record{}}
	var (
		lastTime time.Time
		pending  uint64
		size     int
	)
	add := func(msg jetstream.Msg) bool {
		md, err := msg.Metadata()
		if err != nil {
			return true
		}
		seq := md.Sequence.Stream
		if closed && seq > endSeq || seq < cur.seq {
			return !(closed && seq > endSeq)
		}
		skip := 0
		if seq == cur.seq {
			skip = cur.sub
		}
		err = decodeRecords(msg.Data(), func(i int, pk string, data []byte) {
			if i < skip {
				return
			}
			ev.Records = append(ev.Records, Record{
				SequenceNumber: s.c.seqNum(s.streamID, s.shard, pos{seq, i}),
				ArrivalTime:    md.Timestamp,
				Data:           data,
				PartitionKey:   pk,
				EncryptionType: enc,
			})
			size += len(data) + len(pk)
		})
		if err != nil && err != errBarrier {
			c.log.Error("skipping unreadable message", "stream", s.streamName, "shard", s.shard, "seq", seq)
		}
		cur = pos{seq + 1, 0}
		lastTime, pending = md.Timestamp, md.NumPending
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
	ev.ContinuationSequenceNumber = s.continuation(cur)
	if n := len(ev.Records); n > 0 {
		ev.ContinuationSequenceNumber = ev.Records[n-1].SequenceNumber
	} else if closed && cur.seq > endSeq {
		// Nothing new, past the shard's end: resume at its last record.
		ev.ContinuationSequenceNumber = s.c.seqNum(s.streamID, s.shard, pos{endSeq, endSub})
	}
	if closed && cur.seq > endSeq {
		pending = 0 // what follows in JetStream is not the shard's
	}
	if pending > 0 {
		ev.MillisBehindLatest = max(c.cfg.Now().Sub(lastTime), 0).Milliseconds()
	}
	return ev, cur
}

// finishIfEnded sends the final event with ChildShards once a closed shard
// has been delivered up to its last record. It also ends the subscription
// (without an event) once the stream or the consumer is gone, as this or
// any other node deleted or deregistered it.
func (s *Subscription) finishIfEnded(ctx context.Context, cur pos, emit func(ShardEvent) error) (bool, error) {
	cc := s.c.cachedOf(s.streamName)
	if cc == nil || cc.meta.ID != s.streamID {
		return true, nil // stream deleted
	}
	if !slices.ContainsFunc(cc.meta.Consumers, func(cm consumerMeta) bool {
		return cm.Name == s.consumer.Name && cm.CreatedAt.Equal(s.consumer.CreatedAt)
	}) {
		return true, nil // consumer deregistered
	}
	sh := cc.meta.shard(s.shard)
	if sh == nil || !pastEnd(sh, cur) {
		return false, nil
	}
	// As AWS: the last event of a closed shard has no continuation
	// sequence number (KCLs take its absence, with ChildShards, as the
	// shard's end) and is not behind.
	return true, emit(ShardEvent{Records: []Record{}, ChildShards: childShards(cc.meta, s.shard)})
}

// pastEnd reports whether the next record at cur lies past a closed
// shard's last record.
func pastEnd(sh *shardMeta, cur pos) bool {
	return sh.Closed && (cur.seq > sh.EndSeq || cur.seq == sh.EndSeq && cur.sub > sh.EndSub)
}
