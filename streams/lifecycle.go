package streams

import (
	"context"
	"strings"
	"time"
)

// CreateStream creates a stream in CREATING state; it becomes ACTIVE once its
// shards exist. ErrInUse if the name is taken, ErrLimitExceeded past the
// shard or on-demand stream limits, ErrValidation for a bad name.
func (c *Core) CreateStream(ctx context.Context, name string, opts CreateOptions) error {
	if !c.validName(name) {
		return errf(ErrValidation, "Stream name %q is not 1 to %d characters of [a-zA-Z0-9_.-] (other than \".\" and \"..\").", name, c.cfg.MaxNameLength)
	}
	mode := opts.Mode
	if mode == "" {
		mode = ModeProvisioned
	}
	n := opts.ShardCount
	switch mode {
	case ModeOnDemand:
		n = c.cfg.OnDemandShards
	case ModeProvisioned:
		if n < 1 {
			return errf(ErrValidation, "ShardCount must be at least 1 for a PROVISIONED stream.")
		}
	default:
		return errf(ErrValidation, "Unknown StreamMode %q.", mode)
	}
	recKiB := opts.MaxRecordSizeKiB
	if recKiB == 0 {
		recKiB = 1024
	}
	if recKiB < 1024 || recKiB > 10240 {
		return errf(ErrValidation, "MaxRecordSizeInKiB must be between 1024 and 10240, got %d.", recKiB)
	}
	retention := opts.RetentionHours
	if retention == 0 {
		retention = c.cfg.DefaultRetentionHours
	}
	if retention < c.cfg.MinRetentionHours || retention > c.cfg.MaxRetentionHours {
		return errf(ErrInvalidArgument, "Retention period must be %d to %d hours, got %d.", c.cfg.MinRetentionHours, c.cfg.MaxRetentionHours, retention)
	}
	for k := range opts.Tags {
		if strings.HasPrefix(k, "aws:") {
			return errf(ErrInvalidArgument, "Tag keys starting with 'aws:' are reserved for system use.")
		}
	}
	if len(opts.Tags) > 50 {
		return errf(ErrInvalidArgument, "Failed to create stream %s under account %s because a given stream cannot have more than 50 tags associated with it.", name, c.cfg.AccountID)
	}

	c.ctl.Lock()
	defer c.ctl.Unlock()
	if err := c.checkShardLimit(n, "create stream "+name); err != nil {
		return err
	}
	if mode == ModeOnDemand {
		if err := c.checkOnDemandLimit(); err != nil {
			return err
		}
	}
	now := c.cfg.Now().UTC()
	m := &streamMeta{
		Name:             name,
		ID:               newStreamID(),
		Status:           StatusCreating,
		Mode:             mode,
		CreatedAt:        now.Truncate(time.Millisecond), // KVS ARNs and media prefixes carry milliseconds
		RetentionHours:   retention,
		MaxRecordSizeKiB: recKiB,
		EncryptionType:   "NONE",
		Tags:             opts.Tags,
		Attributes:       opts.Attributes,
		NextShard:        n,
		Pending:          &pendingOp{Kind: opCreate},
		StatusSince:      now,
	}
	for i, r := range uniformRanges(n) {
		m.Shards = append(m.Shards, shardMeta{Index: i, Parent: -1, AdjacentParent: -1, Start: r[0], End: r[1], CreatedAt: now})
	}
	if _, err := c.store(ctx, m, 0); err != nil {
		if isKind(err, ErrInUse) {
			return errf(ErrInUse, "Stream %s under account %s already exists.", name, c.cfg.AccountID)
		}
		return err
	}
	c.startTransition(name, true)
	return nil
}

// DeleteStream moves an ACTIVE stream to DELETING and removes it and its
// data. With enforceConsumerDeletion false, a stream with registered
// consumers is ErrInUse.
func (c *Core) DeleteStream(ctx context.Context, name string, enforceConsumerDeletion bool) error {
	c.ctl.Lock()
	defer c.ctl.Unlock()
	cc, err := c.current(ctx, name)
	if err != nil {
		return err
	}
	m := cc.meta.clone()
	if m.Status == StatusDeleting {
		return notFound(c, name)
	}
	// As Kinesis Data Streams, a stream still being created can be deleted
	// (unless Config.RefuseDeleteCreating): the delete
	// replaces the pending create (whose commit then fails its
	// compare-and-set) and removes whatever shards it had made.
	if m.Status != StatusActive && (m.Status != StatusCreating || c.cfg.RefuseDeleteCreating) {
		return c.notActive(m)
	}
	if len(m.Consumers) > 0 && !enforceConsumerDeletion {
		return errf(ErrInUse, "Stream %s under account %s has registered consumers.", name, c.cfg.AccountID)
	}
	c.setTransition(m, StatusDeleting, &pendingOp{Kind: opDelete})
	if _, err := c.store(ctx, m, cc.rev); err != nil {
		return err
	}
	c.startTransition(name, true)
	return nil
}

