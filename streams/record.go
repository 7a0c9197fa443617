package streams

import (
	"encoding/binary"
	"errors"
)

// A record is stored in its shard's JetStream stream as one message whose
// payload is an envelope:
//
//	version (1 byte, 1) | uvarint len(partition key) | partition key | data
//
// The arrival time and sequence are JetStream's own (message timestamp and
// stream sequence).
//
// A message whose payload is the single byte 0 is a barrier (see
// closeShard), not a record: readers skip it.
const (
	barrierByte      = 0
	envelopeVersion  = 1
	envelopeOverhead = 1 + binary.MaxVarintLen16 + 256
)

func encodeRecord(partitionKey string, data []byte) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen16+len(partitionKey)+len(data))
	b = append(b, envelopeVersion)
	b = binary.AppendUvarint(b, uint64(len(partitionKey)))
	b = append(b, partitionKey...)
	return append(b, data...)
}

var (
	errBadEnvelope = errors.New("unreadable record envelope")
	errBarrier     = errors.New("barrier, not a record")
)

// decodeRecord splits an envelope. data aliases b.
func decodeRecord(b []byte) (partitionKey string, data []byte, err error) {
	if len(b) == 1 && b[0] == barrierByte {
		return "", nil, errBarrier
	}
	if len(b) < 2 || b[0] != envelopeVersion {
		return "", nil, errBadEnvelope
	}
	n, w := binary.Uvarint(b[1:])
	if w <= 0 || uint64(len(b)-1-w) < n {
		return "", nil, errBadEnvelope
	}
	start := 1 + w
	return string(b[start : start+int(n)]), b[start+int(n):], nil
}
