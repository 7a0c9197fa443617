package streams

import (
	"fmt"
	"strconv"
	"strings"
)

// Sequence numbers are fixed-width decimal strings:
//
//	"49" | shard index (10 digits) | JetStream sequence of the shard (20 digits)
//
// Within a shard they increase with the JetStream sequence, so string order,
// numeric order and write order agree; they stay stable across restarts
// because the JetStream sequence does. The shard index lets a sequence number
// of another shard be told apart and refused.
const (
	seqPrefix = "49"
	seqLen    = 2 + 10 + 20
)

func formatSeq(shard int, seq uint64) string {
	return fmt.Sprintf("%s%010d%020d", seqPrefix, shard, seq)
}

// parseSeq splits a sequence number into shard index and JetStream sequence.
func parseSeq(s string) (shard int, seq uint64, ok bool) {
	if len(s) != seqLen || !strings.HasPrefix(s, seqPrefix) {
		return 0, 0, false
	}
	sh, err := strconv.ParseUint(s[2:12], 10, 32)
	if err != nil {
		return 0, 0, false
	}
	seq, err = strconv.ParseUint(s[12:], 10, 64)
	if err != nil {
		return 0, 0, false
	}
	return int(sh), seq, true
}

func shardID(index int) string { return fmt.Sprintf("shardId-%012d", index) }

// parseShardID accepts the canonical "shardId-000000000003" and the bare
// number ("000000000003", "3"), as Kinesis does.
func parseShardID(id string) (int, bool) {
	num := strings.TrimPrefix(id, "shardId-")
	if num == "" || len(num) > 12 {
		return 0, false
	}
	n, err := strconv.ParseUint(num, 10, 32)
	if err != nil {
		return 0, false
	}
	return int(n), true
}
