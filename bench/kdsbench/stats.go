package main

import (
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// sampler keeps a uniform reservoir of at most limit durations, plus the
// exact count and maximum. It is safe for concurrent use.
type sampler struct {
	mu    sync.Mutex
	limit int
	vals  []time.Duration
	n     int64
	max   time.Duration
	rng   *rand.Rand
}

func newSampler(limit int) *sampler {
	return &sampler{limit: limit, rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
}

func (s *sampler) add(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	if d > s.max {
		s.max = d
	}
	if len(s.vals) < s.limit {
		s.vals = append(s.vals, d)
		return
	}
	if i := s.rng.Int64N(s.n); i < int64(s.limit) {
		s.vals[i] = d
	}
}

// summary is a latency distribution in milliseconds.
type summary struct {
	N    int64   `json:"n"`
	P50  float64 `json:"p50_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

// summary computes nearest-rank percentiles over the reservoir.
func (s *sampler) summary() summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.vals) == 0 {
		return summary{}
	}
	v := slices.Clone(s.vals)
	slices.Sort(v)
	var sum time.Duration
	for _, d := range v {
		sum += d
	}
	return summary{
		N:    s.n,
		P50:  ms(percentile(v, 0.50)),
		P99:  ms(percentile(v, 0.99)),
		Max:  ms(s.max),
		Mean: ms(sum / time.Duration(len(v))),
	}
}

// percentile returns the nearest-rank q-quantile of sorted v (non-empty).
func percentile(v []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(v))+0.999999) - 1
	return v[max(0, min(i, len(v)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// counts is a concurrency-safe tally of strings (error codes).
type counts struct {
	mu sync.Mutex
	m  map[string]int64
}

func (c *counts) add(key string, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]int64{}
	}
	c.m[key] += n
}

func (c *counts) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) == 0 {
		return nil
	}
	out := make(map[string]int64, len(c.m))
	for k, v := range c.m {
		out[k] = v
	}
	return out
}
