package kds

import (
	"context"

	"github.com/sluice-dev/sluice/streams"
)

// IncreaseStreamRetentionPeriod, DecreaseStreamRetentionPeriod,
// UpdateStreamMode, StartStreamEncryption, StopStreamEncryption,
// EnableEnhancedMonitoring, DisableEnhancedMonitoring.

type retentionInput struct {
	StreamName           *string `json:"StreamName"`
	RetentionPeriodHours *int    `json:"RetentionPeriodHours"`
	StreamARN            *string `json:"StreamARN"`
}

func (in *retentionInput) validate(v *validator) {
	v.str("streamName", in.StreamName, streamNameRule)
	v.required("retentionPeriodHours", in.RetentionPeriodHours != nil)
	v.str("streamARN", in.StreamARN, streamARNRule)
}

func (h *Handler) increaseRetention(ctx context.Context, in *retentionInput) (noOutput, error) {
	name, err := h.streamName(in.StreamName, in.StreamARN)
	if err != nil {
		return noOutput{}, err
	}
	return noOutput{}, h.core.IncreaseRetention(ctx, name, *in.RetentionPeriodHours)
}

func (h *Handler) decreaseRetention(ctx context.Context, in *retentionInput) (noOutput, error) {
	name, err := h.streamName(in.StreamName, in.StreamARN)
	if err != nil {
		return noOutput{}, err
	}
	return noOutput{}, h.core.DecreaseRetention(ctx, name, *in.RetentionPeriodHours)
}

type updateStreamModeInput struct {
	StreamARN           *string            `json:"StreamARN"`
	StreamModeDetails   *streamModeDetails `json:"StreamModeDetails"`
	WarmThroughputMiBps *int               `json:"WarmThroughputMiBps"`
}

func (in *updateStreamModeInput) validate(v *validator) {
	v.reqStr("streamARN", in.StreamARN, streamARNRule)
	if v.required("streamModeDetails", in.StreamModeDetails != nil) {
		v.reqStr("streamModeDetails.streamMode", in.StreamModeDetails.StreamMode, streamModeRule)
	}
	v.intRange("warmThroughputMiBps", in.WarmThroughputMiBps, bound(0), nil)
}

func (h *Handler) updateStreamMode(ctx context.Context, in *updateStreamModeInput) (noOutput, error) {
	name, err := h.nameFromARN(*in.StreamARN)
	if err != nil {
		return noOutput{}, err
	}
	return noOutput{}, h.core.UpdateStreamMode(ctx, name, streams.StreamMode(*in.StreamModeDetails.StreamMode))
}

type encryptionInput struct {
	StreamName     *string `json:"StreamName"`
	EncryptionType *string `json:"EncryptionType"`
	KeyID          *string `json:"KeyId"`
	StreamARN      *string `json:"StreamARN"`
}

func (in *encryptionInput) validate(v *validator) {
	v.str("streamName", in.StreamName, streamNameRule)
	v.reqStr("encryptionType", in.EncryptionType, encryptionRule)
	v.reqStr("keyId", in.KeyID, keyIDRule)
	v.str("streamARN", in.StreamARN, streamARNRule)
}

// startEncryption records KMS encryption (Sluice has no KMS: the setting is
// stored and reported, see streams.Core.SetEncryption).
func (h *Handler) startEncryption(ctx context.Context, in *encryptionInput) (noOutput, error) {
	name, err := h.streamName(in.StreamName, in.StreamARN)
	if err != nil {
		return noOutput{}, err
	}
	if *in.EncryptionType != "KMS" {
		return noOutput{}, newError(errInvalid, "EncryptionType %s is not valid for StartStreamEncryption; use KMS.", *in.EncryptionType)
	}
	return noOutput{}, h.core.SetEncryption(ctx, name, "KMS", *in.KeyID)
}

func (h *Handler) stopEncryption(ctx context.Context, in *encryptionInput) (noOutput, error) {
	name, err := h.streamName(in.StreamName, in.StreamARN)
	if err != nil {
		return noOutput{}, err
	}
	return noOutput{}, h.core.SetEncryption(ctx, name, "NONE", "")
}

type monitoringInput struct {
	StreamName        *string  `json:"StreamName"`
	ShardLevelMetrics []string `json:"ShardLevelMetrics"`
	StreamARN         *string  `json:"StreamARN"`
}

func (in *monitoringInput) validate(v *validator) {
	v.str("streamName", in.StreamName, streamNameRule)
	v.strList("shardLevelMetrics", in.ShardLevelMetrics, true, 1, 7, strRule{enum: metricsNames})
	v.str("streamARN", in.StreamARN, streamARNRule)
}

type monitoringOutput struct {
	StreamName               string   `json:"StreamName"`
	CurrentShardLevelMetrics []string `json:"CurrentShardLevelMetrics"`
	DesiredShardLevelMetrics []string `json:"DesiredShardLevelMetrics"`
	StreamARN                string   `json:"StreamARN"`
}

func (h *Handler) enableMonitoring(ctx context.Context, in *monitoringInput) (monitoringOutput, error) {
	return h.setMonitoring(ctx, in, true)
}

func (h *Handler) disableMonitoring(ctx context.Context, in *monitoringInput) (monitoringOutput, error) {
	return h.setMonitoring(ctx, in, false)
}

func (h *Handler) setMonitoring(ctx context.Context, in *monitoringInput, enable bool) (monitoringOutput, error) {
	name, err := h.streamName(in.StreamName, in.StreamARN)
	if err != nil {
		return monitoringOutput{}, err
	}
	cur, desired, err := h.core.SetShardLevelMetrics(ctx, name, in.ShardLevelMetrics, enable)
	if err != nil {
		return monitoringOutput{}, err
	}
	s, err := h.core.DescribeStream(ctx, name)
	if err != nil {
		return monitoringOutput{}, err
	}
	return monitoringOutput{StreamName: name, CurrentShardLevelMetrics: nonNil(cur), DesiredShardLevelMetrics: nonNil(desired), StreamARN: s.ARN}, nil
}
