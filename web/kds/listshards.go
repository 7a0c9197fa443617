package kds

import (
	"context"
	"slices"
	"time"

	"github.com/sluice-dev/sluice/streams"
)

// listShardsLimit is how many shards ListShards returns at most (and by
// default), as Kinesis documents.
const listShardsLimit = 1000

type shardFilter struct {
	Type      *string    `json:"Type"`
	ShardID   *string    `json:"ShardId"`
	Timestamp *epochTime `json:"Timestamp"`
}

type listShardsInput struct {
	StreamName              *string      `json:"StreamName"`
	NextToken               *string      `json:"NextToken"`
	ExclusiveStartShardID   *string      `json:"ExclusiveStartShardId"`
	MaxResults              *int         `json:"MaxResults"`
	StreamCreationTimestamp *epochTime   `json:"StreamCreationTimestamp"`
	ShardFilter             *shardFilter `json:"ShardFilter"`
	StreamARN               *string      `json:"StreamARN"`
}

func (in *listShardsInput) validate(v *validator) {
	v.str("streamName", in.StreamName, streamNameRule)
	v.str("nextToken", in.NextToken, nextTokenRule)
	v.str("exclusiveStartShardId", in.ExclusiveStartShardID, shardIDRule)
	v.intRange("maxResults", in.MaxResults, bound(1), bound(10000))
	if f := in.ShardFilter; f != nil {
		v.reqStr("shardFilter.type", f.Type, shardFilterRule)
		v.str("shardFilter.shardId", f.ShardID, shardIDRule)
	}
	v.str("streamARN", in.StreamARN, streamARNRule)
}

type listShardsOutput struct {
	Shards    []shardOut `json:"Shards"`
	NextToken *string    `json:"NextToken,omitempty"`
}

func (h *Handler) listShards(ctx context.Context, in *listShardsInput) (listShardsOutput, error) {
	t, explicit, err := h.listShardsPosition(ctx, in)
	if err != nil {
		return listShardsOutput{}, err
	}
	s, err := h.core.DescribeStream(ctx, t.Stream)
	if err != nil {
		return listShardsOutput{}, err
	}
	if explicit && t.Created != 0 && t.Created/1000 != s.CreatedAt.Unix() || !explicit && t.Created != s.CreatedAt.UnixMilli() {
		return listShardsOutput{}, newError(errNotFound, "Stream %s under account %s not found.", t.Stream, accountOf(s.ARN))
	}
	t.Created = s.CreatedAt.UnixMilli()

	limit := min(deref(in.MaxResults), listShardsLimit)
	if limit == 0 {
		limit = listShardsLimit
	}
	var page []streams.Shard
	more := false
	for _, sh := range h.filterShards(s, t) {
		if sh.ID <= t.After {
			continue
		}
		if len(page) == limit {
			more = true
			break
		}
		page = append(page, sh)
	}
	out := listShardsOutput{Shards: toShardsOut(page)}
	if more {
		t.After = page[len(page)-1].ID
		out.NextToken = h.encodeToken(ctx, t)
	}
	return out, nil
}

// listShardsPosition returns what to list, from a NextToken or from the
// request; explicit is false for a token.
func (h *Handler) listShardsPosition(ctx context.Context, in *listShardsInput) (t pageToken, explicit bool, err error) {
	if in.NextToken != nil {
		if in.StreamName != nil || in.StreamARN != nil {
			return t, false, newError(errInvalid, "NextToken and StreamName cannot be provided together.")
		}
		if in.ExclusiveStartShardID != nil || in.StreamCreationTimestamp != nil || in.ShardFilter != nil {
			return t, false, newError(errInvalid, "NextToken cannot be provided together with ExclusiveStartShardId, StreamCreationTimestamp or ShardFilter.")
		}
		t, err = h.decodeToken(ctx, *in.NextToken)
		return t, false, err
	}
	if in.StreamName == nil && in.StreamARN == nil {
		return t, true, newError(errInvalid, "Either NextToken or StreamName should be provided.")
	}
	if t.Stream, err = h.streamName(in.StreamName, in.StreamARN); err != nil {
		return t, true, err
	}
	t.After = deref(in.ExclusiveStartShardID)
	if in.StreamCreationTimestamp != nil {
		t.Created = in.StreamCreationTimestamp.Time().UnixMilli()
	}
	if f := in.ShardFilter; f != nil {
		t.Filter = *f.Type
		switch t.Filter {
		case "AFTER_SHARD_ID":
			if f.ShardID == nil {
				return t, true, newError(errInvalid, "ShardFilter of type AFTER_SHARD_ID requires a ShardId.")
			}
			t.FShard = *f.ShardID
		case "AT_TIMESTAMP", "FROM_TIMESTAMP":
			if f.Timestamp == nil {
				return t, true, newError(errInvalid, "ShardFilter of type %s requires a Timestamp.", t.Filter)
			}
			t.FTime, t.HasTime = f.Timestamp.Time().UnixMilli(), true
		}
	}
	return t, true, nil
}

