package streams

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// An iterator is an opaque, tamper-proof token naming a position in a shard:
//
//	version(1) | issued unix ms(8) | by-time flag(1) | shard(4) | JetStream seq(8)
//	| record index(4) | start time unix ms(8) | len(stream id)(1) | stream id
//	| stream name | HMAC(16)
//
// HMAC-SHA256 (truncated to 16 bytes) under a key kept in the metadata
// bucket, so every node of a cluster accepts every other node's iterators.
// The stream id rejects iterators of a deleted and re-created stream.
type iterator struct {
	Issued   time.Time
	ByTime   bool // position is "first record at or after At"; else Pos
	Shard    int
	Pos      pos // next record to read
	At       time.Time
	StreamID string
	Stream   string
}

const (
	iterVersion = 2
	iterMACLen  = 16
	iterFixed   = 1 + 8 + 1 + 4 + 8 + 4 + 8 + 1
)

func (c *Core) encodeIterator(it iterator) string {
	b := make([]byte, 0, iterFixed+len(it.StreamID)+len(it.Stream)+iterMACLen)
	b = append(b, iterVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(it.Issued.UnixMilli()))
	if it.ByTime {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(it.Shard))
	b = binary.BigEndian.AppendUint64(b, it.Pos.seq)
	b = binary.BigEndian.AppendUint32(b, uint32(it.Pos.sub))
	b = binary.BigEndian.AppendUint64(b, uint64(it.At.UnixMilli()))
	b = append(b, byte(len(it.StreamID)))
	b = append(b, it.StreamID...)
	b = append(b, it.Stream...)
	b = append(b, c.iterMAC(b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (c *Core) iterMAC(b []byte) []byte {
	h := hmac.New(sha256.New, c.iterKey)
	h.Write(b)
	return h.Sum(nil)[:iterMACLen]
}

// decodeIterator checks an iterator's MAC and age. ErrInvalidArgument for a
// malformed or forged token, ErrExpiredIterator for an old one.
func (c *Core) decodeIterator(s string) (iterator, error) {
	invalid := errf(ErrInvalidArgument, "Invalid ShardIterator.")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < iterFixed+iterMACLen || b[0] != iterVersion {
		return iterator{}, invalid
	}
	body, mac := b[:len(b)-iterMACLen], b[len(b)-iterMACLen:]
	if !hmac.Equal(mac, c.iterMAC(body)) {
		return iterator{}, invalid
	}
	it := iterator{
		Issued: time.UnixMilli(int64(binary.BigEndian.Uint64(body[1:9]))),
		ByTime: body[9] == 1,
		Shard:  int(binary.BigEndian.Uint32(body[10:14])),
		Pos:    pos{binary.BigEndian.Uint64(body[14:22]), int(binary.BigEndian.Uint32(body[22:26]))},
		At:     time.UnixMilli(int64(binary.BigEndian.Uint64(body[26:34]))),
	}
	idLen := int(body[34])
	if len(body) < iterFixed+idLen {
		return iterator{}, invalid
	}
	it.StreamID = string(body[iterFixed : iterFixed+idLen])
	it.Stream = string(body[iterFixed+idLen:])
	now := c.cfg.Now()
	if now.Sub(it.Issued) > c.cfg.IteratorTTL {
		return iterator{}, errf(ErrExpiredIterator, "Iterator expired. The iterator was created at time %s while right now it is %s which is further in the future than the tolerated delay of %d milliseconds.",
			awsTime(it.Issued), awsTime(now), c.cfg.IteratorTTL.Milliseconds())
	}
	return it, nil
}

// awsTime formats a time as Kinesis error messages do.
func awsTime(t time.Time) string { return t.UTC().Format("Mon Jan 02 15:04:05 UTC 2006") }

// IteratorStream returns the name of the stream a shard iterator belongs
// to, without checking its MAC (GetRecords checks it): for access policies
// that must know the stream before the call. A forged name gains nothing:
// the call itself then fails the MAC check.
func IteratorStream(s string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < iterFixed+iterMACLen || b[0] != iterVersion {
		return "", false
	}
	body := b[:len(b)-iterMACLen]
	idLen := int(body[iterFixed-1])
	if len(body) < iterFixed+idLen {
		return "", false
	}
	return string(body[iterFixed+idLen:]), true
}
