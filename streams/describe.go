package streams

import (
	"context"
	"maps"
	"slices"
	"sort"
)

// DescribeStream returns a snapshot of the stream. ErrNotFound if unknown.
func (c *Core) DescribeStream(ctx context.Context, name string) (Stream, error) {
	cc, err := c.current(ctx, name)
	if err != nil {
		return Stream{}, err
	}
	return c.snapshot(cc.meta), nil
}

// ListStreams returns every stream, sorted by name.
func (c *Core) ListStreams(ctx context.Context) ([]Stream, error) {
	c.mu.RLock()
	out := make([]Stream, 0, len(c.cache))
	for _, cc := range c.cache {
		out = append(out, c.snapshot(cc.meta))
	}
	c.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Limits reports the account-level limits and current usage.
func (c *Core) Limits(ctx context.Context) (Limits, error) {
	l := Limits{ShardLimit: c.cfg.MaxShards, OnDemandStreamCountLimit: c.cfg.MaxOnDemandStreams}
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, cc := range c.cache {
		l.OpenShardCount += cc.meta.openShardCount()
		if cc.meta.Mode == ModeOnDemand {
			l.OnDemandStreamCount++
		}
	}
	return l, nil
}

func (c *Core) snapshot(m *streamMeta) Stream {
	s := Stream{
		Name:              m.Name,
		ARN:               c.streamARN(m),
		Status:            m.Status,
		Mode:              m.Mode,
		CreatedAt:         m.CreatedAt,
		RetentionHours:    m.RetentionHours,
		MaxRecordSizeKiB:  m.MaxRecordSizeKiB,
		EncryptionType:    m.EncryptionType,
		KeyID:             m.KeyID,
		ShardLevelMetrics: slices.Clone(m.Metrics),
		Tags:              maps.Clone(m.Tags),
		Attributes:        maps.Clone(m.Attributes),
	}
	if s.EncryptionType == "" {
		s.EncryptionType = "NONE"
	}
	for _, sh := range m.Shards {
		s.Shards = append(s.Shards, c.toShard(m, sh))
	}
	for _, cm := range m.Consumers {
		s.Consumers = append(s.Consumers, c.toConsumer(m, cm))
	}
	return s
}

func (c *Core) toShard(m *streamMeta, sh shardMeta) Shard {
	out := Shard{
		ID:                     shardID(sh.Index),
		StartingHashKey:        sh.Start,
		EndingHashKey:          sh.End,
		StartingSequenceNumber: c.seqNum(m.ID, sh.Index, pos{}),
		CreatedAt:              sh.CreatedAt,
		ClosedAt:               sh.ClosedAt,
	}
	if sh.Parent >= 0 {
		out.ParentID = shardID(sh.Parent)
	}
	if sh.AdjacentParent >= 0 {
		out.AdjacentParentID = shardID(sh.AdjacentParent)
	}
	if sh.Closed {
		out.EndingSequenceNumber = c.seqNum(m.ID, sh.Index, pos{sh.EndSeq, sh.EndSub})
	}
	return out
}

func childShards(m *streamMeta, index int) []ChildShard {
	var out []ChildShard
	for _, ch := range m.children(index) {
		cs := ChildShard{ShardID: shardID(ch.Index), StartingHashKey: ch.Start, EndingHashKey: ch.End}
		cs.ParentShards = append(cs.ParentShards, shardID(ch.Parent))
		if ch.AdjacentParent >= 0 {
			cs.ParentShards = append(cs.ParentShards, shardID(ch.AdjacentParent))
		}
		out = append(out, cs)
	}
	return out
}
