package streams

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Config configures a Core. The zero value is valid: every field documents
// its default.
type Config struct {
	// Namespace separates independent sets of streams on one JetStream
	// (data streams and video fragment indexes): it names the metadata
	// bucket, the shard streams and their subjects. Lower-case letters and
	// digits. Default "kds".
	Namespace string
	// MaxNameLength bounds stream names. Default 128.
	MaxNameLength int
	// Retention bounds in hours, and the retention of a new stream.
	// Defaults 24, 8760 and 24 (Kinesis Data Streams).
	MinRetentionHours, MaxRetentionHours, DefaultRetentionHours int

	// Region and AccountID appear in ARNs. Defaults "us-east-1" and
	// "000000000000".
	Region    string
	AccountID string

	// Replicas is the JetStream replica count of each shard and of the
	// metadata bucket. Default 1. Above 1 needs an external NATS cluster of
	// at least that many servers; an acknowledged write then survives the
	// loss of a minority of nodes.
	Replicas int

	// MemoryStorage keeps shards in memory instead of files (tests only:
	// nothing survives a restart).
	MemoryStorage bool

	// Limits, when Enabled, applies per-shard write and read limits as AWS
	// does (1 MiB/s or 1,000 records/s in; 2 MiB/s and 5 GetRecords calls/s
	// out), answered with ErrThroughputExceeded. Counted across the nodes
	// sharing the JetStream, approximately (see usage.go).
	Limits ThroughputLimits

	// Observe, when set, is called with the name of every stream the
	// core is asked about by name (read from its cache or its bucket),
	// not with the names a listing enumerates. A test hook: the
	// authorization fuzz test checks with it that a caller is never
	// served a stream outside its policy.
	Observe func(stream string)

	// MaxShards is the account's shard limit (DescribeLimits ShardLimit).
	// Default 1000.
	MaxShards int
	// OnDemandShards is the open shard count an ON_DEMAND stream starts
	// with, and the least that on-demand scaling merges it down to.
	// Default 4.
	OnDemandShards int
	// OnDemandWindow is the evaluation window of on-demand scaling
	// (RunOnDemandScaler). Default 5 minutes.
	OnDemandWindow time.Duration
	// OnDemandColdWindows is how many windows in a row two adjacent shards
	// of an ON_DEMAND stream must stay cold before they are merged.
	// Default 3.
	OnDemandColdWindows int
	// MaxOnDemandStreams is the on-demand stream limit. Default 50.
	MaxOnDemandStreams int

	// RefuseDeleteCreating: DeleteStream of a stream still CREATING is
	// refused (ResourceInUse), as Kinesis Video Streams does; Data
	// Streams deletes it.
	RefuseDeleteCreating bool

	// ShortSequenceNumbers writes the 37-digit sequence numbers of
	// earlier versions instead of AWS's 56 digits (both are always read):
	// the video index uses them, so that fragment numbers keep their form.
	ShortSequenceNumbers bool

	// IteratorTTL is how long a shard iterator stays valid. Default 5 minutes.
	IteratorTTL time.Duration
	// SubscriptionTTL is how long one SubscribeToShard call lasts. Default 5 minutes.
	SubscriptionTTL time.Duration

	// RetentionHour is how long one "hour" of retention lasts. Default
	// time.Hour. Tests shorten it to see retention act; never set it in
	// production.
	RetentionHour time.Duration
	// TransitionDelay holds each state transition (CREATING, UPDATING,
	// DELETING) for at least this long. Default 0. A test hook for observing
	// the transitional states.
	TransitionDelay time.Duration

	// AttemptTimeout bounds each attempt of a JetStream call that is
	// retried until the caller's context ends (creating the buckets at
	// Open, reading metadata for a transition). Default 5 seconds.
	AttemptTimeout time.Duration
	// TransitionTakeover is how long a node waits before it carries out a
	// pending transition that another node started (the starter usually
	// finishes first; if it stopped, this node does). Default 1 second.
	TransitionTakeover time.Duration
	// ClaimTTL is how long a SubscribeToShard claim outlives its last
	// renewal (the subscription renews it every third of it): the time
	// after which a pair is free again when its node died. Default 10
	// seconds; at least 1 second (the per-message TTL granularity).
	ClaimTTL time.Duration

	// Now returns the current time. Default time.Now. A test hook.
	Now func() time.Time
	// Logger receives operational logs. Default slog.Default().
	Logger *slog.Logger
}

// ThroughputLimits are the per-shard rate limits.
type ThroughputLimits struct {
	Enabled bool
	// Zero fields take the AWS values.
	WriteBytesPerSec   int // default 1 MiB
	WriteRecordsPerSec int // default 1000
	ReadBytesPerSec    int // default 2 MiB
	ReadCallsPerSec    int // default 5
}

