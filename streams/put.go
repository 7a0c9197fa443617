package streams

import (
	"context"
	"encoding/binary"
	"errors"
	"sort"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// PutRecords writes entries, routing each by hash key to the open shard that
// owns it. Results match entries one to one. The error is for failures of
// the whole call: the stream is unknown or not writable (ErrNotFound), an
// entry is invalid (ErrValidation, ErrInvalidArgument). A per-record failure
// (ErrThroughputExceeded, ErrUnavailable) is in that record's result.
//
// A record is acknowledged once JetStream has stored it (see Config.Replicas
// and the embedded server's sync setting for what that survives). Records of
// one call that land on the same shard are stored in the order given.
func (c *Core) PutRecords(ctx context.Context, name string, entries []PutEntry) ([]PutResult, error) {
	return c.put(ctx, name, entries, nil)
}

// PutFenced writes one record, only if the last message of the shard that
// owns it is still lastSeq (0: a shard never written to): a conditional
// append on JetStream's expected last sequence, for a single writer that
// must never interleave with another (the fragment index of a video
// stream, fenced by a lease). The record's result carries ErrFenced when
// the shard has moved on; SequenceMessage of its SequenceNumber is the
// lastSeq of the writer's next PutFenced. Other errors as PutRecords.
func (c *Core) PutFenced(ctx context.Context, name string, e PutEntry, lastSeq uint64) (PutResult, error) {
	res, err := c.put(ctx, name, []PutEntry{e}, []jetstream.PublishOpt{jetstream.WithExpectLastSequence(lastSeq)})
	if err != nil {
		return PutResult{}, err
	}
	return res[0], nil
}

// ShardLastSequence returns the JetStream sequence of the last message
// ever stored in a shard (0 when none was), which stays put when retention
// removes messages: the lastSeq of a first PutFenced.
func (c *Core) ShardLastSequence(ctx context.Context, name, shardIDStr string) (uint64, error) {
	cc, err := c.writable(ctx, name)
	if err != nil {
		return 0, err
	}
	idx, valid := ShardIndex(shardIDStr)
	if !valid || cc.meta.shard(idx) == nil {
		return 0, errf(ErrNotFound, "Shard %s in stream %s under account %s does not exist", shardIDStr, name, c.cfg.AccountID)
	}
	st, err := c.shardState(ctx, cc.meta, idx)
	if err != nil {
		return 0, err
	}
	return st.LastSeq, nil
}

// put is PutRecords with publish options for every message.
func (c *Core) put(ctx context.Context, name string, entries []PutEntry, opts []jetstream.PublishOpt) ([]PutResult, error) {
	cc, err := c.writable(ctx, name)
	if err != nil {
		return nil, err
	}
	maxSize := cc.meta.MaxRecordSizeKiB * 1024
	keys := make([]HashKey, len(entries))
	for i, e := range entries {
		if len(e.PartitionKey) == 0 || len(e.PartitionKey) > 256 {
			return nil, errf(ErrValidation, "Partition key must be 1 to 256 characters.")
		}
		if len(e.Data)+len(e.PartitionKey)+recordOverhead > c.maxPayload() {
			return nil, errf(ErrInvalidArgument, "Record size %d bytes exceeds what the NATS server accepts in one message (max_payload %d bytes); raise max_payload on the server.", len(e.Data)+len(e.PartitionKey), c.nc.MaxPayload())
		}
		if len(e.Data)+len(e.PartitionKey) > maxSize {
			return nil, errf(ErrInvalidArgument, "Record size %d bytes (data and partition key) exceeds the maximum of %d bytes of stream %s.", len(e.Data)+len(e.PartitionKey), maxSize, name)
		}
		if e.ExplicitHashKey != "" {
			hk, ok := ParseHashKey(e.ExplicitHashKey)
			if !ok {
				return nil, errf(ErrInvalidArgument, "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was %s", e.ExplicitHashKey)
			}
			keys[i] = hk
		} else {
			keys[i] = HashPartitionKey(e.PartitionKey)
		}
	}

	results := make([]PutResult, len(entries))
	todo := make([]int, len(entries))
	for i := range todo {
		todo[i] = i
	}
	// A shard closed by a concurrent split or merge answers "no responders";
	// those records are routed again with fresh metadata.
	deadline := time.Now().Add(10 * time.Second)
	for {
		retry := c.publish(ctx, cc, entries, keys, todo, results, opts)
		if len(retry) == 0 {
			c.count(name, entries, results)
			return results, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			for _, i := range retry {
				results[i] = PutResult{Err: errf(ErrUnavailable, "shard routing did not settle while stream %s was resharding", name)}
			}
			c.count(name, entries, results)
			return results, nil
		}
		time.Sleep(20 * time.Millisecond)
		fresh, err := c.refresh(ctx, name)
		if err != nil {
			return nil, err
		}
		if fresh == nil {
			return nil, notFound(c, name)
		}
		cc, todo = fresh, retry
	}
}

// writable returns a stream that accepts records (ACTIVE or UPDATING).
func (c *Core) writable(ctx context.Context, name string) (*cached, error) {
	cc, err := c.current(ctx, name)
	if err != nil {
		return nil, err
	}
	if s := cc.meta.Status; s != StatusActive && s != StatusUpdating {
		return nil, notFound(c, name)
	}
	return cc, nil
}

// route finds the open shard owning hash key k.
func (cc *cached) route(k HashKey) (shardMeta, bool) {
	i := sort.Search(len(cc.open), func(i int) bool { return cc.open[i].End.Cmp(k) >= 0 })
	if i == len(cc.open) || cc.open[i].Start.Cmp(k) > 0 {
		return shardMeta{}, false
	}
	return cc.open[i], true
}

// publish sends the entries listed in todo and fills their results; it
// returns the indexes that must be routed again. The entries for one shard
// go in as few messages as the payload limit allows (usually one), in the
// order given, so they get consecutive sequence numbers.
func (c *Core) publish(ctx context.Context, cc *cached, entries []PutEntry, keys []HashKey, todo []int, results []PutResult, opts []jetstream.PublishOpt) (retry []int) {
	type group struct {
		shard   int
		members []int
	}
	type pending struct {
		shard   int
		members []int
		fut     jetstream.PubAckFuture
	}
	now := c.cfg.Now()
	enc := cc.meta.EncryptionType
	if enc == "" {
		enc = "NONE"
	}
	var groups []*group
	byShard := map[int]*group{}
	for _, i := range todo {
		sh, ok := cc.route(keys[i])
		if !ok {
			retry = append(retry, i) // no open shard yet: mid-reshard
			continue
		}
		e := entries[i]
		if !c.limits.allowWrite(cc.meta.ID, sh.Index, len(e.Data)+len(e.PartitionKey), now) {
			results[i] = PutResult{ShardID: shardID(sh.Index), Err: errf(ErrThroughputExceeded, "Rate exceeded for shard %s in stream %s under account %s.", shardID(sh.Index), cc.meta.Name, c.cfg.AccountID)}
			continue
		}
		g := byShard[sh.Index]
		if g == nil {
			g = &group{shard: sh.Index}
			byShard[sh.Index] = g
			groups = append(groups, g)
		}
		g.members = append(g.members, i)
	}

	limit := c.maxPayload()
	var sent []pending
	var bb batchBuilder
	for _, g := range groups {
		for start := 0; start < len(g.members); {
			bb.reset(0)
			size, end := 16, start
			for end < len(g.members) && end-start <= maxSub {
				e := entries[g.members[end]]
				n := len(e.PartitionKey) + len(e.Data) + 2*binary.MaxVarintLen32
				if end > start && size+n > limit {
					break
				}
				bb.add(e.PartitionKey, e.Data)
				size += n
				end++
			}
			members := g.members[start:end]
			start = end
			msg := &nats.Msg{Subject: c.jsSubject(cc.meta.ID, g.shard), Data: bb.bytes()}
			fut, err := c.js.PublishMsgAsync(msg, opts...)
			if err != nil {
				for _, i := range members {
					results[i] = PutResult{ShardID: shardID(g.shard), Err: errf(ErrUnavailable, "publishing: %v", err)}
				}
				continue
			}
			sent = append(sent, pending{g.shard, members, fut})
		}
	}
	for _, p := range sent {
		select {
		case ack := <-p.fut.Ok():
			for k, i := range p.members {
				results[i] = PutResult{ShardID: shardID(p.shard), SequenceNumber: c.seqNum(cc.meta.ID, p.shard, pos{ack.Sequence, k}), EncryptionType: enc}
			}
		case err := <-p.fut.Err():
			if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) {
				retry = append(retry, p.members...)
				continue
			}
			if wrongLastSequence(err) {
				for _, i := range p.members {
					results[i] = PutResult{ShardID: shardID(p.shard), Err: errf(ErrFenced, "%s of stream %s has records past the expected sequence", shardID(p.shard), cc.meta.Name)}
				}
				continue
			}
			for _, i := range p.members {
				results[i] = PutResult{ShardID: shardID(p.shard), Err: errf(ErrUnavailable, "storing record: %v", err)}
			}
		case <-ctx.Done():
			for _, i := range p.members {
				results[i] = PutResult{ShardID: shardID(p.shard), Err: errf(ErrUnavailable, "storing record: %v", ctx.Err())}
			}
		}
	}
	sort.Ints(retry) // keep the callers' order when routing again
	return retry
}

// maxPayload is the largest message the connected server takes, less room
// for headers.
func (c *Core) maxPayload() int {
	return int(c.nc.MaxPayload()) - 1024
}

// Stats counts what this node wrote to a stream since it started.
type Stats struct {
	Records atomic.Uint64
	Bytes   atomic.Uint64
}

// StreamStats returns this node's write counters of a stream (zero for a
// stream it has not written to).
func (c *Core) StreamStats(name string) (records, bytes uint64) {
	if v, ok := c.stats.Load(name); ok {
		s := v.(*Stats)
		return s.Records.Load(), s.Bytes.Load()
	}
	return 0, 0
}

func (c *Core) count(name string, entries []PutEntry, results []PutResult) {
	v, _ := c.stats.LoadOrStore(name, &Stats{})
	s := v.(*Stats)
	for i, r := range results {
		if r.Err == nil {
			s.Records.Add(1)
			s.Bytes.Add(uint64(len(entries[i].Data) + len(entries[i].PartitionKey)))
		}
	}
}

// wrongLastSequence reports JetStream refusing a publish whose expected
// last sequence is not the stream's (10071; 10164 on replicated streams).
func wrongLastSequence(err error) bool {
	var api *jetstream.APIError
	return errors.As(err, &api) && (api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
