package kds

import (
	"context"
)

// SplitShard, MergeShards, UpdateShardCount.

type splitShardInput struct {
	StreamName         *string `json:"StreamName"`
	ShardToSplit       *string `json:"ShardToSplit"`
	NewStartingHashKey *string `json:"NewStartingHashKey"`
	StreamARN          *string `json:"StreamARN"`
}

func (in *splitShardInput) validate(v *validator) {
	v.str("streamName", in.StreamName, streamNameRule)
	v.reqStr("shardToSplit", in.ShardToSplit, shardIDRule)
	v.reqStr("newStartingHashKey", in.NewStartingHashKey, hashKeyRule)
	v.str("streamARN", in.StreamARN, streamARNRule)
}

func (h *Handler) splitShard(ctx context.Context, in *splitShardInput) (noOutput, error) {
	name, err := h.streamName(in.StreamName, in.StreamARN)
	if err != nil {
		return noOutput{}, err
	}
	return noOutput{}, h.core.SplitShard(ctx, name, *in.ShardToSplit, *in.NewStartingHashKey)
}

type mergeShardsInput struct {
	StreamName           *string `json:"StreamName"`
	ShardToMerge         *string `json:"ShardToMerge"`
	AdjacentShardToMerge *string `json:"AdjacentShardToMerge"`
	StreamARN            *string `json:"StreamARN"`
}

func (in *mergeShardsInput) validate(v *validator) {
	v.str("streamName", in.StreamName, streamNameRule)
	v.reqStr("shardToMerge", in.ShardToMerge, shardIDRule)
	v.reqStr("adjacentShardToMerge", in.AdjacentShardToMerge, shardIDRule)
	v.str("streamARN", in.StreamARN, streamARNRule)
}

func (h *Handler) mergeShards(ctx context.Context, in *mergeShardsInput) (noOutput, error) {
	name, err := h.streamName(in.StreamName, in.StreamARN)
	if err != nil {
		return noOutput{}, err
	}
	return noOutput{}, h.core.MergeShards(ctx, name, *in.ShardToMerge, *in.AdjacentShardToMerge)
}

type updateShardCountInput struct {
	StreamName       *string `json:"StreamName"`
	TargetShardCount *int    `json:"TargetShardCount"`
	ScalingType      *string `json:"ScalingType"`
	StreamARN        *string `json:"StreamARN"`
}

func (in *updateShardCountInput) validate(v *validator) {
	v.str("streamName", in.StreamName, streamNameRule)
	if v.required("targetShardCount", in.TargetShardCount != nil) {
		v.intRange("targetShardCount", in.TargetShardCount, bound(1), nil)
	}
	v.reqStr("scalingType", in.ScalingType, scalingTypeRule)
	v.str("streamARN", in.StreamARN, streamARNRule)
}

type updateShardCountOutput struct {
	StreamName        string `json:"StreamName"`
	CurrentShardCount int    `json:"CurrentShardCount"`
	TargetShardCount  int    `json:"TargetShardCount"`
	StreamARN         string `json:"StreamARN"`
}

func (h *Handler) updateShardCount(ctx context.Context, in *updateShardCountInput) (updateShardCountOutput, error) {
	name, err := h.streamName(in.StreamName, in.StreamARN)
	if err != nil {
		return updateShardCountOutput{}, err
	}
	cur, err := h.core.UpdateShardCount(ctx, name, *in.TargetShardCount)
	if err != nil {
		return updateShardCountOutput{}, err
	}
	s, err := h.core.DescribeStream(ctx, name)
	if err != nil {
		return updateShardCountOutput{}, err
	}
	return updateShardCountOutput{StreamName: name, CurrentShardCount: cur, TargetShardCount: *in.TargetShardCount, StreamARN: s.ARN}, nil
}
