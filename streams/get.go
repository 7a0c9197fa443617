package streams

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

const (
	// MaxGetRecordsLimit is the largest Limit GetRecords accepts.
	MaxGetRecordsLimit = 10000
	// maxGetRecordsBytes caps one GetRecords response, as Kinesis does.
	maxGetRecordsBytes = 10 << 20
)

// GetShardIterator returns an opaque iterator for the shard. startSeq is used
// by AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER, ts by AT_TIMESTAMP.
// Closed shards can be iterated until their records expire.
func (c *Core) GetShardIterator(ctx context.Context, name, shardIDStr string, typ IteratorType, startSeq string, ts time.Time) (string, error) {
	cc, err := c.writable(ctx, name)
	if err != nil {
		return "", err
	}
	m := cc.meta
	idx, ok := ShardIndex(shardIDStr)
	var sh *shardMeta
	if ok {
		sh = m.shard(idx)
	}
	if sh == nil {
		return "", errf(ErrNotFound, "Shard %s in stream %s under account %s does not exist", shardIDStr, name, c.cfg.AccountID)
	}
	it, err := c.position(ctx, "GetShardIterator", m, sh, typ, startSeq, ts)
	if err != nil {
		return "", err
	}
	return c.encodeIterator(it), nil
}

// position resolves a starting position in a shard to an iterator, for
// the API operation op (named in errors).
func (c *Core) position(ctx context.Context, op string, m *streamMeta, sh *shardMeta, typ IteratorType, startSeq string, ts time.Time) (iterator, error) {
	it := iterator{Issued: c.cfg.Now(), Shard: sh.Index, StreamID: m.ID, Stream: m.Name}
	switch typ {
	case AtSequenceNumber, AfterSequenceNumber:
		if startSeq == "" {
			return iterator{}, errf(ErrInvalidArgument, "StartingSequenceNumber is required for ShardIteratorType %s.", typ)
		}
		// AWS's sentences for a malformed number, one of another stream
		// (incarnation: its 56 digits carry the stream's ID) and one of
		// another shard.
		sp, ok := readSeq(startSeq)
		switch {
		case !ok:
			return iterator{}, errf(ErrInvalidArgument, "StartingSequenceNumber %s used in %s on shard %s in stream %s under account %s is invalid.",
				startSeq, op, shardID(sh.Index), m.Name, c.cfg.AccountID)
		case sp.long && sp.stream != streamNumber(m.ID):
			return iterator{}, errf(ErrInvalidArgument, "StartingSequenceNumber %s used in %s on shard %s in stream %s under account %s is invalid because it did not come from this stream.",
				startSeq, op, shardID(sh.Index), m.Name, c.cfg.AccountID)
		case sp.shard != sh.Index:
			return iterator{}, errf(ErrInvalidArgument, "Invalid StartingSequenceNumber. It encodes %s, while it was used in a call to a shard with %s", shardID(sp.shard), shardID(sh.Index))
		}
		it.Pos = sp.pos
		if typ == AfterSequenceNumber {
			it.Pos.sub++ // past the end of its message: the reader moves on
		}
	case TrimHorizon:
		it.Pos = pos{seq: 1}
	case Latest:
		if sh.Closed {
			it.Pos = pos{seq: sh.EndSeq + 1}
			break
		}
		st, err := c.shardState(ctx, m, sh.Index)
		if err != nil {
			return iterator{}, err
		}
		it.Pos = pos{seq: st.LastSeq + 1}
	case AtTimestamp:
		if ts.IsZero() {
			return iterator{}, errf(ErrInvalidArgument, "Timestamp is required for ShardIteratorType AT_TIMESTAMP.")
		}
		it.ByTime, it.At = true, ts
	default:
		return iterator{}, errf(ErrValidation, "Unknown ShardIteratorType %q.", typ)
	}
	if it.Pos.seq == 0 {
		it.Pos = pos{seq: 1}
	}
	return it, nil
}

// GetRecords reads up to limit records (and at most 10 MiB) from an
// iterator. NextIterator is empty, and ChildShards set, once a closed shard
// has been read to its end. Reads count against the shard's read limits.
func (c *Core) GetRecords(ctx context.Context, iter string, limit int) (GetRecordsResult, error) {
	return c.getRecords(ctx, iter, limit, true)
}

