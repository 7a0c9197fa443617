package kds

import (
	"context"
	"time"

	"github.com/sluice-dev/sluice/streams"
)

// GetShardIterator, GetRecords.

type getShardIteratorInput struct {
	StreamName             *string    `json:"StreamName"`
	ShardID                *string    `json:"ShardId"`
	ShardIteratorType      *string    `json:"ShardIteratorType"`
	StartingSequenceNumber *string    `json:"StartingSequenceNumber"`
	Timestamp              *epochTime `json:"Timestamp"`
	StreamARN              *string    `json:"StreamARN"`
}

func (in *getShardIteratorInput) validate(v *validator) {
	v.str("streamName", in.StreamName, streamNameRule)
	v.reqStr("shardId", in.ShardID, shardIDRule)
	v.reqStr("shardIteratorType", in.ShardIteratorType, iteratorTypeRule)
	v.str("startingSequenceNumber", in.StartingSequenceNumber, seqNumberRule)
	v.str("streamARN", in.StreamARN, streamARNRule)
}

type getShardIteratorOutput struct {
	ShardIterator string `json:"ShardIterator"`
}

func (h *Handler) getShardIterator(ctx context.Context, in *getShardIteratorInput) (getShardIteratorOutput, error) {
	name, err := h.streamName(in.StreamName, in.StreamARN)
	if err != nil {
		return getShardIteratorOutput{}, err
	}
	typ := streams.IteratorType(*in.ShardIteratorType)
	var ts time.Time
	if in.Timestamp != nil {
		ts = in.Timestamp.Time()
	}
	if err := h.checkStartingPosition(typ, in.StartingSequenceNumber, in.Timestamp); err != nil {
		return getShardIteratorOutput{}, err
	}
	it, err := h.core.GetShardIterator(ctx, name, *in.ShardID, typ, deref(in.StartingSequenceNumber), ts)
	if err != nil {
		return getShardIteratorOutput{}, err
	}
	return getShardIteratorOutput{ShardIterator: it}, nil
}

// checkStartingPosition applies Kinesis' rules on which iterator types
// take a sequence number or a timestamp (GetShardIterator and
// SubscribeToShard's StartingPosition).
func (h *Handler) checkStartingPosition(typ streams.IteratorType, seq *string, ts *epochTime) error {
	const both = "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified %s and %s StartingSequenceNumber."
	switch typ {
	case streams.AtSequenceNumber, streams.AfterSequenceNumber:
		if seq == nil {
			return newError(errInvalid, both, typ, "no")
		}
	case streams.TrimHorizon, streams.Latest:
		if seq != nil {
			return newError(errInvalid, both, typ, "also a")
		}
	case streams.AtTimestamp:
		if ts == nil {
			return newError(errInvalid, "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.")
		}
		now := h.cfg.Now()
		if at := ts.Time(); at.After(now) {
			return newError(errInvalid, "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: %d, currentTimestampInMillis: %d", at.UnixMilli(), now.UnixMilli())
		}
	}
	return nil
}

type getRecordsInput struct {
	ShardIterator *string `json:"ShardIterator"`
	Limit         *int    `json:"Limit"`
	StreamARN     *string `json:"StreamARN"`
}

func (in *getRecordsInput) validate(v *validator) {
	v.reqStr("shardIterator", in.ShardIterator, iteratorRule)
	v.intRange("limit", in.Limit, bound(1), bound(streams.MaxGetRecordsLimit))
	v.str("streamARN", in.StreamARN, streamARNRule)
}

type getRecordsOutput struct {
	Records            []recordOut     `json:"Records"`
	NextShardIterator  string          `json:"NextShardIterator,omitempty"`
	MillisBehindLatest int64           `json:"MillisBehindLatest"`
	ChildShards        []childShardOut `json:"ChildShards,omitempty"`
}

func (h *Handler) getRecords(ctx context.Context, in *getRecordsInput) (getRecordsOutput, error) {
	res, err := h.core.GetRecords(ctx, *in.ShardIterator, deref(in.Limit))
	if err != nil {
		return getRecordsOutput{}, err
	}
	records, n := toRecordsOut(res.Records)
	h.m.read(res.Stream, len(records), n)
	return getRecordsOutput{
		Records:            records,
		NextShardIterator:  res.NextIterator,
		MillisBehindLatest: res.MillisBehindLatest,
		ChildShards:        toChildShards(res.ChildShards),
	}, nil
}
