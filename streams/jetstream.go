package streams

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// retention converts a stream's retention hours to a JetStream MaxAge.
func (c *Core) retention(hours int) time.Duration {
	return time.Duration(hours) * c.cfg.RetentionHour
}

// shardConfig is the JetStream stream configuration of one shard.
func (c *Core) shardConfig(m *streamMeta, s shardMeta) jetstream.StreamConfig {
	storage := jetstream.FileStorage
	if c.cfg.MemoryStorage {
		storage = jetstream.MemoryStorage
	}
	subject := c.jsSubject(m.ID, s.Index)
	if s.Closed {
		subject = c.jsClosedSubject(m.ID, s.Index)
	}
	return jetstream.StreamConfig{
		Name:        c.jsStreamName(m.ID, s.Index),
		Description: "Sluice stream " + m.Name + " " + shardID(s.Index),
		Subjects:    []string{subject},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      c.retention(m.RetentionHours),
		Storage:     storage,
		Replicas:    c.cfg.Replicas,
		MaxMsgSize:  int32(m.MaxRecordSizeKiB*1024 + envelopeOverhead + 256),
		Duplicates:  min(time.Second, c.retention(m.RetentionHours)), // no message IDs are used: keep it small
		AllowDirect: true,
	}
}

// ensureShard creates or updates a shard's JetStream stream. Idempotent.
func (c *Core) ensureShard(ctx context.Context, m *streamMeta, s shardMeta) error {
	if _, err := c.js.CreateOrUpdateStream(ctx, c.shardConfig(m, s)); err != nil {
		return errf(ErrUnavailable, "creating %s of stream %s: %v", shardID(s.Index), m.Name, err)
	}
	return nil
}

// closeShard stops writes to a shard (its stream moves to the closed
// subject) and returns its last sequence. Idempotent.
func (c *Core) closeShard(ctx context.Context, m *streamMeta, s *shardMeta) error {
	closed := *s
	closed.Closed = true
	st, err := c.js.CreateOrUpdateStream(ctx, c.shardConfig(m, closed))
	if err != nil {
		return errf(ErrUnavailable, "closing %s of stream %s: %v", shardID(s.Index), m.Name, err)
	}
	// Re-read the state after the subject change so that every write the
	// stream accepted before it is counted.
	info, err := st.Info(ctx)
	if err != nil {
		return errf(ErrUnavailable, "closing %s of stream %s: %v", shardID(s.Index), m.Name, err)
	}
	s.Closed = true
	s.EndSeq = info.State.LastSeq
	s.ClosedAt = c.cfg.Now()
	return nil
}

// dropShard deletes a shard's JetStream stream and its data. Idempotent.
func (c *Core) dropShard(ctx context.Context, m *streamMeta, index int) error {
	err := c.js.DeleteStream(ctx, c.jsStreamName(m.ID, index))
	if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return errf(ErrUnavailable, "deleting %s of stream %s: %v", shardID(index), m.Name, err)
	}
	return nil
}

// shardState returns the first and last sequence of a shard's stream.
func (c *Core) shardState(ctx context.Context, m *streamMeta, index int) (jetstream.StreamState, error) {
	st, err := c.js.Stream(ctx, c.jsStreamName(m.ID, index))
	if err != nil {
		return jetstream.StreamState{}, errf(ErrUnavailable, "reading %s of stream %s: %v", shardID(index), m.Name, err)
	}
	info := st.CachedInfo()
	return info.State, nil
}