// TailRecords is GetRecords for the server's own readers (the web UI's
// live tail): its reads do not count against the shard's read limits,
// which belong to the API's clients, and are never throttled.
func (c *Core) TailRecords(ctx context.Context, iter string, limit int) (GetRecordsResult, error) {
	return c.getRecords(ctx, iter, limit, false)
}

func (c *Core) getRecords(ctx context.Context, iter string, limit int, metered bool) (GetRecordsResult, error) {
	it, err := c.decodeIterator(iter)
	if err != nil {
		return GetRecordsResult{}, err
	}
	if limit <= 0 || limit > MaxGetRecordsLimit {
		limit = MaxGetRecordsLimit
	}
	cc, err := c.writable(ctx, it.Stream)
	if err != nil {
		return GetRecordsResult{}, err
	}
	m := cc.meta
	if m.ID != it.StreamID {
		return GetRecordsResult{}, errf(ErrInvalidArgument, "Invalid ShardIterator: stream %s was deleted and created again.", it.Stream)
	}
	sh := m.shard(it.Shard)
	if sh == nil {
		return GetRecordsResult{}, errf(ErrNotFound, "Shard %s in stream %s under account %s does not exist", shardID(it.Shard), m.Name, c.cfg.AccountID)
	}
	now := c.cfg.Now()
	if metered && !c.limits.allowRead(m.ID, sh.Index, now) {
		return GetRecordsResult{}, errf(ErrThroughputExceeded, "Rate exceeded for shard %s in stream %s under account %s.", shardID(sh.Index), m.Name, c.cfg.AccountID)
	}

	pg, err := c.readShard(ctx, m, sh, it, limit)
	if err != nil {
		return GetRecordsResult{}, err
	}
	if metered {
		c.limits.chargeRead(m.ID, sh.Index, pg.bytes, now)
	}

	res := GetRecordsResult{Stream: m.Name, Records: pg.records, MillisBehindLatest: pg.behind.Milliseconds()}
	next := it
	next.Issued = now
	if pg.moved {
		next.ByTime, next.Pos = false, pg.next
	}
	if sh.Closed && (next.ByTime && !pg.moved || !next.ByTime && next.Pos.seq > sh.EndSeq) {
		res.ChildShards = childShards(m, sh.Index)
		return res, nil
	}
	res.NextIterator = c.encodeIterator(next)
	return res, nil
}

// seqAtTime returns the sequence of the first message stored at or after
// at, or the sequence after the shard's last message if there is none.
func (c *Core) seqAtTime(ctx context.Context, m *streamMeta, sh *shardMeta, at time.Time) (uint64, error) {
	msgs, err := jetstreamext.GetBatch(ctx, c.js, c.jsStreamName(m.ID, sh.Index), 1, jetstreamext.GetBatchStartTime(at))
	if err != nil {
		return 0, errf(ErrUnavailable, "reading %s: %v", shardID(sh.Index), err)
	}
	for msg, err := range msgs {
		if err == nil {
			return msg.Sequence, nil
		}
		if !errors.Is(err, jetstreamext.ErrNoMessages) {
			return 0, errf(ErrUnavailable, "reading %s: %v", shardID(sh.Index), err)
		}
	}
	if sh.Closed {
		return sh.EndSeq + 1, nil
	}
	st, err := c.shardState(ctx, m, sh.Index)
	if err != nil {
		return 0, err
	}
	return st.LastSeq + 1, nil
}

// page is what one read of a shard returned.
type page struct {
	records []Record
	moved   bool // next is set: the read got past its start
	next    pos  // the position after the last record returned
	bytes   int
	behind  time.Duration // MillisBehindLatest
}

// readMessages is how many messages one direct get asks for: a message
// holds one or many records, so reading goes on in chunks until the limit.
const readMessages = 256

