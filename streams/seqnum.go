package streams

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Sequence numbers are fixed-width decimal strings of 56 digits, as AWS's:
//
//	"49" | format "1" | stream number (15 digits) | shard index (13 digits) |
//	JetStream sequence (20 digits) | record index (5 digits)
//
// The stream number is the stream's ID (48 bits) in decimal: a sequence
// number says which stream incarnation it is of. A JetStream message of a
// shard holds a batch of records (all those of one PutRecords call that
// went to the shard); the record index is a record's place in its message.
// Within a shard sequence numbers increase with (message, index), so
// string order, numeric order and write order agree; they stay stable
// across restarts because the JetStream sequence does.
//
// Sluice wrote 37 digits before ("49" | shard index (10) | JetStream
// sequence (20) | record index (5)); those are still read, wherever a
// sequence number is taken (iterators, subscriptions, checkpoints of
// clients), and they are numerically below every 56-digit one, so a
// client comparing its old checkpoint with a new record sees the right
// order. A core with Config.ShortSequenceNumbers still writes them: the
// video index, whose fragment numbers keep their form.
const (
	seqPrefix   = "49"
	seqLen      = 56
	shortSeqLen = 2 + 10 + 20 + 5
	maxSub      = 99999
)

// pos is a position in a shard: a JetStream message and a record in it.
type pos struct {
	seq uint64 // JetStream sequence
	sub int    // record index within the message
}

func (p pos) less(o pos) bool { return p.seq < o.seq || p.seq == o.seq && p.sub < o.sub }

// seqNum formats a position of shard of the stream with ID id in the
// core's form.
func (c *Core) seqNum(id string, shard int, p pos) string {
	if c.cfg.ShortSequenceNumbers {
		return formatShortSeq(shard, p)
	}
	return formatSeq(streamNumber(id), shard, p)
}

func formatSeq(stream uint64, shard int, p pos) string {
	return fmt.Sprintf("%s1%015d%013d%020d%05d", seqPrefix, stream, shard, p.seq, p.sub)
}

func formatShortSeq(shard int, p pos) string {
	return fmt.Sprintf("%s%010d%020d%05d", seqPrefix, shard, p.seq, p.sub)
}

// streamNumber is the number a stream's ID stands for in its sequence
// numbers: the ID's 48 bits (12 hex digits), or for another form a hash
// of it below 10^15.
func streamNumber(id string) uint64 {
	if n, err := strconv.ParseUint(id, 16, 64); err == nil && len(id) <= 12 {
		return n
	}
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64() % 1_000_000_000_000_000
}

// seqParts is a sequence number read: its stream number (0 in the short
// form, which has none), shard and position.
type seqParts struct {
	long   bool
	stream uint64
	shard  int
	pos    pos
}

// readSeq reads a sequence number of either form.
func readSeq(s string) (seqParts, bool) {
	num := func(from, to int, bits int) (uint64, bool) {
		v, err := strconv.ParseUint(s[from:to], 10, bits)
		return v, err == nil
	}
	if !strings.HasPrefix(s, seqPrefix) {
		return seqParts{}, false
	}
	switch len(s) {
	case seqLen:
		stream, ok1 := num(3, 18, 64)
		sh, ok2 := num(18, 31, 31)
		seq, ok3 := num(31, 51, 64)
		sub, ok4 := num(51, 56, 32)
		if s[2] != '1' || !ok1 || !ok2 || !ok3 || !ok4 {
			return seqParts{}, false
		}
		return seqParts{long: true, stream: stream, shard: int(sh), pos: pos{seq, int(sub)}}, true
	case shortSeqLen:
		sh, ok1 := num(2, 12, 31)
		seq, ok2 := num(12, 32, 64)
		sub, ok3 := num(32, 37, 32)
		if !ok1 || !ok2 || !ok3 {
			return seqParts{}, false
		}
		return seqParts{shard: int(sh), pos: pos{seq, int(sub)}}, true
	}
	return seqParts{}, false
}

// parseSeq splits a sequence number of either form into shard index and
// position.
func parseSeq(s string) (shard int, p pos, ok bool) {
	sp, ok := readSeq(s)
	return sp.shard, sp.pos, ok
}

// SequenceMessage returns the JetStream sequence of the message holding the
// record with sequence number s; ok is false if s is not one of this
// package's sequence numbers.
func SequenceMessage(s string) (uint64, bool) {
	_, p, ok := parseSeq(s)
	return p.seq, ok
}

// SequenceAt returns the sequence number of the first record of message
// seq in the shard of sequence number ref.
func SequenceAt(ref string, seq uint64) string {
	sp, _ := readSeq(ref)
	if sp.long {
		return formatSeq(sp.stream, sp.shard, pos{seq: seq})
	}
	return formatShortSeq(sp.shard, pos{seq: seq})
}

func shardID(index int) string { return fmt.Sprintf("shardId-%012d", index) }

// ShardIndex reads a shard ID as Kinesis does: the number after its
// last "-" (the canonical "shardId-000000000003", and any text ending in
// "-<number>": "anything-3" is shard 3), or a bare number ("3").
func ShardIndex(id string) (int, bool) {
	num := id
	if i := strings.LastIndexByte(id, '-'); i >= 0 {
		num = id[i+1:]
	}
	if num == "" || len(num) > 20 || strings.TrimLeft(num, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(num, 10, 31)
	if err != nil {
		return 0, false
	}
	return int(n), true
}
