package streams

import "time"

// StreamStatus is the lifecycle state of a stream, as Kinesis reports it.
type StreamStatus string

const (
	StatusCreating StreamStatus = "CREATING"
	StatusActive   StreamStatus = "ACTIVE"
	StatusUpdating StreamStatus = "UPDATING"
	StatusDeleting StreamStatus = "DELETING"
)

// StreamMode is the capacity mode of a stream.
type StreamMode string

const (
	ModeProvisioned StreamMode = "PROVISIONED"
	ModeOnDemand    StreamMode = "ON_DEMAND"
)

// IteratorType selects where a shard iterator starts.
type IteratorType string

const (
	AtSequenceNumber    IteratorType = "AT_SEQUENCE_NUMBER"
	AfterSequenceNumber IteratorType = "AFTER_SEQUENCE_NUMBER"
	TrimHorizon         IteratorType = "TRIM_HORIZON"
	Latest              IteratorType = "LATEST"
	AtTimestamp         IteratorType = "AT_TIMESTAMP"
)

// Stream is a snapshot of a stream's metadata. It is a copy: changing it
// changes nothing in the core.
type Stream struct {
	Name      string
	ARN       string
	Status    StreamStatus
	Mode      StreamMode
	CreatedAt time.Time
	// RetentionHours is the retention period in (possibly scaled, see
	// Config.RetentionHour) hours.
	RetentionHours   int
	MaxRecordSizeKiB int
	// Shards lists every shard the stream still knows, open and closed, in
	// creation order. Closed shards disappear once their data has expired.
	Shards            []Shard
	EncryptionType    string // "NONE" or "KMS"
	KeyID             string
	ShardLevelMetrics []string
	Tags              map[string]string
	Attributes        map[string]string
	Consumers         []Consumer
}

// OpenShards returns the shards that accept writes.
func (s Stream) OpenShards() []Shard {
	var open []Shard
	for _, sh := range s.Shards {
		if sh.Open() {
			open = append(open, sh)
		}
	}
	return open
}

// Shard describes one shard: its hash-key range, lineage and sequence range.
type Shard struct {
	ID               string // "shardId-000000000000"
	ParentID         string // empty for shards created with the stream
	AdjacentParentID string // set for the child of a merge
	StartingHashKey  HashKey
	EndingHashKey    HashKey
	// StartingSequenceNumber is the lowest sequence number the shard can hold.
	StartingSequenceNumber string
	// EndingSequenceNumber is empty while the shard is open; once closed it is
	// the sequence number of the last record written to it.
	EndingSequenceNumber string
	// CreatedAt and ClosedAt (zero while open) bound the shard's life.
	// Shards of streams created before these were recorded have a zero
	// CreatedAt.
	CreatedAt, ClosedAt time.Time
}

// Open reports whether the shard still accepts writes.
func (s Shard) Open() bool { return s.EndingSequenceNumber == "" }

// ChildShard names a shard created by splitting or merging a closed one.
type ChildShard struct {
	ShardID         string
	ParentShards    []string
	StartingHashKey HashKey
	EndingHashKey   HashKey
}

// Consumer is an enhanced fan-out consumer registered on a stream.
type Consumer struct {
	Name      string
	ARN       string
	Status    string // CREATING, ACTIVE, DELETING
	CreatedAt time.Time
	StreamARN string
}

// Record is a data record read from a shard.
type Record struct {
	SequenceNumber string
	ArrivalTime    time.Time // ApproximateArrivalTimestamp
	Data           []byte
	PartitionKey   string
	EncryptionType string // "NONE" or "KMS"; omitted on the wire when NONE
}

// PutEntry is one record to write.
type PutEntry struct {
	PartitionKey string
	// ExplicitHashKey, when not empty, is a decimal 128-bit hash key that
	// overrides MD5(PartitionKey) for shard selection.
	ExplicitHashKey string
	Data            []byte
}

// PutResult is the outcome of one PutEntry. Err is nil on success; otherwise
// it wraps ErrThroughputExceeded or ErrUnavailable (a per-record failure that
// the caller reports in PutRecords' result entries).
type PutResult struct {
	ShardID        string
	SequenceNumber string
	EncryptionType string // "NONE" or "KMS": the stream's setting when written
	Err            error
}

// GetRecordsResult is one page of records from a shard.
type GetRecordsResult struct {
	// Stream is the name of the stream the iterator belongs to.
	Stream  string
	Records []Record
	// NextIterator is empty when the shard is closed and fully read.
	NextIterator       string
	MillisBehindLatest int64
	// ChildShards is set when the end of a closed shard has been reached.
	ChildShards []ChildShard
}

// CreateOptions are the optional settings of CreateStream.
type CreateOptions struct {
	ShardCount       int        // required for PROVISIONED; ignored for ON_DEMAND
	Mode             StreamMode // default PROVISIONED
	MaxRecordSizeKiB int        // default 1024
	RetentionHours   int        // default Config.DefaultRetentionHours
	Tags             map[string]string
	// Attributes are free-form settings of the layer above (video stream
	// settings), stored and returned with the stream.
	Attributes map[string]string
}

// Limits reports account-level limits, as DescribeLimits does.
type Limits struct {
	ShardLimit               int
	OpenShardCount           int
	OnDemandStreamCount      int
	OnDemandStreamCountLimit int
}

// StartingPosition says where a SubscribeToShard stream begins.
type StartingPosition struct {
	Type           IteratorType // AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP
	SequenceNumber string
	Timestamp      time.Time
}

// ShardEvent is one push of a SubscribeToShard subscription.
type ShardEvent struct {
	Records                    []Record
	ContinuationSequenceNumber string
	MillisBehindLatest         int64
	// ChildShards is set on the last event of a closed shard.
	ChildShards []ChildShard
}