// readShard reads records from a shard's JetStream stream by batched direct
// gets, from it's position up to limit records or maxGetRecordsBytes.
func (c *Core) readShard(ctx context.Context, m *streamMeta, sh *shardMeta, it iterator, limit int) (page, error) {
	var p page
	from := it.Pos
	byTime := it.ByTime
	var lastTime time.Time
	var pending uint64
	for len(p.records) < limit && p.bytes < maxGetRecordsBytes {
		if !byTime && sh.Closed && from.seq > sh.EndSeq {
			break
		}
		opts := []jetstreamext.GetBatchOpt{jetstreamext.GetBatchMaxBytes(maxGetRecordsBytes - p.bytes)}
		if byTime {
			opts = append(opts, jetstreamext.GetBatchStartTime(it.At))
		} else {
			opts = append(opts, jetstreamext.GetBatchSeq(from.seq))
		}
		msgs, err := jetstreamext.GetBatch(ctx, c.js, c.jsStreamName(m.ID, sh.Index), min(readMessages, limit), opts...)
		if err != nil {
			return page{}, errf(ErrUnavailable, "reading %s: %v", shardID(sh.Index), err)
		}
		got, full := 0, false
		for msg, err := range msgs {
			if err != nil {
				if errors.Is(err, jetstreamext.ErrNoMessages) {
					break
				}
				return page{}, errf(ErrUnavailable, "reading %s: %v", shardID(sh.Index), err)
			}
			got++
			if sh.Closed && msg.Sequence > sh.EndSeq {
				full = true // past the end: stop everything
				break
			}
			skip := 0
			if !byTime && msg.Sequence == from.seq {
				skip = from.sub
			}
			taken := skip
			err = decodeRecords(msg.Data, func(i int, pk string, data []byte) {
				if i < skip || full {
					return
				}
				if len(p.records) >= limit || p.bytes+len(data)+len(pk) > maxGetRecordsBytes && len(p.records) > 0 {
					full = true
					return
				}
				p.records = append(p.records, Record{
					SequenceNumber: c.seqNum(m.ID, sh.Index, pos{msg.Sequence, i}),
					ArrivalTime:    msg.Time,
					Data:           data,
					PartitionKey:   pk,
					EncryptionType: m.EncryptionType,
				})
				p.bytes += len(data) + len(pk)
				taken = i + 1
			})
			if err != nil && err != errBarrier {
				c.log.Error("skipping unreadable message", "stream", m.Name, "shard", sh.Index, "seq", msg.Sequence)
			}
			p.moved, byTime = true, false
			if full && err == nil && taken < countRecords(msg.Data) {
				p.next = pos{msg.Sequence, taken} // resume inside this message
			} else {
				p.next = pos{msg.Sequence + 1, 0}
			}
			from = p.next
			lastTime, pending = msg.Time, numPending(msg)
			if full {
				break
			}
		}
		if full || got < min(readMessages, limit) || pending == 0 {
			break
		}
	}
	if pending > 0 && !lastTime.IsZero() {
		p.behind = max(c.cfg.Now().Sub(lastTime), 0)
	}
	return p, nil
}

func numPending(msg *jetstream.RawStreamMsg) uint64 {
	n, _ := strconv.ParseUint(msg.Header.Get("Nats-Num-Pending"), 10, 64)
	return n
}

// ShardRange returns the sequence numbers of the first records of the
// oldest and newest messages a shard holds; ok is false when it holds none.
func (c *Core) ShardRange(ctx context.Context, name, shardIDStr string) (first, last string, ok bool, err error) {
	cc, err := c.writable(ctx, name)
	if err != nil {
		return "", "", false, err
	}
	idx, valid := ShardIndex(shardIDStr)
	var sh *shardMeta
	if valid {
		sh = cc.meta.shard(idx)
	}
	if sh == nil {
		return "", "", false, errf(ErrNotFound, "Shard %s in stream %s under account %s does not exist", shardIDStr, name, c.cfg.AccountID)
	}
	st, err := c.shardState(ctx, cc.meta, sh.Index)
	if err != nil {
		return "", "", false, err
	}
	if st.Msgs == 0 {
		return "", "", false, nil
	}
	return c.seqNum(cc.meta.ID, sh.Index, pos{seq: st.FirstSeq}), c.seqNum(cc.meta.ID, sh.Index, pos{seq: st.LastSeq}), true, nil
}
