package streams

import (
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiters holds the per-shard token buckets of one node. Buckets start full
// (one second's worth), as Kinesis allows short bursts.
type limiters struct {
	cfg ThroughputLimits
	mu  sync.Mutex
	m   map[string]*shardLimiter
}

type shardLimiter struct {
	writeBytes, writeRecords, readBytes, readCalls *rate.Limiter
}

func newLimiters(cfg ThroughputLimits) *limiters {
	return &limiters{cfg: cfg, m: map[string]*shardLimiter{}}
}

func (l *limiters) get(streamID string, shard int) *shardLimiter {
	key := streamID + "/" + strconv.Itoa(shard)
	l.mu.Lock()
	defer l.mu.Unlock()
	sl := l.m[key]
	if sl == nil {
		sl = &shardLimiter{
			writeBytes:   rate.NewLimiter(rate.Limit(l.cfg.WriteBytesPerSec), l.cfg.WriteBytesPerSec),
			writeRecords: rate.NewLimiter(rate.Limit(l.cfg.WriteRecordsPerSec), l.cfg.WriteRecordsPerSec),
			readBytes:    rate.NewLimiter(rate.Limit(l.cfg.ReadBytesPerSec), l.cfg.ReadBytesPerSec),
			readCalls:    rate.NewLimiter(rate.Limit(l.cfg.ReadCallsPerSec), l.cfg.ReadCallsPerSec),
		}
		l.m[key] = sl
	}
	return sl
}

// allowWrite reports whether a record of n bytes may be written now, and
// takes its tokens if so.
func (l *limiters) allowWrite(streamID string, shard, n int, now time.Time) bool {
	if !l.cfg.Enabled {
		return true
	}
	sl := l.get(streamID, shard)
	if !sl.writeRecords.AllowN(now, 1) {
		return false
	}
	if !sl.writeBytes.AllowN(now, n) {
		sl.writeRecords.ReserveN(now, -1) // give the record token back
		return false
	}
	return true
}

// allowRead reports whether a GetRecords call may run now. Bytes read are
// charged afterwards with chargeRead, and a shard that is in debt refuses
// calls until it has paid it back, as Kinesis does.
func (l *limiters) allowRead(streamID string, shard int, now time.Time) bool {
	if !l.cfg.Enabled {
		return true
	}
	sl := l.get(streamID, shard)
	if sl.readBytes.TokensAt(now) < 0 {
		return false
	}
	return sl.readCalls.AllowN(now, 1)
}

func (l *limiters) chargeRead(streamID string, shard, n int, now time.Time) {
	if !l.cfg.Enabled || n == 0 {
		return
	}
	l.get(streamID, shard).readBytes.ReserveN(now, min(n, l.cfg.ReadBytesPerSec))
}

// forget drops the buckets of a deleted stream.
func (l *limiters) forget(streamID string) {
	prefix := streamID + "/"
	l.mu.Lock()
	defer l.mu.Unlock()
	for k := range l.m {
		if len(k) > len(prefix) && k[:len(prefix)] == prefix {
			delete(l.m, k)
		}
	}
}
