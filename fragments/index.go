package fragments

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/streams"
)

// indexShard is the only shard of a video stream's index.
const indexShard = "shardId-000000000000"

// Info is the index entry of an archived fragment.
type Info struct {
	// Number is the fragment number: the index record's sequence number.
	Number        string
	Key           string // storage key of the fragment's bytes
	InitKey       string // storage key of its init segment
	ProducerTime  time.Time
	ServerTime    time.Time
	Duration      time.Duration
	Size          int64
	Keyframe      bool
	Discontinuity bool
	Session       string
	SessionIndex  int         // the fragment's index in its session (Fragment.Index)
	Samples       map[int]int // by track ID
	Tracks        []TrackInfo // shared between the Infos of a listing: read only
	// Token is the lease token of the node that recorded the fragment
	// (AppendFenced); 0 when the write was not fenced.
	Token uint64
	// Packed: the object at Key holds other fragments too (it was packed,
	// --archive-object-duration); this one's Size bytes start at Offset.
	Packed bool
	Offset int64
}

// Piece names where the fragment's bytes are: its object's key, or for a
// packed fragment the piece of its object (storage.PieceName).
func (i Info) Piece() string {
	if i.Packed {
		return storage.PieceName(i.Key, i.Offset)
	}
	return i.Key
}

// End is the producer time at which the fragment ends.
func (i Info) End() time.Time { return i.ProducerTime.Add(i.Duration) }

// MediaPrefix is the storage prefix under which a stream's objects live.
// It includes the creation time, so that a stream deleted and created
// again never sees the old one's objects.
func MediaPrefix(s Stream) string {
	return fmt.Sprintf("video/s-%s/%d/", s.Name, s.CreationTime.UnixMilli())
}

// Append records an archived fragment and returns its number. Call it
// only after the fragment's objects are stored: an index entry must never
// point at a missing object.
func (l *Library) Append(ctx context.Context, stream string, in Info) (string, error) {
	res, err := l.core.PutRecords(ctx, stream, []streams.PutEntry{{PartitionKey: "f", Data: encodeRecord(in)}})
	if err != nil {
		return "", err
	}
	if res[0].Err != nil {
		return "", res[0].Err
	}
	l.appended(ctx, stream, res[0].SequenceNumber)
	return res[0].SequenceNumber, nil
}

// Fence makes an index write conditional: it lands only if the last record
// of the stream's index is still LastSeq, so that two writers (an owner
// that was paused past its lease, and the next owner) never interleave.
type Fence struct {
	// LastSeq is the message sequence of the index's last record as the
	// writer knows it: LastSeq when it took over the stream, then the seq
	// each AppendFenced returned.
	LastSeq uint64
	// Token is the writer's lease token, stored in the record (Info.Token)
	// so that a writer refused by the fence can tell an older writer's
	// stray record (lower token) from a newer owner's.
	Token uint64
}

// AppendFenced is Append under a fence: it writes in with f.Token and
// returns the record's number and message sequence (the next
// Fence.LastSeq). When another record was indexed after f.LastSeq it
// writes nothing and returns an error matching streams.ErrFenced.
func (l *Library) AppendFenced(ctx context.Context, stream string, in Info, f Fence) (number string, seq uint64, err error) {
	in.Token = f.Token
	res, err := l.core.PutFenced(ctx, stream, streams.PutEntry{PartitionKey: "f", Data: encodeRecord(in)}, f.LastSeq)
	if err != nil {
		return "", 0, err
	}
	if res.Err != nil {
		return "", 0, res.Err
	}
	l.appended(ctx, stream, res.SequenceNumber)
	seq, _ = streams.SequenceMessage(res.SequenceNumber)
	return res.SequenceNumber, seq, nil
}

// LastSeq returns the message sequence of the last record ever written to
// a stream's index (0 when none was): a new writer's first Fence.LastSeq.
func (l *Library) LastSeq(ctx context.Context, stream string) (uint64, error) {
	return l.core.ShardLastSequence(ctx, stream, indexShard)
}

