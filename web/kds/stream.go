package kds

import (
	"context"

	"github.com/sluice-dev/sluice/streams"
)

// CreateStream, DeleteStream, DescribeStream, DescribeStreamSummary,
// DescribeLimits.

type createStreamInput struct {
	StreamName          *string            `json:"StreamName"`
	ShardCount          *int               `json:"ShardCount"`
	StreamModeDetails   *streamModeDetails `json:"StreamModeDetails"`
	Tags                map[string]string  `json:"Tags"`
	WarmThroughputMiBps *int               `json:"WarmThroughputMiBps"`
	MaxRecordSizeInKiB  *int               `json:"MaxRecordSizeInKiB"`
}

func (in *createStreamInput) validate(v *validator) {
	v.reqStr("streamName", in.StreamName, streamNameRule)
	v.intRange("shardCount", in.ShardCount, bound(1), nil)
	if in.StreamModeDetails != nil {
		v.reqStr("streamModeDetails.streamMode", in.StreamModeDetails.StreamMode, streamModeRule)
	}
	v.tagMap("tags", in.Tags, false)
	v.intRange("warmThroughputMiBps", in.WarmThroughputMiBps, bound(0), nil)
	v.intRange("maxRecordSizeInKiB", in.MaxRecordSizeInKiB, bound(1024), bound(10240))
}

func (h *Handler) createStream(ctx context.Context, in *createStreamInput) (noOutput, error) {
	opts := streams.CreateOptions{
		ShardCount:       deref(in.ShardCount),
		MaxRecordSizeKiB: deref(in.MaxRecordSizeInKiB),
		Tags:             in.Tags,
	}
	if in.StreamModeDetails != nil {
		opts.Mode = streams.StreamMode(*in.StreamModeDetails.StreamMode)
	}
	if err := checkTagChars(in.Tags, nil); err != nil {
		return noOutput{}, err
	}
	return noOutput{}, h.core.CreateStream(ctx, *in.StreamName, opts)
}

type deleteStreamInput struct {
	StreamName              *string `json:"StreamName"`
	StreamARN               *string `json:"StreamARN"`
	EnforceConsumerDeletion *bool   `json:"EnforceConsumerDeletion"`
}

func (in *deleteStreamInput) validate(v *validator) {
	v.required("streamName", in.StreamName != nil || in.StreamARN != nil) // as AWS: a ValidationException, before anything else
	v.str("streamName", in.StreamName, streamNameRule)
	v.str("streamARN", in.StreamARN, streamARNRule)
}

func (h *Handler) deleteStream(ctx context.Context, in *deleteStreamInput) (noOutput, error) {
	name, err := h.streamName(in.StreamName, in.StreamARN)
	if err != nil {
		return noOutput{}, err
	}
	if err := h.core.DeleteStream(ctx, name, deref(in.EnforceConsumerDeletion)); err != nil {
		return noOutput{}, err
	}
	h.m.forget(name)
	return noOutput{}, nil
}

// describeStreamLimit is how many shards DescribeStream returns at most
// (and by default), as Kinesis documents.
const describeStreamLimit = 100

type describeStreamInput struct {
	StreamName            *string `json:"StreamName"`
	StreamARN             *string `json:"StreamARN"`
	Limit                 *int    `json:"Limit"`
	ExclusiveStartShardID *string `json:"ExclusiveStartShardId"`
}

func (in *describeStreamInput) validate(v *validator) {
	v.required("streamName", in.StreamName != nil || in.StreamARN != nil) // as AWS: a ValidationException
	v.str("streamName", in.StreamName, streamNameRule)
	v.intRange("limit", in.Limit, bound(1), bound(10000))
	v.str("exclusiveStartShardId", in.ExclusiveStartShardID, shardIDRule)
	v.str("streamARN", in.StreamARN, streamARNRule)
}

type streamDescription struct {
	StreamName              string             `json:"StreamName"`
	StreamARN               string             `json:"StreamARN"`
	StreamStatus            string             `json:"StreamStatus"`
	StreamModeDetails       *streamModeDetails `json:"StreamModeDetails,omitempty"`
	Shards                  []shardOut         `json:"Shards"`
	HasMoreShards           bool               `json:"HasMoreShards"`
	RetentionPeriodHours    int                `json:"RetentionPeriodHours"`
	StreamCreationTimestamp epochTime          `json:"StreamCreationTimestamp"`
	EnhancedMonitoring      []enhancedMetrics  `json:"EnhancedMonitoring"`
	EncryptionType          string             `json:"EncryptionType,omitempty"`
	KeyID                   string             `json:"KeyId,omitempty"`
}

type describeStreamOutput struct {
	StreamDescription streamDescription `json:"StreamDescription"`
}

