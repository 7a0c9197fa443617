package streams

import (
	"strconv"
	"strings"
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
	// used is what this node took since its last usage report, per shard
	// key (usage.go): write records, write bytes, read bytes, read calls.
	used map[string][4]int
	// written counts what was written to each shard, on every node (this
	// node's writes, and the others' from their usage reports), since this
	// node started: on-demand scaling (scaler.go) takes its rates from it.
	written map[string]shardWrites
}

type shardLimiter struct {
	writeBytes, writeRecords, readBytes, readCalls *rate.Limiter
}

func newLimiters(cfg ThroughputLimits) *limiters {
	return &limiters{cfg: cfg, m: map[string]*shardLimiter{}, used: map[string][4]int{}, written: map[string]shardWrites{}}
}

func limitKey(streamID string, shard int) string { return streamID + "/" + strconv.Itoa(shard) }

func (l *limiters) get(streamID string, shard int) *shardLimiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.getLocked(limitKey(streamID, shard))
}

func (l *limiters) getLocked(key string) *shardLimiter {
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
		l.note(limitKey(streamID, shard), [4]int{1, n, 0, 0}) // counted all the same (on-demand scaling)
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
	l.note(limitKey(streamID, shard), [4]int{1, n, 0, 0})
	return true
}

// note adds to this node's usage since its last report.
func (l *limiters) note(key string, u [4]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cur := l.used[key]
	for i := range u {
		cur[i] += u[i]
	}
	l.used[key] = cur
	if u[0] > 0 || u[1] > 0 {
		w := l.written[key]
		l.written[key] = shardWrites{w[0] + int64(u[0]), w[1] + int64(u[1])}
	}
}

// writeTotals returns a copy of what was written to each shard so far.
func (l *limiters) writeTotals() map[string]shardWrites {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]shardWrites, len(l.written))
	for k, w := range l.written {
		out[k] = w
	}
	return out
}

// takeUsage returns and resets this node's usage since the last call.
func (l *limiters) takeUsage() map[string][4]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.used) == 0 {
		return nil
	}
	u := l.used
	l.used = map[string][4]int{}
	return u
}

// chargeRemote takes what other nodes used from this node's buckets of
// the same shards, into debt if need be (each charge capped at a bucket's
// size, as a reservation cannot exceed it).
func (l *limiters) chargeRemote(usage map[string][4]int, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for key, u := range usage {
		if u[0] > 0 || u[1] > 0 {
			w := l.written[key]
			l.written[key] = shardWrites{w[0] + int64(u[0]), w[1] + int64(u[1])}
		}
		if !l.cfg.Enabled {
			continue
		}
		sl := l.getLocked(key)
		for i, lim := range []*rate.Limiter{sl.writeRecords, sl.writeBytes, sl.readBytes, sl.readCalls} {
			if u[i] > 0 {
				lim.ReserveN(now, min(u[i], lim.Burst()))
			}
		}
	}
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
	if !sl.readCalls.AllowN(now, 1) {
		return false
	}
	l.note(limitKey(streamID, shard), [4]int{0, 0, 0, 1})
	return true
}

func (l *limiters) chargeRead(streamID string, shard, n int, now time.Time) {
	if !l.cfg.Enabled || n == 0 {
		return
	}
	l.get(streamID, shard).readBytes.ReserveN(now, min(n, l.cfg.ReadBytesPerSec))
	l.note(limitKey(streamID, shard), [4]int{0, 0, n, 0})
}

// forget drops the buckets of a deleted stream.
func (l *limiters) forget(streamID string) {
	prefix := streamID + "/"
	l.mu.Lock()
	defer l.mu.Unlock()
	for k := range l.m {
		if len(k) > len(prefix) && k[:len(prefix)] == prefix {
			delete(l.m, k)
			delete(l.used, k)
		}
	}
	for k := range l.written {
		if strings.HasPrefix(k, prefix) {
			delete(l.written, k)
			delete(l.used, k)
		}
	}
}
