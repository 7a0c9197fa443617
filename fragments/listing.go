package fragments

import (
	"context"
	"fmt"
	"time"

	"github.com/sluice-dev/sluice/streams"
)

// Selector picks fragments by start time: ServerTime (the default) or
// ProducerTime in [Start, End]. A zero Start means the oldest, a zero End
// the newest. After, when set, is a fragment number: only fragments after
// it are picked, and the listing starts right after it instead of
// searching for Start (a fragment past its retention is fine: the listing
// starts at the oldest one left after it).
type Selector struct {
	Producer   bool
	Start, End time.Time
	After      string
}

func (s Selector) key(i Info) time.Time {
	if s.Producer {
		return i.ProducerTime
	}
	return i.ServerTime
}

// Reads from the core start small, since most listings stop early (a
// page, a playlist window), and grow to the core's largest read.
const (
	firstRead = 256
	growRead  = 4
)

// Fragments calls fn with each fragment the selector picks, in time order,
// until fn returns false. Both timestamps only ever increase within a
// stream (the writer keeps producer time monotonic), so the start is found
// by binary search over fragment numbers. Infos passed to fn share their
// Tracks slices (see Info.Tracks). It lists what the index holds when it
// is called: fragments appended meanwhile may or may not be listed.
func (l *Library) Fragments(ctx context.Context, stream string, sel Selector, fn func(Info) bool) error {
	first, last, ok, err := l.core.ShardRange(ctx, stream, indexShard)
	if err != nil || !ok {
		return err
	}
	from, _ := streams.SequenceMessage(first)
	switch {
	case sel.After != "":
		seq, ok := streams.SequenceMessage(sel.After)
		if !ok || streams.SequenceAt(first, seq) != streams.SequenceAt(sel.After, seq) {
			return &streams.Error{Kind: streams.ErrInvalidArgument, Msg: fmt.Sprintf("%q is not a fragment number of stream %s.", sel.After, stream)}
		}
		from = max(from, seq)
	case !sel.Start.IsZero():
		start, err := l.seek(ctx, stream, first, last, sel)
		if err != nil || start == "" {
			return err
		}
		from, _ = streams.SequenceMessage(start)
	}
	var (
		dec     recordDecoder
		failure error
		newest  Info // the last fragment listed (Stale)
	)
	err = l.scan(ctx, stream, first, last, from, func(number string, data []byte) bool {
		if sel.After != "" && !numberAfter(number, sel.After) {
			return true
		}
		in, err := dec.decode(number, data)
		if err != nil {
			failure = err
			return false
		}
		if Stale(newest, in) {
			return true
		}
		newest = in
		if !sel.End.IsZero() && sel.key(in).After(sel.End) {
			return false
		}
		if !sel.Start.IsZero() && sel.key(in).Before(sel.Start) {
			return true
		}
		return fn(in)
	})
	if err != nil {
		return err
	}
	return failure
}

// Stale reports whether index record in, which follows prev in the
// index, is a stray write of an earlier owner: a lower lease token than
// prev's, and a start before prev's end. The fence on index writes
// (AppendFenced) keeps such records out; readers drop any that got in,
// so that the archive never plays two recordings of one moment. A lower
// token that does not overlap (a token counter restarted with a new
// lease table) is kept, and records without a token (0) are never stale.
func Stale(prev, in Info) bool {
	return in.Token != 0 && prev.Token != 0 && in.Token < prev.Token && in.ProducerTime.Before(prev.End())
}

// numberAfter reports whether fragment number a comes after b, both of
// one index shard (equal-length decimal strings).
func numberAfter(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

// scan calls visit with the number and data of each index record from
// message sequence from on, in order, until visit returns false. first
// and last are the shard's range when the listing began: blocks that end
// at or before last come from the cache, or are read and cached when
// visit takes all of them; the block being written is read from the core.
func (l *Library) scan(ctx context.Context, stream, first, last string, from uint64, visit func(number string, data []byte) bool) error {
	firstSeq, _ := streams.SequenceMessage(first)
	lastSeq, _ := streams.SequenceMessage(last)
	from = max(from, firstSeq)
	var created time.Time
	if l.cache != nil {
		s, err := l.core.DescribeStream(ctx, stream)
		if err != nil {
			return err
		}
		created = s.CreatedAt
	}
	for ; from/blockMessages < (lastSeq+1)/blockMessages; from = (from/blockMessages + 1) * blockMessages {
		key := blockKey{stream: stream, created: created, block: from / blockMessages}
		if b := l.cache.get(key, from); b != nil {
			for _, e := range b.entries {
				if e.seq >= from && !visit(e.number, e.data) {
					return nil
				}
			}
			continue
		}
		b := &cacheBlock{key: key, from: from}
		end := (key.block+1)*blockMessages - 1
		more, err := l.read(ctx, stream, first, from, end, func(seq uint64, number string, data []byte) bool {
			b.add(seq, number, data)
			return visit(number, data)
		})
		if err != nil || !more {
			return err
		}
		l.cache.put(b)
	}
	_, err := l.read(ctx, stream, first, from, 0, func(_ uint64, number string, data []byte) bool { return visit(number, data) })
	return err
}

// read calls visit with the records of messages from..to (to 0: to the
// end of the shard) as the core has them, reading in growing batches.
// more is false when visit returned false.
func (l *Library) read(ctx context.Context, stream, first string, from, to uint64, visit func(seq uint64, number string, data []byte) bool) (more bool, err error) {
	it, err := l.core.GetShardIterator(ctx, stream, indexShard, streams.AtSequenceNumber, streams.SequenceAt(first, from), time.Time{})
	if err != nil {
		return false, err
	}
	for n := firstRead; it != ""; n = min(n*growRead, streams.MaxGetRecordsLimit) {
		if to != 0 {
			n = min(n, int(to-from+1))
		}
		res, err := l.core.GetRecords(ctx, it, n)
		if err != nil {
			return false, err
		}
		for _, r := range res.Records {
			seq, _ := streams.SequenceMessage(r.SequenceNumber)
			if to != 0 && seq > to {
				return true, nil
			}
			if !visit(seq, r.SequenceNumber, r.Data) {
				return false, nil
			}
			from = seq + 1
		}
		if len(res.Records) == 0 || to != 0 && from > to {
			return true, nil
		}
		it = res.NextIterator
	}
	return true, nil
}