func (h *Handler) describeStream(ctx context.Context, in *describeStreamInput) (describeStreamOutput, error) {
	name, err := h.streamName(in.StreamName, in.StreamARN)
	if err != nil {
		return describeStreamOutput{}, err
	}
	s, err := h.core.DescribeStream(ctx, name)
	if err != nil {
		return describeStreamOutput{}, err
	}
	limit := min(deref(in.Limit), describeStreamLimit)
	if limit == 0 {
		limit = describeStreamLimit
	}
	var shards []streams.Shard
	for _, sh := range s.Shards {
		if in.ExclusiveStartShardID == nil || sh.ID > *in.ExclusiveStartShardID {
			shards = append(shards, sh)
		}
	}
	more := len(shards) > limit
	if more {
		shards = shards[:limit]
	}
	return describeStreamOutput{StreamDescription: streamDescription{
		StreamName:              s.Name,
		StreamARN:               s.ARN,
		StreamStatus:            string(s.Status),
		StreamModeDetails:       modeDetails(s),
		Shards:                  toShardsOut(shards),
		HasMoreShards:           more,
		RetentionPeriodHours:    s.RetentionHours,
		StreamCreationTimestamp: epochTime(s.CreatedAt),
		EnhancedMonitoring:      enhancedMonitoring(s),
		EncryptionType:          s.EncryptionType,
		KeyID:                   s.KeyID,
	}}, nil
}

type describeStreamSummaryInput struct {
	StreamName *string `json:"StreamName"`
	StreamARN  *string `json:"StreamARN"`
}

func (in *describeStreamSummaryInput) validate(v *validator) {
	v.str("streamName", in.StreamName, streamNameRule)
	v.str("streamARN", in.StreamARN, streamARNRule)
}

type streamDescriptionSummary struct {
	StreamName              string             `json:"StreamName"`
	StreamARN               string             `json:"StreamARN"`
	StreamStatus            string             `json:"StreamStatus"`
	StreamModeDetails       *streamModeDetails `json:"StreamModeDetails,omitempty"`
	RetentionPeriodHours    int                `json:"RetentionPeriodHours"`
	StreamCreationTimestamp epochTime          `json:"StreamCreationTimestamp"`
	EnhancedMonitoring      []enhancedMetrics  `json:"EnhancedMonitoring"`
	EncryptionType          string             `json:"EncryptionType,omitempty"`
	KeyID                   string             `json:"KeyId,omitempty"`
	OpenShardCount          int                `json:"OpenShardCount"`
	ConsumerCount           int                `json:"ConsumerCount"`
	MaxRecordSizeInKiB      int                `json:"MaxRecordSizeInKiB,omitempty"`
}

type describeStreamSummaryOutput struct {
	StreamDescriptionSummary streamDescriptionSummary `json:"StreamDescriptionSummary"`
}

func (h *Handler) describeStreamSummary(ctx context.Context, in *describeStreamSummaryInput) (describeStreamSummaryOutput, error) {
	name, err := h.streamName(in.StreamName, in.StreamARN)
	if err != nil {
		return describeStreamSummaryOutput{}, err
	}
	s, err := h.core.DescribeStream(ctx, name)
	if err != nil {
		return describeStreamSummaryOutput{}, err
	}
	return describeStreamSummaryOutput{StreamDescriptionSummary: streamDescriptionSummary{
		StreamName:              s.Name,
		StreamARN:               s.ARN,
		StreamStatus:            string(s.Status),
		StreamModeDetails:       modeDetails(s),
		RetentionPeriodHours:    s.RetentionHours,
		StreamCreationTimestamp: epochTime(s.CreatedAt),
		EnhancedMonitoring:      enhancedMonitoring(s),
		EncryptionType:          s.EncryptionType,
		KeyID:                   s.KeyID,
		OpenShardCount:          len(s.OpenShards()),
		ConsumerCount:           len(s.Consumers),
		MaxRecordSizeInKiB:      s.MaxRecordSizeKiB,
	}}, nil
}

type describeLimitsInput struct{}

func (in *describeLimitsInput) validate(*validator) {}

type describeLimitsOutput struct {
	ShardLimit               int `json:"ShardLimit"`
	OpenShardCount           int `json:"OpenShardCount"`
	OnDemandStreamCount      int `json:"OnDemandStreamCount"`
	OnDemandStreamCountLimit int `json:"OnDemandStreamCountLimit"`
}

func (h *Handler) describeLimits(ctx context.Context, _ *describeLimitsInput) (describeLimitsOutput, error) {
	l, err := h.core.Limits(ctx)
	if err != nil {
		return describeLimitsOutput{}, err
	}
	return describeLimitsOutput{
		ShardLimit:               l.ShardLimit,
		OpenShardCount:           l.OpenShardCount,
		OnDemandStreamCount:      l.OnDemandStreamCount,
		OnDemandStreamCountLimit: l.OnDemandStreamCountLimit,
	}, nil
}
