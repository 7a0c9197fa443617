package streams

import (
	"context"
	"sort"
	"time"
)

// SplitShard closes shardID and creates two children split at
// newStartingHashKey: the lower child owns [start, new-1], the upper
// [new, end]. The stream is UPDATING until the children exist.
func (c *Core) SplitShard(ctx context.Context, name, shardID, newStartingHashKey string) error {
	if at, ok := ParseHashKey(newStartingHashKey); !ok || at.Cmp(HashKey{}.Inc()) <= 0 || at.Cmp(MaxHashKey) >= 0 {
		// Outside every shard's range: said before the lookup, as AWS.
		return errf(ErrInvalidArgument, "NewStartingHashKey %s used in SplitShard() on shard %s in stream %s under account %s is not both greater than one plus the shard's StartingHashKey and less than the shard's EndingHashKey.",
			newStartingHashKey, shardID, name, c.cfg.AccountID)
	}
	c.ctl.Lock()
	defer c.ctl.Unlock()
	cc, err := c.active(ctx, name)
	if err != nil {
		return err
	}
	m := cc.meta.clone()
	s, err := c.openShard(m, shardID)
	if err != nil {
		return err
	}
	at, ok := ParseHashKey(newStartingHashKey)
	if !ok || at.Cmp(s.Start.Inc()) <= 0 || at.Cmp(s.End) >= 0 {
		return errf(ErrInvalidArgument, "NewStartingHashKey %s used in SplitShard() on shard %s in stream %s under account %s is not both greater than one plus the shard's StartingHashKey %s and less than the shard's EndingHashKey %s.",
			newStartingHashKey, shardIDOf(s), name, c.cfg.AccountID, s.Start, s.End)
	}
	if err := c.checkShardLimit(1, "split shard"); err != nil {
		return err
	}
	return c.beginReshard(ctx, m, cc.rev, []reshardStep{{A: s.Index, At: at}})
}

// MergeShards closes two adjacent open shards and creates their merged child,
// whose ParentShardId is shardID and AdjacentParentShardId adjacentShardID.
func (c *Core) MergeShards(ctx context.Context, name, shardID, adjacentShardID string) error {
	if a, ok := ShardIndex(shardID); ok {
		if b, ok := ShardIndex(adjacentShardID); ok && a == b { // no shard is adjacent to itself: said before the lookup, as AWS
			return errf(ErrInvalidArgument, "Shards %s and %s in stream %s under account %s are not an adjacent pair of shards eligible for merging",
				shardIDOf(&shardMeta{Index: a}), shardIDOf(&shardMeta{Index: b}), name, c.cfg.AccountID)
		}
	}
	c.ctl.Lock()
	defer c.ctl.Unlock()
	cc, err := c.active(ctx, name)
	if err != nil {
		return err
	}
	m := cc.meta.clone()
	a, err := c.openShard(m, shardID)
	if err != nil {
		return err
	}
	b, err := c.openShard(m, adjacentShardID)
	if err != nil {
		return err
	}
	if a.End.Inc() != b.Start && b.End.Inc() != a.Start {
		return errf(ErrInvalidArgument, "Shards %s and %s in stream %s under account %s are not an adjacent pair of shards eligible for merging",
			shardIDOf(a), shardIDOf(b), name, c.cfg.AccountID)
	}
	return c.beginReshard(ctx, m, cc.rev, []reshardStep{{Merge: true, A: a.Index, B: b.Index}})
}

// UpdateShardCount rescales to target open shards with uniform hash-key
// ranges (UNIFORM_SCALING), by a sequence of splits and merges so that every
// child names its parents (which is why short-lived intermediate shards can
// appear, as in Kinesis). It returns the open shard count before the change.
// Like Kinesis, one call may at most double or halve the shard count.
func (c *Core) UpdateShardCount(ctx context.Context, name string, target int) (int, error) {
	c.ctl.Lock()
	defer c.ctl.Unlock()
	cc, err := c.active(ctx, name)
	if err != nil {
		return 0, err
	}
	m := cc.meta.clone()
	cur := m.openShardCount()
	if m.Mode == ModeOnDemand {
		return cur, errf(ErrValidation, "UpdateShardCount is not supported for stream %s under account %s because it is in ON_DEMAND mode.", name, c.cfg.AccountID)
	}
	if target < 1 {
		return cur, errf(ErrValidation, "TargetShardCount must be at least 1.")
	}
	if target > 2*cur || 2*target < cur {
		return cur, errf(ErrLimitExceeded, "UpdateShardCount can at most double or halve the open shard count of stream %s under account %s: current %d, target %d.", name, c.cfg.AccountID, cur, target)
	}
	if target > cur {
		if err := c.checkShardLimit(target-cur, "update shard count"); err != nil {
			return cur, err
		}
	}
	steps := planUniform(m, target)
	if len(steps) == 0 {
		return cur, nil
	}
	return cur, c.beginReshard(ctx, m, cc.rev, steps)
}

