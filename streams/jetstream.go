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
		MaxMsgSize:  int32(max(m.MaxRecordSizeKiB*1024+recordOverhead, c.maxPayload()) + 1024),
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

// createShard creates a shard's JetStream stream, leaving it as it is if
// it exists (with this or another configuration). Idempotent, and safe for
// a node that runs a transition late: it cannot reopen a shard that a
// later reshard closed, nor undo a retention change.
func (c *Core) createShard(ctx context.Context, m *streamMeta, s shardMeta) error {
	_, err := c.js.CreateStream(ctx, c.shardConfig(m, s))
	if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return errf(ErrUnavailable, "creating %s of stream %s: %v", shardID(s.Index), m.Name, err)
	}
	return nil
}

// closeShard stops writes to a shard and sets its EndSeq. Idempotent.
//
// The shard's stream moves to the closed subject, so no new write reaches
// it. Writes already accepted may still sit in the stream's inbound queue
// and be stored (and acknowledged) after the change; so a barrier message
// is published to the closed subject: it goes through the same queue, and
// its sequence, minus one, is the last record of the shard. Readers skip
// barriers (a re-run leaves a second one, inside the range, skipped too).
func (c *Core) closeShard(ctx context.Context, m *streamMeta, s *shardMeta) error {
	closed := *s
	closed.Closed = true
	if _, err := c.js.CreateOrUpdateStream(ctx, c.shardConfig(m, closed)); err != nil {
		return errf(ErrUnavailable, "closing %s of stream %s: %v", shardID(s.Index), m.Name, err)
	}
	ack, err := c.js.Publish(ctx, c.jsClosedSubject(m.ID, s.Index), []byte{barrierByte})
	if err != nil {
		return errf(ErrUnavailable, "closing %s of stream %s: barrier: %v", shardID(s.Index), m.Name, err)
	}
	s.Closed = true
	s.EndSeq = ack.Sequence - 1
	s.EndSub = 0
	s.ClosedAt = c.cfg.Now()
	if s.EndSeq > 0 {
		st, err := c.js.Stream(ctx, c.jsStreamName(m.ID, s.Index))
		var msg *jetstream.RawStreamMsg
		if err == nil {
			msg, err = st.GetMsg(ctx, s.EndSeq)
		}
		if err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			return errf(ErrUnavailable, "closing %s of stream %s: reading its last message: %v", shardID(s.Index), m.Name, err)
		}
		if msg != nil {
			s.EndSub = max(countRecords(msg.Data)-1, 0)
		}
	}
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
