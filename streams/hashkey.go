package streams

import (
	"crypto/md5"
	"encoding/binary"
	"math/big"
	"math/bits"
)

// HashKey is an unsigned 128-bit hash key. A record's hash key is the MD5 of
// its partition key read as a big-endian integer, or its ExplicitHashKey.
type HashKey struct{ Hi, Lo uint64 }

// MaxHashKey is 2^128 - 1, the end of the hash-key space.
var MaxHashKey = HashKey{Hi: ^uint64(0), Lo: ^uint64(0)}

// HashPartitionKey returns MD5(partitionKey) as a HashKey, as Kinesis does.
func HashPartitionKey(partitionKey string) HashKey {
	sum := md5.Sum([]byte(partitionKey))
	return HashKey{Hi: binary.BigEndian.Uint64(sum[:8]), Lo: binary.BigEndian.Uint64(sum[8:])}
}

// ParseHashKey parses a decimal hash key in [0, 2^128-1]. It reports false on
// anything else (signs, leading zeros are accepted, non-digits are not).
func ParseHashKey(s string) (HashKey, bool) {
	if s == "" || len(s) > 39 {
		return HashKey{}, false
	}
	var n big.Int
	if _, ok := n.SetString(s, 10); !ok || n.Sign() < 0 || n.BitLen() > 128 {
		return HashKey{}, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return HashKey{}, false
		}
	}
	return hashKeyFromBig(&n), true
}

func hashKeyFromBig(n *big.Int) HashKey {
	var buf [16]byte
	n.FillBytes(buf[:])
	return HashKey{Hi: binary.BigEndian.Uint64(buf[:8]), Lo: binary.BigEndian.Uint64(buf[8:])}
}

func (k HashKey) big() *big.Int {
	var buf [16]byte
	binary.BigEndian.PutUint64(buf[:8], k.Hi)
	binary.BigEndian.PutUint64(buf[8:], k.Lo)
	return new(big.Int).SetBytes(buf[:])
}

// String returns the decimal form used on the wire.
func (k HashKey) String() string { return k.big().String() }

// Cmp returns -1, 0 or +1 as k is less than, equal to or greater than o.
func (k HashKey) Cmp(o HashKey) int {
	switch {
	case k.Hi < o.Hi:
		return -1
	case k.Hi > o.Hi:
		return 1
	case k.Lo < o.Lo:
		return -1
	case k.Lo > o.Lo:
		return 1
	}
	return 0
}

// Inc returns k+1 (wrapping at 2^128).
func (k HashKey) Inc() HashKey {
	lo, carry := bits.Add64(k.Lo, 1, 0)
	return HashKey{Hi: k.Hi + carry, Lo: lo}
}

// Dec returns k-1 (wrapping at 0).
func (k HashKey) Dec() HashKey {
	lo, borrow := bits.Sub64(k.Lo, 1, 0)
	return HashKey{Hi: k.Hi - borrow, Lo: lo}
}

// MarshalText encodes the key in decimal (used by the metadata JSON).
func (k HashKey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText decodes a decimal key.
func (k *HashKey) UnmarshalText(b []byte) error {
	v, ok := ParseHashKey(string(b))
	if !ok {
		return errf(ErrInvalidArgument, "invalid hash key %q", b)
	}
	*k = v
	return nil
}

// uniformRanges splits the hash-key space into n contiguous ranges the way
// Kinesis does for CreateStream and UpdateShardCount: range i starts at
// floor(2^128 * i / n) and ends one before the next start; the last ends at
// 2^128-1.
func uniformRanges(n int) [][2]HashKey {
	space := new(big.Int).Lsh(big.NewInt(1), 128)
	out := make([][2]HashKey, n)
	for i := range n {
		start := new(big.Int).Mul(space, big.NewInt(int64(i)))
		start.Div(start, big.NewInt(int64(n)))
		out[i][0] = hashKeyFromBig(start)
		if i > 0 {
			out[i-1][1] = out[i][0].Dec()
		}
	}
	out[n-1][1] = MaxHashKey
	return out
}
