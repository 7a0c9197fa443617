package leases

import (
	"encoding/json"
	"fmt"
	"time"
)

// KV layout of the bucket (one JetStream stream, history 1, per-message TTL
// enabled):
//
//	lease.<key>  leaseRecord of the holder, TTL = holder's TTL
//	node.<name>  nodeRecord of a live node,  TTL = node's TTL
//
// Values are JSON with a version field; a reader refuses versions it does
// not know.
const (
	leasePrefix   = "lease."
	nodePrefix    = "node."
	recordVersion = 1
	// markerTTL is how long the server keeps the marker of a released or
	// expired key (the marker is what watchers see).
	markerTTL = time.Minute
)

// leaseRecord is the value of a held lease.
type leaseRecord struct {
	V        int    `json:"v"`
	Owner    string `json:"owner"`
	Instance string `json:"instance"` // the holding Table, unique per Open
	Claim    string `json:"claim"`    // unique per claim
	TTLMilli int64  `json:"ttl_ms"`
	// Since is the holder's clock at the claim (informational).
	Since time.Time `json:"since"`
}

// nodeRecord is the value of a node heartbeat.
type nodeRecord struct {
	V        int               `json:"v"`
	Instance string            `json:"instance"`
	Started  time.Time         `json:"started"`
	Meta     map[string]string `json:"meta,omitempty"`
}

func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain structs of strings, numbers and times
	}
	return b
}

func decodeLease(b []byte) (leaseRecord, error) {
	var r leaseRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("leases: lease record: %w", err)
	}
	if r.V != recordVersion {
		return r, fmt.Errorf("leases: lease record version %d, want %d", r.V, recordVersion)
	}
	return r, nil
}

func decodeNode(b []byte) (nodeRecord, error) {
	var r nodeRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("leases: node record: %w", err)
	}
	if r.V != recordVersion {
		return r, fmt.Errorf("leases: node record version %d, want %d", r.V, recordVersion)
	}
	return r, nil
}