func (c *Core) beginReshard(ctx context.Context, m *streamMeta, rev uint64, steps []reshardStep) error {
	c.setTransition(m, StatusUpdating, &pendingOp{Kind: opReshard, Steps: steps})
	if _, err := c.store(ctx, m, rev); err != nil {
		return err
	}
	c.startTransition(m.Name, true)
	return nil
}

// openShard finds an open shard by id.
func (c *Core) openShard(m *streamMeta, id string) (*shardMeta, error) {
	idx, ok := ShardIndex(id)
	var s *shardMeta
	if ok {
		s = m.shard(idx)
	}
	if s == nil {
		return nil, errf(ErrNotFound, "Could not find shard %s in stream %s under account %s.", id, m.Name, c.cfg.AccountID)
	}
	if s.Closed {
		return nil, errf(ErrInvalidArgument, "Shard %s of stream %s under account %s has already been merged or split, and thus is not eligible for merging or splitting.", id, m.Name, c.cfg.AccountID)
	}
	return s, nil
}

func shardIDOf(s *shardMeta) string { return shardID(s.Index) }

// applyStep carries out one split or merge on JetStream and on m. Each
// JetStream change is idempotent, so a step can be run again after a crash.
func (c *Core) applyStep(ctx context.Context, m *streamMeta, st reshardStep) error {
	parents := []int{st.A}
	if st.Merge {
		parents = append(parents, st.B)
	}
	for _, idx := range parents {
		if err := c.closeShard(ctx, m, m.shard(idx)); err != nil {
			return err
		}
	}
	for _, child := range stepChildren(m, st, time.Time{}) {
		if err := c.createShard(ctx, m, child); err != nil {
			return err
		}
	}
	applyStepMeta(m, st, c.cfg.Now().UTC())
	return nil
}

// stepChildren returns the shards a step creates, numbered from m.NextShard
// and created at now.
func stepChildren(m *streamMeta, st reshardStep, now time.Time) []shardMeta {
	a := m.shard(st.A)
	if !st.Merge {
		return []shardMeta{
			{Index: m.NextShard, Parent: a.Index, AdjacentParent: -1, Start: a.Start, End: st.At.Dec(), CreatedAt: now},
			{Index: m.NextShard + 1, Parent: a.Index, AdjacentParent: -1, Start: st.At, End: a.End, CreatedAt: now},
		}
	}
	b := m.shard(st.B)
	start, end := a.Start, b.End
	if b.Start.Cmp(a.Start) < 0 {
		start, end = b.Start, a.End
	}
	return []shardMeta{{Index: m.NextShard, Parent: a.Index, AdjacentParent: b.Index, Start: start, End: end, CreatedAt: now}}
}

// applyStepMeta records a step in the metadata only: parents closed (their
// EndSeq as set by closeShard, if it ran), children appended.
func applyStepMeta(m *streamMeta, st reshardStep, now time.Time) {
	children := stepChildren(m, st, now)
	m.shard(st.A).Closed = true
	if st.Merge {
		m.shard(st.B).Closed = true
	}
	m.Shards = append(m.Shards, children...)
	m.NextShard += len(children)
}

// planUniform returns the splits and merges that turn m's open shards into
// target shards with the ranges CreateStream would give.
func planUniform(m *streamMeta, target int) []reshardStep {
	sim := m.clone()
	var steps []reshardStep
	ranges := uniformRanges(target)
	openSorted := func() []shardMeta {
		var open []shardMeta
		for _, s := range sim.Shards {
			if !s.Closed {
				open = append(open, s)
			}
		}
		sort.Slice(open, func(i, j int) bool { return open[i].Start.Cmp(open[j].Start) < 0 })
		return open
	}
	// Splits: make every target boundary a shard boundary.
	for _, r := range ranges[1:] {
		at := r[0]
		for _, s := range openSorted() {
			if s.Start.Cmp(at) < 0 && at.Cmp(s.End) <= 0 {
				st := reshardStep{A: s.Index, At: at}
				applyStepMeta(sim, st, time.Time{})
				steps = append(steps, st)
				break
			}
		}
	}
	// Merges: fold the shards inside each target range into one.
	for _, r := range ranges {
		for {
			var inside []shardMeta
			for _, s := range openSorted() {
				if s.Start.Cmp(r[0]) >= 0 && s.End.Cmp(r[1]) <= 0 {
					inside = append(inside, s)
				}
			}
			if len(inside) < 2 {
				break
			}
			st := reshardStep{Merge: true, A: inside[0].Index, B: inside[1].Index}
			applyStepMeta(sim, st, time.Time{})
			steps = append(steps, st)
		}
	}
	return steps
}