const defaultNamespace = "kds"

func (c Config) withDefaults() Config {
	if c.Namespace == "" {
		c.Namespace = defaultNamespace
	}
	if c.MaxNameLength == 0 {
		c.MaxNameLength = 128
	}
	if c.MinRetentionHours == 0 {
		c.MinRetentionHours = 24
	}
	if c.MaxRetentionHours == 0 {
		c.MaxRetentionHours = 8760
	}
	if c.DefaultRetentionHours == 0 {
		c.DefaultRetentionHours = max(24, c.MinRetentionHours)
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.AccountID == "" {
		c.AccountID = "000000000000"
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.MaxShards == 0 {
		c.MaxShards = 1000
	}
	if c.OnDemandShards == 0 {
		c.OnDemandShards = 4
	}
	if c.OnDemandWindow == 0 {
		c.OnDemandWindow = 5 * time.Minute
	}
	if c.OnDemandColdWindows == 0 {
		c.OnDemandColdWindows = 3
	}
	if c.MaxOnDemandStreams == 0 {
		c.MaxOnDemandStreams = 50
	}
	if c.IteratorTTL == 0 {
		c.IteratorTTL = 5 * time.Minute
	}
	if c.SubscriptionTTL == 0 {
		c.SubscriptionTTL = 5 * time.Minute
	}
	if c.AttemptTimeout == 0 {
		c.AttemptTimeout = 5 * time.Second
	}
	if c.TransitionTakeover == 0 {
		c.TransitionTakeover = time.Second
	}
	if c.ClaimTTL == 0 {
		c.ClaimTTL = 10 * time.Second
	}
	if c.RetentionHour == 0 {
		c.RetentionHour = time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	l := &c.Limits
	if l.WriteBytesPerSec == 0 {
		l.WriteBytesPerSec = 1 << 20
	}
	if l.WriteRecordsPerSec == 0 {
		l.WriteRecordsPerSec = 1000
	}
	if l.ReadBytesPerSec == 0 {
		l.ReadBytesPerSec = 2 << 20
	}
	if l.ReadCallsPerSec == 0 {
		l.ReadCallsPerSec = 5
	}
	return c
}

// Validate reports every invalid field at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("streams: %s: %s", field, fmt.Sprintf(format, args...)))
	}
	if len(c.AccountID) != 0 && len(c.AccountID) != 12 {
		bad("AccountID", "must be 12 digits, got %q", c.AccountID)
	}
	for _, r := range c.AccountID {
		if r < '0' || r > '9' {
			bad("AccountID", "must be 12 digits, got %q", c.AccountID)
			break
		}
	}
	for _, r := range c.Namespace {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			bad("Namespace", "must be lower-case letters and digits, got %q", c.Namespace)
			break
		}
	}
	if c.MaxNameLength < 0 || c.MaxNameLength > 1024 {
		bad("MaxNameLength", "must be 1 to 1024, got %d", c.MaxNameLength)
	}
	if c.MinRetentionHours < 0 || c.MaxRetentionHours < 0 || c.DefaultRetentionHours < 0 ||
		(c.MaxRetentionHours > 0 && c.MinRetentionHours > c.MaxRetentionHours) {
		bad("RetentionHours", "need 0 <= min <= max, got min %d max %d", c.MinRetentionHours, c.MaxRetentionHours)
	}
	if c.Replicas < 0 || c.Replicas > 5 {
		bad("Replicas", "must be 1 to 5, got %d", c.Replicas)
	}
	if c.MaxShards < 0 {
		bad("MaxShards", "must not be negative")
	}
	if c.OnDemandWindow < 0 || c.OnDemandColdWindows < 0 {
		bad("OnDemandWindow", "must not be negative")
	}
	if c.OnDemandShards < 0 || c.OnDemandShards > 64 {
		bad("OnDemandShards", "must be 1 to 64, got %d", c.OnDemandShards)
	}
	if c.IteratorTTL < 0 || c.SubscriptionTTL < 0 || c.RetentionHour < 0 || c.TransitionDelay < 0 ||
		c.AttemptTimeout < 0 || c.TransitionTakeover < 0 {
		bad("durations", "must not be negative")
	}
	if c.ClaimTTL != 0 && c.ClaimTTL < time.Second {
		bad("ClaimTTL", "must be at least 1s, got %v", c.ClaimTTL)
	}
	l := c.Limits
	if l.WriteBytesPerSec < 0 || l.WriteRecordsPerSec < 0 || l.ReadBytesPerSec < 0 || l.ReadCallsPerSec < 0 {
		bad("Limits", "rates must not be negative")
	}
	return errors.Join(errs...)
}
