package kds

import (
	"context"
	"strconv"
	"strings"

	"github.com/sluice-dev/sluice/streams"
)

// PutRecord, PutRecords.

const (
	maxDataBytes       = 10 << 20 // Data blob, model max
	maxPutRecords      = 500
	maxPutRecordsBytes = 10 << 20 // data and partition keys of one PutRecords
)

type putRecordInput struct {
	StreamName                *string `json:"StreamName"`
	Data                      []byte  `json:"Data"`
	PartitionKey              *string `json:"PartitionKey"`
	ExplicitHashKey           *string `json:"ExplicitHashKey"`
	SequenceNumberForOrdering *string `json:"SequenceNumberForOrdering"`
	StreamARN                 *string `json:"StreamARN"`
}

func (in *putRecordInput) validate(v *validator) {
	v.str("streamName", in.StreamName, streamNameRule)
	v.blob("data", in.Data, true, maxDataBytes)
	v.reqStr("partitionKey", in.PartitionKey, partitionKeyRule)
	v.str("explicitHashKey", in.ExplicitHashKey, hashKeyRule)
	v.str("sequenceNumberForOrdering", in.SequenceNumberForOrdering, seqNumberRule)
	v.str("streamARN", in.StreamARN, streamARNRule)
}

type putRecordOutput struct {
	ShardID        string `json:"ShardId"`
	SequenceNumber string `json:"SequenceNumber"`
	EncryptionType string `json:"EncryptionType,omitempty"`
}

// putRecord writes one record. SequenceNumberForOrdering is accepted and
// needs no action: the core already orders every write to a shard.
func (h *Handler) putRecord(ctx context.Context, in *putRecordInput) (putRecordOutput, error) {
	name, err := h.streamName(in.StreamName, in.StreamARN)
	if err != nil {
		return putRecordOutput{}, err
	}
	entry := streams.PutEntry{PartitionKey: *in.PartitionKey, ExplicitHashKey: deref(in.ExplicitHashKey), Data: in.Data}
	res, err := h.core.PutRecords(ctx, name, []streams.PutEntry{entry})
	if err != nil {
		return putRecordOutput{}, err
	}
	if res[0].Err != nil {
		return putRecordOutput{}, res[0].Err
	}
	h.m.written(name, 1, len(entry.Data)+len(entry.PartitionKey))
	return putRecordOutput{ShardID: res[0].ShardID, SequenceNumber: res[0].SequenceNumber, EncryptionType: encryptionOut(res[0].EncryptionType)}, nil
}

type putRecordsEntry struct {
	Data            []byte  `json:"Data"`
	ExplicitHashKey *string `json:"ExplicitHashKey"`
	PartitionKey    *string `json:"PartitionKey"`
}

type putRecordsInput struct {
	Records    []putRecordsEntry `json:"Records"`
	StreamName *string           `json:"StreamName"`
	StreamARN  *string           `json:"StreamARN"`
}

func (in *putRecordsInput) validate(v *validator) {
	if in.Records == nil {
		v.required("records", false)
	} else {
		v.listLen("records", len(in.Records), func() string { return entryList("PutRecordsRequestEntry", len(in.Records)) }, 1, maxPutRecords)
		for i, e := range in.Records {
			p := "records." + strconv.Itoa(i+1) + ".member."
			v.blob(p+"data", e.Data, true, maxDataBytes)
			v.str(p+"explicitHashKey", e.ExplicitHashKey, hashKeyRule)
			v.reqStr(p+"partitionKey", e.PartitionKey, partitionKeyRule)
		}
	}
	v.str("streamName", in.StreamName, streamNameRule)
	v.str("streamARN", in.StreamARN, streamARNRule)
}

// entryList prints a list of n structures in a validation message. AWS
// prints each element's Java identity; Sluice abbreviates.
func entryList(shape string, n int) string {
	shown := min(n, 3)
	parts := make([]string, shown)
	for i := range parts {
		parts[i] = shape
	}
	s := strings.Join(parts, ", ")
	if n > shown {
		s += ", ... (" + strconv.Itoa(n) + " entries)"
	}
	return "[" + s + "]"
}

type putRecordsResultEntry struct {
	SequenceNumber string `json:"SequenceNumber,omitempty"`
	ShardID        string `json:"ShardId,omitempty"`
	ErrorCode      string `json:"ErrorCode,omitempty"`
	ErrorMessage   string `json:"ErrorMessage,omitempty"`
}

type putRecordsOutput struct {
	FailedRecordCount int                     `json:"FailedRecordCount"`
	Records           []putRecordsResultEntry `json:"Records"`
	EncryptionType    string                  `json:"EncryptionType,omitempty"`
}

func (h *Handler) putRecords(ctx context.Context, in *putRecordsInput) (putRecordsOutput, error) {
	name, err := h.streamName(in.StreamName, in.StreamARN)
	if err != nil {
		return putRecordsOutput{}, err
	}
	entries := make([]streams.PutEntry, len(in.Records))
	size := 0
	for i, e := range in.Records {
		entries[i] = streams.PutEntry{PartitionKey: *e.PartitionKey, ExplicitHashKey: deref(e.ExplicitHashKey), Data: e.Data}
		size += len(e.Data) + len(*e.PartitionKey)
	}
	if size > maxPutRecordsBytes {
		return putRecordsOutput{}, newError(errInvalid, "Records size exceeds 10 MB limit")
	}
	res, err := h.core.PutRecords(ctx, name, entries)
	if err != nil {
		return putRecordsOutput{}, err
	}
	out := putRecordsOutput{Records: make([]putRecordsResultEntry, len(res))}
	written, bytes := 0, 0
	for i, r := range res {
		if r.Err != nil {
			out.FailedRecordCount++
			out.Records[i] = putRecordsResultEntry{ErrorCode: recordErrorCode(r.Err), ErrorMessage: r.Err.Error()}
			continue
		}
		out.Records[i] = putRecordsResultEntry{SequenceNumber: r.SequenceNumber, ShardID: r.ShardID}
		out.EncryptionType = encryptionOut(r.EncryptionType)
		written++
		bytes += len(entries[i].Data) + len(entries[i].PartitionKey)
	}
	h.m.written(name, written, bytes)
	return out, nil
}
