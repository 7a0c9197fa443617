package main

import (
	"sync"
	"sync/atomic"
	"time"
)

// collector receives the records that consumers deliver during the delivery
// phase, keeps the first arrival of each latency sample, and tracks which
// shards' probes have arrived. It is safe for concurrent use.
type collector struct {
	marker uint64

	mu         sync.Mutex
	probeSeen  []bool
	probes     int
	sampleSeen []bool
	duplicates int64
	foreign    int64 // records without this run's delivery marker

	received atomic.Int64
	lat      *sampler
}

func newCollector(marker uint64, shards, samples int) *collector {
	return &collector{
		marker:     marker,
		probeSeen:  make([]bool, shards),
		sampleSeen: make([]bool, samples),
		lat:        newSampler(samples),
	}
}

// handle takes one delivered record, received at now.
func (c *collector) handle(data []byte, now time.Time) {
	h, ok := decodeHeader(data)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !ok || h.Marker != c.marker {
		c.foreign++
		return
	}
	switch h.Kind {
	case kindProbe:
		if int(h.Index) < len(c.probeSeen) && !c.probeSeen[h.Index] {
			c.probeSeen[h.Index] = true
			c.probes++
		}
	case kindLatency:
		if int(h.Index) >= len(c.sampleSeen) {
			c.foreign++
			return
		}
		if c.sampleSeen[h.Index] {
			c.duplicates++
			return
		}
		c.sampleSeen[h.Index] = true
		c.received.Add(1)
		c.lat.add(now.Sub(time.Unix(0, h.SentNs)))
	default:
		c.foreign++
	}
}

// probeArrived reports whether shard i's probe has been delivered.
func (c *collector) probeArrived(i int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.probeSeen[i]
}

// allProbes reports whether every shard's probe has been delivered.
func (c *collector) allProbes() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.probes == len(c.probeSeen)
}

// counts returns the duplicate and foreign record tallies.
func (c *collector) counts() (duplicates, foreign int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.duplicates, c.foreign
}
