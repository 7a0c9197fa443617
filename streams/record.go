package streams

import (
	"encoding/binary"
	"errors"
)

// Records are stored in their shard's JetStream stream in batches: one
// message holds the records of one PutRecords call that went to the shard
// (or as many of them as fit in a message), in order. Its payload is:
//
//	version (1 byte, 2) | uvarint count | count x (uvarint len(pk) | pk | uvarint len(data) | data)
//
// The arrival time and sequence are JetStream's own (message timestamp and
// stream sequence), shared by the records of a message.
//
// A message whose payload is the single byte 0 is a barrier (see
// closeShard), not records: readers skip it.
const (
	barrierByte     = 0
	envelopeVersion = 2
	// recordOverhead bounds the envelope bytes one record adds.
	recordOverhead = 2*binary.MaxVarintLen32 + 256
)

var (
	errBadEnvelope = errors.New("unreadable record envelope")
	errBarrier     = errors.New("barrier, not records")
)

// batchBuilder builds one message of records.
type batchBuilder struct {
	b     []byte
	count int
}

func (bb *batchBuilder) reset(capacity int) {
	bb.b = append(bb.b[:0], envelopeVersion)
	bb.count = 0
	if cap(bb.b) < capacity {
		bb.b = append(make([]byte, 0, capacity), envelopeVersion)
	}
}

func (bb *batchBuilder) add(partitionKey string, data []byte) {
	bb.b = binary.AppendUvarint(bb.b, uint64(len(partitionKey)))
	bb.b = append(bb.b, partitionKey...)
	bb.b = binary.AppendUvarint(bb.b, uint64(len(data)))
	bb.b = append(bb.b, data...)
	bb.count++
}

// bytes returns the message payload: version, count, records.
func (bb *batchBuilder) bytes() []byte {
	out := make([]byte, 0, len(bb.b)+binary.MaxVarintLen32)
	out = append(out, envelopeVersion)
	out = binary.AppendUvarint(out, uint64(bb.count))
	return append(out, bb.b[1:]...)
}

// decodeRecords calls fn with each record of a message, in order, with its
// index. data aliases b. errBarrier for a barrier message.
func decodeRecords(b []byte, fn func(i int, partitionKey string, data []byte)) error {
	if len(b) == 1 && b[0] == barrierByte {
		return errBarrier
	}
	if len(b) < 2 || b[0] != envelopeVersion {
		return errBadEnvelope
	}
	count, w := binary.Uvarint(b[1:])
	if w <= 0 || count > maxSub+1 {
		return errBadEnvelope
	}
	rest := b[1+w:]
	for i := range int(count) {
		pk, r, ok := field(rest)
		if !ok {
			return errBadEnvelope
		}
		data, r, ok := field(r)
		if !ok {
			return errBadEnvelope
		}
		fn(i, string(pk), data)
		rest = r
	}
	return nil
}

// countRecords returns the number of records in a message (0 for a barrier).
func countRecords(b []byte) int {
	if len(b) < 2 || b[0] != envelopeVersion {
		return 0
	}
	count, w := binary.Uvarint(b[1:])
	if w <= 0 {
		return 0
	}
	return int(count)
}

func field(b []byte) (v, rest []byte, ok bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || uint64(len(b)-w) < n {
		return nil, nil, false
	}
	return b[w : w+int(n)], b[w+int(n):], true
}