// appended warms the cache after an append of number.
func (l *Library) appended(ctx context.Context, stream, number string) {
	if seq, ok := streams.SequenceMessage(number); ok && l.cache != nil && (seq+1)%blockMessages == 0 {
		l.warm(ctx, stream, seq-(blockMessages-1))
	}
}

// warm reads the index block that starts at message from, which an
// Append just completed, into the cache, so that listings on the node
// that records a stream find its index in memory. It costs one read of
// the block per blockMessages appends; a failure only leaves the block
// for the next listing to read.
func (l *Library) warm(ctx context.Context, stream string, from uint64) {
	first, last, ok, err := l.core.ShardRange(ctx, stream, indexShard)
	if err != nil || !ok {
		return
	}
	end := from + blockMessages - 1
	_ = l.scan(ctx, stream, first, last, from, func(number string, _ []byte) bool {
		seq, _ := streams.SequenceMessage(number)
		return seq <= end
	})
}

// seek returns the number of the first fragment whose selected time is at
// or after sel.Start, or "" if there is none.
func (l *Library) seek(ctx context.Context, stream, first, last string, sel Selector) (string, error) {
	lo, _ := streams.SequenceMessage(first)
	hi, _ := streams.SequenceMessage(last)
	found := ""
	for lo <= hi {
		mid := lo + (hi-lo)/2
		in, err := l.at(ctx, stream, streams.SequenceAt(first, mid))
		if err != nil {
			return "", err
		}
		if !sel.key(in).Before(sel.Start) {
			found, hi = in.Number, mid-1
		} else {
			n, _ := streams.SequenceMessage(in.Number)
			lo = n + 1
		}
	}
	return found, nil
}

// Fragment returns one fragment by number. ErrNotFound if it is not (or no
// longer) in the index.
func (l *Library) Fragment(ctx context.Context, stream, number string) (Info, error) {
	in, err := l.at(ctx, stream, number)
	if err != nil {
		return Info{}, err
	}
	if in.Number != number {
		return Info{}, fragmentNotFound(stream, number)
	}
	return in, nil
}

// at returns the first fragment at or after number.
func (l *Library) at(ctx context.Context, stream, number string) (Info, error) {
	it, err := l.core.GetShardIterator(ctx, stream, indexShard, streams.AtSequenceNumber, number, time.Time{})
	if err != nil {
		if errors.Is(err, streams.ErrNotFound) {
			return Info{}, err // the stream itself
		}
		return Info{}, fragmentNotFound(stream, number)
	}
	res, err := l.core.GetRecords(ctx, it, 1)
	if err != nil {
		return Info{}, err
	}
	if len(res.Records) == 0 {
		return Info{}, fragmentNotFound(stream, number)
	}
	var dec recordDecoder
	return dec.decode(res.Records[0].SequenceNumber, res.Records[0].Data)
}

func fragmentNotFound(stream, number string) error {
	return &streams.Error{Kind: ErrNotFound, Msg: fmt.Sprintf("Fragment %s of stream %s was not found (or is past its retention).", number, stream)}
}

// Last returns the newest fragment of a stream's index; ok is false when
// the index is empty.
func (l *Library) Last(ctx context.Context, stream string) (in Info, ok bool, err error) {
	_, last, ok, err := l.core.ShardRange(ctx, stream, indexShard)
	if err != nil || !ok {
		return Info{}, false, err
	}
	in, err = l.at(ctx, stream, last)
	return in, err == nil, err
}

// Count returns how many fragments a stream's index holds (an index record
// is one message, so this is exact and costs one stream lookup).
func (l *Library) Count(ctx context.Context, stream string) (int64, error) {
	first, last, ok, err := l.core.ShardRange(ctx, stream, indexShard)
	if err != nil || !ok {
		return 0, err
	}
	a, _ := streams.SequenceMessage(first)
	b, _ := streams.SequenceMessage(last)
	return int64(b - a + 1), nil
}
