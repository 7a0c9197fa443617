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
	idx, ok := parseShardID(shardIDStr)
	var sh *shardMeta
	if ok {
		sh = m.shard(idx)
	}
	if sh == nil {
		return "", errf(ErrNotFound, "Shard %s in stream %s under account %s does not exist", shardIDStr, name, c.cfg.AccountID)
	}
	it, err := c.position(ctx, m, sh, typ, startSeq, ts)
	if err != nil {
		return "", err
	}
	return c.encodeIterator(it), nil
}

// position resolves a starting position in a shard to an iterator.
func (c *Core) position(ctx context.Context, m *streamMeta, sh *shardMeta, typ IteratorType, startSeq string, ts time.Time) (iterator, error) {
	it := iterator{Issued: c.cfg.Now(), Shard: sh.Index, StreamID: m.ID, Stream: m.Name}
	switch typ {
	case AtSequenceNumber, AfterSequenceNumber:
		if startSeq == "" {
			return iterator{}, errf(ErrInvalidArgument, "StartingSequenceNumber is required for ShardIteratorType %s.", typ)
		}
		shard, seq, ok := parseSeq(startSeq)
		if !ok || shard != sh.Index {
			return iterator{}, errf(ErrInvalidArgument, "Invalid StartingSequenceNumber. It encodes %s, while it was used in a call to a shard with %s", startSeq, shardID(sh.Index))
		}
		it.Seq = seq
		if typ == AfterSequenceNumber {
			it.Seq++
		}
	case TrimHorizon:
		it.Seq = 1
	case Latest:
		if sh.Closed {
			it.Seq = sh.EndSeq + 1
			break
		}
		st, err := c.shardState(ctx, m, sh.Index)
		if err != nil {
			return iterator{}, err
		}
		it.Seq = st.LastSeq + 1
	case AtTimestamp:
		if ts.IsZero() {
			return iterator{}, errf(ErrInvalidArgument, "Timestamp is required for ShardIteratorType AT_TIMESTAMP.")
		}
		it.ByTime, it.At = true, ts
	default:
		return iterator{}, errf(ErrValidation, "Unknown ShardIteratorType %q.", typ)
	}
	if it.Seq == 0 {
		it.Seq = 1
	}
	return it, nil
}

// GetRecords reads up to limit records (and at most 10 MiB) from an
// iterator. NextIterator is empty, and ChildShards set, once a closed shard
// has been read to its end.
func (c *Core) GetRecords(ctx context.Context, iter string, limit int) (GetRecordsResult, error) {
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
	if !c.limits.allowRead(m.ID, sh.Index, now) {
		return GetRecordsResult{}, errf(ErrThroughputExceeded, "Rate exceeded for shard %s in stream %s under account %s.", shardID(sh.Index), m.Name, c.cfg.AccountID)
	}

	page, err := c.readShard(ctx, m, sh, it, limit)
	if err != nil {
		return GetRecordsResult{}, err
	}
	c.limits.chargeRead(m.ID, sh.Index, page.bytes, now)

	res := GetRecordsResult{Stream: m.Name, Records: page.records, MillisBehindLatest: page.behind.Milliseconds()}
	next := it
	next.Issued = now
	if page.lastSeq > 0 {
		next.ByTime, next.Seq = false, page.lastSeq+1
	}
	if sh.Closed && (next.ByTime && page.lastSeq == 0 || !next.ByTime && next.Seq > sh.EndSeq) {
		res.ChildShards = childShards(m, sh.Index)
		return res, nil
	}
	res.NextIterator = c.encodeIterator(next)
	return res, nil
}

// seqAtTime returns the sequence of the first record stored at or after
// at, or the sequence after the shard's last record if there is none.
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
	lastSeq uint64
	bytes   int
	behind  time.Duration // MillisBehindLatest
}

// readShard reads a batch from a shard's JetStream stream by direct get.
func (c *Core) readShard(ctx context.Context, m *streamMeta, sh *shardMeta, it iterator, limit int) (page, error) {
	opts := []jetstreamext.GetBatchOpt{jetstreamext.GetBatchMaxBytes(maxGetRecordsBytes)}
	if it.ByTime {
		opts = append(opts, jetstreamext.GetBatchStartTime(it.At))
	} else {
		if sh.Closed && it.Seq > sh.EndSeq {
			return page{}, nil
		}
		opts = append(opts, jetstreamext.GetBatchSeq(it.Seq))
	}
	if sh.Closed {
		limit = int(min(uint64(limit), sh.EndSeq+1-max(it.Seq, 1)))
		if it.ByTime {
			limit = MaxGetRecordsLimit
		}
	}
	msgs, err := jetstreamext.GetBatch(ctx, c.js, c.jsStreamName(m.ID, sh.Index), limit, opts...)
	if err != nil {
		return page{}, errf(ErrUnavailable, "reading %s: %v", shardID(sh.Index), err)
	}
	var p page
	var pending uint64
	var lastTime time.Time
	for msg, err := range msgs {
		if err != nil {
			if errors.Is(err, jetstreamext.ErrNoMessages) {
				break
			}
			return page{}, errf(ErrUnavailable, "reading %s: %v", shardID(sh.Index), err)
		}
		if sh.Closed && msg.Sequence > sh.EndSeq {
			break
		}
		p.lastSeq = msg.Sequence
		pending = numPending(msg)
		pk, data, err := decodeRecord(msg.Data)
		if err != nil {
			if err != errBarrier {
				c.log.Error("skipping unreadable record", "stream", m.Name, "shard", sh.Index, "seq", msg.Sequence)
			}
			continue
		}
		p.records = append(p.records, Record{
			SequenceNumber: formatSeq(sh.Index, msg.Sequence),
			ArrivalTime:    msg.Time,
			Data:           data,
			PartitionKey:   pk,
			EncryptionType: m.EncryptionType,
		})
		p.bytes += len(data) + len(pk)
		lastTime = msg.Time
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

// ShardRange returns the sequence numbers of the oldest and newest records
// a shard holds; ok is false when it holds none.
func (c *Core) ShardRange(ctx context.Context, name, shardIDStr string) (first, last string, ok bool, err error) {
	cc, err := c.writable(ctx, name)
	if err != nil {
		return "", "", false, err
	}
	idx, valid := parseShardID(shardIDStr)
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
	return formatSeq(sh.Index, st.FirstSeq), formatSeq(sh.Index, st.LastSeq), true, nil
}
