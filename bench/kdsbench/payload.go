package main

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
)

// Record payload layout (big-endian), followed by random filler up to the
// record size:
//
//	[0:8)   run marker: a random number drawn once per run
//	[8]     kind: kindPut, kindProbe or kindLatency
//	[9:13)  index: probe shard index or latency sample index
//	[13:21) send wall-clock time, Unix nanoseconds (delivery records)
const headerSize = 21

// Record kinds.
const (
	kindPut     byte = 1
	kindProbe   byte = 2
	kindLatency byte = 3
)

// header is the decoded head of a payload.
type header struct {
	Marker uint64
	Kind   byte
	Index  uint32
	SentNs int64
}

// encodeHeader writes h into p[:headerSize]; p must be at least headerSize long.
func encodeHeader(p []byte, h header) {
	binary.BigEndian.PutUint64(p[0:8], h.Marker)
	p[8] = h.Kind
	binary.BigEndian.PutUint32(p[9:13], h.Index)
	binary.BigEndian.PutUint64(p[13:21], uint64(h.SentNs))
}

// decodeHeader reads the head of p; ok is false when p is too short.
func decodeHeader(p []byte) (h header, ok bool) {
	if len(p) < headerSize {
		return header{}, false
	}
	return header{
		Marker: binary.BigEndian.Uint64(p[0:8]),
		Kind:   p[8],
		Index:  binary.BigEndian.Uint32(p[9:13]),
		SentNs: int64(binary.BigEndian.Uint64(p[13:21])),
	}, true
}

// newPayload returns a size-byte payload with header h and random filler.
func newPayload(r *rand.Rand, size int, h header) []byte {
	p := make([]byte, size)
	for i := headerSize; i < size; i += 8 {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], r.Uint64())
		copy(p[i:], b[:])
	}
	encodeHeader(p, h)
	return p
}

// partitionKey returns a random 16-hex-digit partition key.
func partitionKey(r *rand.Rand) string {
	return strconv.FormatUint(r.Uint64()|1<<63, 16)
}
