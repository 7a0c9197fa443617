package streams

import (
	"fmt"
	"strconv"
	"strings"
)

// Sequence numbers are fixed-width decimal strings:
//
//	"49" | shard index (10 digits) | JetStream sequence (20 digits) | record index (5 digits)
//
// A JetStream message of a shard holds a batch of records (all those of one
// PutRecords call that went to the shard); the record index is a record's
// place in its message. Within a shard sequence numbers increase with
// (message, index), so string order, numeric order and write order agree;
// they stay stable across restarts because the JetStream sequence does. The
// shard index lets a sequence number of another shard be told apart.
const (
	seqPrefix = "49"
	seqLen    = 2 + 10 + 20 + 5
	maxSub    = 99999
)

// pos is a position in a shard: a JetStream message and a record in it.
type pos struct {
	seq uint64 // JetStream sequence
	sub int    // record index within the message
}

func (p pos) less(o pos) bool { return p.seq < o.seq || p.seq == o.seq && p.sub < o.sub }

func formatSeq(shard int, p pos) string {
	return fmt.Sprintf("%s%010d%020d%05d", seqPrefix, shard, p.seq, p.sub)
}

// parseSeq splits a sequence number into shard index and position.
func parseSeq(s string) (shard int, p pos, ok bool) {
	if len(s) != seqLen || !strings.HasPrefix(s, seqPrefix) {
		return 0, pos{}, false
	}
	sh, err := strconv.ParseUint(s[2:12], 10, 32)
	if err != nil {
		return 0, pos{}, false
	}
	seq, err := strconv.ParseUint(s[12:32], 10, 64)
	if err != nil {
		return 0, pos{}, false
	}
	sub, err := strconv.ParseUint(s[32:], 10, 32)
	if err != nil {
		return 0, pos{}, false
	}
	return int(sh), pos{seq, int(sub)}, true
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
	shard, _, _ := parseSeq(ref)
	return formatSeq(shard, pos{seq: seq})
}

func shardID(index int) string { return fmt.Sprintf("shardId-%012d", index) }

// parseShardID reads a shard ID as Kinesis does: the number after its
// last "-" (the canonical "shardId-000000000003", and any text ending in
// "-<number>": "anything-3" is shard 3), or a bare number ("3").
func parseShardID(id string) (int, bool) {
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
