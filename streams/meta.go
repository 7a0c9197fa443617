package streams

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
)

// metaVersion is the schema version of the stream metadata documents kept in
// the JetStream KV bucket. Readers refuse documents of a newer version.
const metaVersion = 1

// streamMeta is the persisted state of one stream: one JSON document per
// stream in the metadata bucket, updated by compare-and-set on its revision.
type streamMeta struct {
	Version          int               `json:"v"`
	Name             string            `json:"name"`
	ID               string            `json:"id"` // names the stream's JetStream streams; new per CreateStream
	Status           StreamStatus      `json:"status"`
	Mode             StreamMode        `json:"mode"`
	CreatedAt        time.Time         `json:"created"`
	RetentionHours   int               `json:"retention_hours"`
	MaxRecordSizeKiB int               `json:"max_record_kib"`
	EncryptionType   string            `json:"encryption,omitempty"`
	KeyID            string            `json:"key_id,omitempty"`
	Metrics          []string          `json:"metrics,omitempty"`
	Tags             map[string]string `json:"tags,omitempty"`
	Attributes       map[string]string `json:"attrs,omitempty"`
	Shards           []shardMeta       `json:"shards"`
	NextShard        int               `json:"next_shard"`
	Consumers        []consumerMeta    `json:"consumers,omitempty"`
	// ModeChanges are the times of the UpdateStreamMode calls of the last
	// 24 hours (AWS allows two).
	ModeChanges []time.Time `json:"mode_changes,omitempty"`
	// Pending is the operation that a transitional status is carrying out.
	// It is recorded before any JetStream change so that any node can finish
	// it after a crash; every step of it is idempotent.
	Pending     *pendingOp `json:"pending,omitempty"`
	StatusSince time.Time  `json:"status_since"`
}

type shardMeta struct {
	Index          int       `json:"i"`
	Parent         int       `json:"parent"`          // -1: none
	AdjacentParent int       `json:"adjacent_parent"` // -1: none
	Start          HashKey   `json:"start"`
	End            HashKey   `json:"end"`
	Closed         bool      `json:"closed,omitempty"`
	EndSeq         uint64    `json:"end_seq,omitempty"` // last JetStream sequence, once closed
	EndSub         int       `json:"end_sub,omitempty"` // index of the last record in that message
	ClosedAt       time.Time `json:"closed_at,omitzero"`
	CreatedAt      time.Time `json:"created_at,omitzero"`
}

type consumerMeta struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created"`
	Status    string    `json:"status"`
	// ActiveAt is when a CREATING consumer becomes ACTIVE: its status is
	// derived from it (status), so that no node has to be alive to
	// activate it. Zero in records of older versions, whose Status holds.
	ActiveAt time.Time `json:"active_at,omitzero"`
}

// pendingOp kinds.
const (
	opCreate     = "create"
	opDelete     = "delete"
	opReshard    = "reshard"    // Steps: splits and merges, in order
	opMode       = "mode"       // Mode
	opEncryption = "encryption" // EncryptionType, KeyID
)

type pendingOp struct {
	Kind  string        `json:"kind"`
	Steps []reshardStep `json:"steps,omitempty"`
	Mode  StreamMode    `json:"mode,omitempty"`
	Enc   string        `json:"enc,omitempty"`
	KeyID string        `json:"key_id,omitempty"`
}

// reshardStep is one split (Merge false: shard A split at At) or merge
// (Merge true: shards A and B, adjacent, A below B).
type reshardStep struct {
	Merge bool    `json:"merge,omitempty"`
	A     int     `json:"a"`
	B     int     `json:"b,omitempty"`
	At    HashKey `json:"at,omitzero"`
}

func metaKey(name string) string {
	return "stream." + base64.RawURLEncoding.EncodeToString([]byte(name))
}

func decodeMeta(b []byte) (*streamMeta, error) {
	var m streamMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("stream metadata: %w", err)
	}
	if m.Version > metaVersion {
		return nil, fmt.Errorf("stream metadata %q: schema version %d is newer than this build (%d)", m.Name, m.Version, metaVersion)
	}
	return &m, nil
}

func (m *streamMeta) encode() []byte {
	m.Version = metaVersion
	b, err := json.Marshal(m)
	if err != nil {
		panic(err) // only plain data types: cannot fail
	}
	return b
}

// clone returns a deep copy, so that a cached document is never mutated.
func (m *streamMeta) clone() *streamMeta {
	c := *m
	c.Shards = slices.Clone(m.Shards)
	c.Consumers = slices.Clone(m.Consumers)
	c.ModeChanges = slices.Clone(m.ModeChanges)
	c.Metrics = slices.Clone(m.Metrics)
	c.Tags = maps.Clone(m.Tags)
	c.Attributes = maps.Clone(m.Attributes)
	if m.Pending != nil {
		p := *m.Pending
		p.Steps = slices.Clone(p.Steps)
		c.Pending = &p
	}
	return &c
}

func (m *streamMeta) shard(index int) *shardMeta {
	for i := range m.Shards {
		if m.Shards[i].Index == index {
			return &m.Shards[i]
		}
	}
	return nil
}

func (m *streamMeta) openShardCount() int {
	n := 0
	for _, s := range m.Shards {
		if !s.Closed {
			n++
		}
	}
	return n
}

// children returns the shards created from the given one.
func (m *streamMeta) children(index int) []shardMeta {
	var out []shardMeta
	for _, s := range m.Shards {
		if s.Parent == index || s.AdjacentParent == index {
			out = append(out, s)
		}
	}
	return out
}
