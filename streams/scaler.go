package streams

import (
	"context"
	"math/big"
	"slices"
	"time"
)

// On-demand scaling: ON_DEMAND streams start at Config.OnDemandShards open
// shards and follow their traffic, as AWS's on-demand mode does (AWS
// documents that a shard whose writes stay above about half its limit is
// split). RunOnDemandScaler, on one node of the cluster at a time (the
// caller holds a lease), measures every open shard's writes over each
// window of Config.OnDemandWindow, from the usage all nodes report
// (usage.go), and:
//
//   - splits each shard whose writes were above half the per-shard limit
//     (bytes or records) for the whole window, at the middle of its hash
//     range, within the account's shard limit;
//   - merges two adjacent shards that were both below a tenth of the limit
//     for Config.OnDemandColdWindows windows in a row, never below the
//     starting count.
//
// One reshard per stream per window (the stream is UPDATING meanwhile),
// with real lineage: children name their parents, as after SplitShard and
// MergeShards.

// shardWrites is what was written to a shard: records and bytes.
type shardWrites [2]int64

// scalerState is what RunOnDemandScaler keeps between windows.
type scalerState struct {
	prev map[string]shardWrites // totals at the last window
	cold map[string]int         // windows in a row below the cold mark
}

// RunOnDemandScaler scales ON_DEMAND streams until ctx ends (see above).
func (c *Core) RunOnDemandScaler(ctx context.Context) {
	st := &scalerState{prev: c.limits.writeTotals(), cold: map[string]int{}}
	t := time.NewTicker(c.cfg.OnDemandWindow)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.ctx.Done():
			return
		case <-t.C:
			c.scaleOnce(ctx, st)
		}
	}
}

// scaleOnce evaluates one window.
func (c *Core) scaleOnce(ctx context.Context, st *scalerState) {
	now := c.limits.writeTotals()
	defer func() { st.prev = now }()
	lim := c.cfg.Limits // its rates have their defaults even when not Enabled
	secs := c.cfg.OnDemandWindow.Seconds()
	var names []string
	c.mu.RLock()
	for name, cc := range c.cache {
		if cc.meta.Mode == ModeOnDemand && cc.meta.Status == StatusActive {
			names = append(names, name)
		}
	}
	c.mu.RUnlock()
	slices.Sort(names)
	for _, name := range names {
		if err := c.scaleStream(ctx, name, st, now, lim, secs); err != nil && ctx.Err() == nil {
			c.log.Warn("on-demand scaling", "stream", name, "err", err)
		}
	}
}

func (c *Core) scaleStream(ctx context.Context, name string, st *scalerState, now map[string]shardWrites, lim ThroughputLimits, secs float64) error {
	c.ctl.Lock()
	defer c.ctl.Unlock()
	cc, err := c.active(ctx, name)
	if err != nil || cc.meta.Mode != ModeOnDemand {
		return nil // gone, resharding, or switched meanwhile: next window
	}
	m := cc.meta.clone()
	var open []*shardMeta
	for i := range m.Shards {
		if !m.Shards[i].Closed {
			open = append(open, &m.Shards[i])
		}
	}
	slices.SortFunc(open, func(a, b *shardMeta) int { return a.Start.Cmp(b.Start) })
	var hot []*shardMeta
	isCold := map[int]bool{}
	for _, sh := range open {
		key := limitKey(m.ID, sh.Index)
		before, seen := st.prev[key]
		if !seen && sh.CreatedAt.After(c.cfg.Now().Add(-c.cfg.OnDemandWindow)) {
			continue // not a whole window old: judged at the next one
		}
		w := now[key]
		records, bytes := float64(w[0]-before[0])/secs, float64(w[1]-before[1])/secs
		switch {
		case bytes > float64(lim.WriteBytesPerSec)/2 || records > float64(lim.WriteRecordsPerSec)/2:
			hot = append(hot, sh)
			st.cold[key] = 0
		case bytes < float64(lim.WriteBytesPerSec)/10 && records < float64(lim.WriteRecordsPerSec)/10:
			st.cold[key]++
		default:
			st.cold[key] = 0
		}
		isCold[sh.Index] = st.cold[key] >= c.cfg.OnDemandColdWindows
	}
	var steps []reshardStep
	if len(hot) > 0 {
		for _, sh := range hot {
			at := middle(sh.Start, sh.End)
			if at.Cmp(sh.Start.Inc()) <= 0 || at.Cmp(sh.End) >= 0 {
				continue // too narrow to split
			}
			if c.checkShardLimit(len(steps)+1, "split shard") != nil {
				c.log.Warn("on-demand scaling: the account shard limit stops a split", "stream", name, "shard", shardID(sh.Index), "limit", c.cfg.MaxShards)
				break
			}
			steps = append(steps, reshardStep{A: sh.Index, At: at})
		}
	} else {
		count := len(open)
		for i := 0; i+1 < len(open) && count > c.cfg.OnDemandShards; i++ {
			a, b := open[i], open[i+1]
			if isCold[a.Index] && isCold[b.Index] && a.End.Inc() == b.Start {
				steps = append(steps, reshardStep{Merge: true, A: a.Index, B: b.Index})
				count--
				i++ // disjoint pairs
			}
		}
	}
	if len(steps) == 0 {
		return nil
	}
	merges := 0
	for _, s := range steps {
		delete(st.cold, limitKey(m.ID, s.A))
		if s.Merge {
			delete(st.cold, limitKey(m.ID, s.B))
			merges++
		}
	}
	c.log.Info("on-demand scaling", "stream", name, "open_shards", len(open), "splits", len(steps)-merges, "merges", merges)
	return c.beginReshard(ctx, m, cc.rev, steps)
}

// middle is the hash key in the middle of [start, end]: the lower child
// of a split at it owns [start, middle-1], the upper [middle, end].
func middle(start, end HashKey) HashKey {
	n := new(big.Int).Add(start.big(), end.big())
	n.Add(n, big.NewInt(1))
	n.Rsh(n, 1)
	return hashKeyFromBig(n)
}