// current returns the freshest known state of a stream, reading the bucket
// when the cache does not have it. ErrNotFound when it does not exist.
func (c *Core) current(ctx context.Context, name string) (*cached, error) {
	if cc := c.lookup(name); cc != nil {
		return cc, nil
	}
	cc, err := c.refresh(ctx, name)
	if err != nil {
		return nil, err
	}
	if cc == nil {
		return nil, notFound(c, name)
	}
	return cc, nil
}

// active returns a stream that must be ACTIVE for a control-plane change.
func (c *Core) active(ctx context.Context, name string) (*cached, error) {
	cc, err := c.current(ctx, name)
	if err != nil {
		return nil, err
	}
	if cc.meta.Status == StatusDeleting {
		return nil, notFound(c, name)
	}
	if cc.meta.Status != StatusActive {
		return nil, c.notActive(cc.meta)
	}
	return cc, nil
}

func (c *Core) notActive(m *streamMeta) error {
	return errf(ErrInUse, "Stream %s under account %s not ACTIVE, instead in state %s", m.Name, c.cfg.AccountID, m.Status)
}

func (c *Core) setTransition(m *streamMeta, status StreamStatus, op *pendingOp) {
	m.Status = status
	m.Pending = op
	m.StatusSince = c.cfg.Now().UTC()
}

func (c *Core) checkShardLimit(add int, what string) error {
	open := 0
	c.mu.RLock()
	for _, cc := range c.cache {
		open += cc.meta.openShardCount()
	}
	c.mu.RUnlock()
	if open+add > c.cfg.MaxShards {
		return errf(ErrLimitExceeded, "This request would exceed the shard limit for the account %s in %s. Current shard count for the account: %d. Limit: %d. Number of additional shards that would have resulted from this request: %d (%s).",
			c.cfg.AccountID, c.cfg.Region, open, c.cfg.MaxShards, add, what)
	}
	return nil
}

func (c *Core) checkOnDemandLimit() error {
	n := 0
	c.mu.RLock()
	for _, cc := range c.cache {
		if cc.meta.Mode == ModeOnDemand {
			n++
		}
	}
	c.mu.RUnlock()
	if n >= c.cfg.MaxOnDemandStreams {
		return errf(ErrLimitExceeded, "This request would exceed the limit of %d ON_DEMAND streams for the account %s in %s.", c.cfg.MaxOnDemandStreams, c.cfg.AccountID, c.cfg.Region)
	}
	return nil
}

// execute runs one pending operation and commits it. done is false when the
// commit lost a race and the caller should look again.
func (c *Core) execute(m *streamMeta, rev uint64) (done bool, err error) {
	ctx := c.ctx
	op := m.Pending
	switch op.Kind {
	case opCreate:
		for _, s := range m.Shards {
			if err := c.createShard(ctx, m, s); err != nil {
				return false, err
			}
		}
	case opDelete:
		for _, s := range m.Shards {
			if err := c.dropShard(ctx, m, s.Index); err != nil {
				return false, err
			}
		}
		if err := c.remove(ctx, m.Name, rev); err != nil {
			if isKind(err, ErrInUse) {
				return false, nil // another node removed it first
			}
			return false, err
		}
		c.limits.forget(m.ID)
		c.log.Info("stream deleted", "stream", m.Name)
		return true, nil
	case opReshard:
		for _, st := range op.Steps {
			if err := c.applyStep(ctx, m, st); err != nil {
				return false, err
			}
		}
	case opMode:
		m.Mode = op.Mode
	case opEncryption:
		m.EncryptionType, m.KeyID = op.Enc, op.KeyID
	}
	m.Status = StatusActive
	m.Pending = nil
	m.StatusSince = c.cfg.Now().UTC()
	if _, err := c.store(ctx, m, rev); err != nil {
		if isKind(err, ErrInUse) {
			return false, nil
		}
		return false, err
	}
	c.log.Info("stream transition done", "stream", m.Name, "op", op.Kind)
	return true, nil
}