// filterShards applies a ShardFilter as AWS documents it, from the
// shards' open and close times:
//
//   - AFTER_SHARD_ID: the shards after that ID;
//   - AT_TRIM_HORIZON: those open at the trim horizon (now minus the
//     retention, or the stream's creation if later);
//   - FROM_TRIM_HORIZON: every retained shard;
//   - AT_LATEST: the open shards;
//   - AT_TIMESTAMP: those open at the time (opened at or before it, closed
//     at or after it, or still open); a time before the trim horizon is
//     taken as the trim horizon;
//   - FROM_TIMESTAMP: the open shards and those closed at or after the time
//     (corrected to the trim horizon, as AWS).
//
// Shards written by versions that did not record their times (zero
// CreatedAt) are answered from the lineage instead.
func (h *Handler) filterShards(s streams.Stream, t pageToken) []streams.Shard {
	now := h.cfg.Now()
	horizon := now.Add(-time.Duration(s.RetentionHours) * time.Hour)
	if horizon.Before(s.CreatedAt) {
		horizon = s.CreatedAt
	}
	at := time.UnixMilli(t.FTime)
	if at.Before(horizon) {
		at = horizon
	}
	timed := !slices.ContainsFunc(s.Shards, func(sh streams.Shard) bool { return sh.CreatedAt.IsZero() })
	switch t.Filter {
	case "AFTER_SHARD_ID":
		after, _ := streams.ShardIndex(t.FShard)
		var out []streams.Shard
		for _, sh := range s.Shards {
			if i, ok := streams.ShardIndex(sh.ID); ok && i > after {
				out = append(out, sh)
			}
		}
		return out
	case "AT_TRIM_HORIZON":
		if !timed {
			return oldestGeneration(s.Shards)
		}
		return openAt(s.Shards, horizon)
	case "AT_LATEST":
		return s.OpenShards()
	case "AT_TIMESTAMP":
		if !timed {
			return oldestGeneration(s.Shards)
		}
		return openAt(s.Shards, at)
	case "FROM_TIMESTAMP":
		var out []streams.Shard
		for _, sh := range s.Shards {
			if sh.Open() || !timed || !sh.ClosedAt.Before(at) {
				out = append(out, sh)
			}
		}
		return out
	}
	return s.Shards // FROM_TRIM_HORIZON, no filter
}

// openAt returns the shards open at t: opened at or before it and closed
// at or after it, or still open. When none had opened yet (t at the
// stream's creation, a little before its first shards were made), the
// first generation.
func openAt(all []streams.Shard, t time.Time) []streams.Shard {
	var out []streams.Shard
	for _, sh := range all {
		if !sh.CreatedAt.After(t) && (sh.Open() || !sh.ClosedAt.Before(t)) {
			out = append(out, sh)
		}
	}
	if len(out) == 0 {
		return oldestGeneration(all)
	}
	return out
}

// oldestGeneration returns the shards none of whose parents are still
// retained: the shards that were open at the trim horizon.
func oldestGeneration(all []streams.Shard) []streams.Shard {
	ids := make([]string, 0, len(all))
	for _, sh := range all {
		ids = append(ids, sh.ID)
	}
	var out []streams.Shard
	for _, sh := range all {
		if !slices.Contains(ids, sh.ParentID) && !slices.Contains(ids, sh.AdjacentParentID) {
			out = append(out, sh)
		}
	}
	return out
}
