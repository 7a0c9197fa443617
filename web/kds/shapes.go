package kds

import (
	"slices"

	"github.com/sluice-dev/sluice/streams"
)

// Output shapes shared by several actions, converted from the core's types.

type streamModeDetails struct {
	StreamMode *string `json:"StreamMode"`
}

type hashKeyRange struct {
	StartingHashKey string `json:"StartingHashKey"`
	EndingHashKey   string `json:"EndingHashKey"`
}

type sequenceNumberRange struct {
	StartingSequenceNumber string `json:"StartingSequenceNumber"`
	EndingSequenceNumber   string `json:"EndingSequenceNumber,omitempty"`
}

type shardOut struct {
	ShardID               string              `json:"ShardId"`
	ParentShardID         string              `json:"ParentShardId,omitempty"`
	AdjacentParentShardID string              `json:"AdjacentParentShardId,omitempty"`
	HashKeyRange          hashKeyRange        `json:"HashKeyRange"`
	SequenceNumberRange   sequenceNumberRange `json:"SequenceNumberRange"`
}

func toShardOut(s streams.Shard) shardOut {
	return shardOut{
		ShardID:               s.ID,
		ParentShardID:         s.ParentID,
		AdjacentParentShardID: s.AdjacentParentID,
		HashKeyRange:          hashKeyRange{StartingHashKey: s.StartingHashKey.String(), EndingHashKey: s.EndingHashKey.String()},
		SequenceNumberRange:   sequenceNumberRange{StartingSequenceNumber: s.StartingSequenceNumber, EndingSequenceNumber: s.EndingSequenceNumber},
	}
}

func toShardsOut(list []streams.Shard) []shardOut {
	out := make([]shardOut, 0, len(list))
	for _, s := range list {
		out = append(out, toShardOut(s))
	}
	return out
}

type childShardOut struct {
	ShardID      string       `json:"ShardId"`
	ParentShards []string     `json:"ParentShards"`
	HashKeyRange hashKeyRange `json:"HashKeyRange"`
}

func toChildShards(list []streams.ChildShard) []childShardOut {
	if list == nil {
		return nil
	}
	out := make([]childShardOut, 0, len(list))
	for _, c := range list {
		out = append(out, childShardOut{
			ShardID:      c.ShardID,
			ParentShards: append([]string{}, c.ParentShards...),
			HashKeyRange: hashKeyRange{StartingHashKey: c.StartingHashKey.String(), EndingHashKey: c.EndingHashKey.String()},
		})
	}
	return out
}

type recordOut struct {
	SequenceNumber              string     `json:"SequenceNumber"`
	ApproximateArrivalTimestamp *epochTime `json:"ApproximateArrivalTimestamp,omitempty"`
	Data                        []byte     `json:"Data"`
	PartitionKey                string     `json:"PartitionKey"`
	EncryptionType              string     `json:"EncryptionType,omitempty"`
}

// toRecordsOut converts records and returns their byte count (data and
// partition keys).
func toRecordsOut(list []streams.Record) ([]recordOut, int) {
	out := make([]recordOut, 0, len(list))
	n := 0
	for _, r := range list {
		t := epochTime(r.ArrivalTime)
		data := r.Data
		if data == nil {
			data = []byte{}
		}
		out = append(out, recordOut{
			SequenceNumber:              r.SequenceNumber,
			ApproximateArrivalTimestamp: &t,
			Data:                        data,
			PartitionKey:                r.PartitionKey,
			EncryptionType:              encryptionOut(r.EncryptionType),
		})
		n += len(r.Data) + len(r.PartitionKey)
	}
	return out, n
}

// encryptionOut is an EncryptionType member of records and put results:
// omitted when NONE, as Kinesis does.
func encryptionOut(t string) string {
	if t == "NONE" {
		return ""
	}
	return t
}

type enhancedMetrics struct {
	ShardLevelMetrics []string `json:"ShardLevelMetrics"`
}

func enhancedMonitoring(s streams.Stream) []enhancedMetrics {
	return []enhancedMetrics{{ShardLevelMetrics: nonNil(slices.Clone(s.ShardLevelMetrics))}}
}

func modeDetails(s streams.Stream) *streamModeDetails {
	m := string(s.Mode)
	return &streamModeDetails{StreamMode: &m}
}

type consumerOut struct {
	ConsumerName              string    `json:"ConsumerName"`
	ConsumerARN               string    `json:"ConsumerARN"`
	ConsumerStatus            string    `json:"ConsumerStatus"`
	ConsumerCreationTimestamp epochTime `json:"ConsumerCreationTimestamp"`
}

type consumerDescription struct {
	ConsumerName              string    `json:"ConsumerName"`
	ConsumerARN               string    `json:"ConsumerARN"`
	ConsumerStatus            string    `json:"ConsumerStatus"`
	ConsumerCreationTimestamp epochTime `json:"ConsumerCreationTimestamp"`
	StreamARN                 string    `json:"StreamARN"`
}

func toConsumerOut(c streams.Consumer) consumerOut {
	return consumerOut{
		ConsumerName:              c.Name,
		ConsumerARN:               c.ARN,
		ConsumerStatus:            c.Status,
		ConsumerCreationTimestamp: epochTime(c.CreatedAt),
	}
}

type tagOut struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
