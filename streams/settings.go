package streams

import (
	"context"
	"slices"
	"strings"
	"time"
)

// maxTags is how many tags a stream may hold.
const maxTags = 50

// maxModeChanges is how many UpdateStreamMode calls AWS allows a stream in
// 24 hours.
const maxModeChanges = 2

// UpdateStreamMode switches between PROVISIONED and ON_DEMAND; the stream is
// UPDATING meanwhile. Switching keeps the current shards.
func (c *Core) UpdateStreamMode(ctx context.Context, name string, mode StreamMode) error {
	if mode != ModeProvisioned && mode != ModeOnDemand {
		return errf(ErrValidation, "Unknown StreamMode %q.", mode)
	}
	c.ctl.Lock()
	defer c.ctl.Unlock()
	cc, err := c.active(ctx, name)
	if err != nil {
		return err
	}
	m := cc.meta.clone()
	if m.Mode == mode {
		return errf(ErrInvalidArgument, "Stream %s under account %s is already in %s mode.", name, c.cfg.AccountID, mode)
	}
	if mode == ModeOnDemand {
		if err := c.checkOnDemandLimit(); err != nil {
			return err
		}
	}
	now := c.cfg.Now().UTC()
	m.ModeChanges = slices.DeleteFunc(m.ModeChanges, func(t time.Time) bool { return now.Sub(t) >= 24*time.Hour })
	if len(m.ModeChanges) >= maxModeChanges {
		return errf(ErrLimitExceeded, "The stream mode of stream %s under account %s can be updated at most %d times in 24 hours; the next update is allowed at %s.",
			name, c.cfg.AccountID, maxModeChanges, m.ModeChanges[0].Add(24*time.Hour).Format(time.RFC3339))
	}
	m.ModeChanges = append(m.ModeChanges, now)
	c.setTransition(m, StatusUpdating, &pendingOp{Kind: opMode, Mode: mode})
	if _, err := c.store(ctx, m, cc.rev); err != nil {
		return err
	}
	c.startTransition(name, true)
	return nil
}

// IncreaseRetention sets a longer retention (up to 8,760 hours);
// ErrInvalidArgument if hours is shorter than the current one.
func (c *Core) IncreaseRetention(ctx context.Context, name string, hours int) error {
	return c.setRetention(ctx, name, hours, true)
}

// DecreaseRetention sets a shorter retention (at least 24 hours); records
// older than the new retention are removed. ErrInvalidArgument if longer.
func (c *Core) DecreaseRetention(ctx context.Context, name string, hours int) error {
	return c.setRetention(ctx, name, hours, false)
}

func (c *Core) setRetention(ctx context.Context, name string, hours int, increase bool) error {
	// The bounds are checked before the stream is looked up, as AWS.
	switch lo, hi := c.cfg.MinRetentionHours, c.cfg.MaxRetentionHours; {
	case hours > hi:
		return errf(ErrInvalidArgument, "Maximum allowed retention period is %d hours. Requested retention period (%d hours) is too long.", hi, hours)
	case hours < lo:
		return errf(ErrInvalidArgument, "Minimum allowed retention period is %d hours. Requested retention period (%d hours) is too short.", lo, hours)
	}
	c.ctl.Lock()
	defer c.ctl.Unlock()
	cc, err := c.active(ctx, name)
	if err != nil {
		return err
	}
	m := cc.meta.clone()
	switch {
	case increase && hours < m.RetentionHours:
		return errf(ErrInvalidArgument, "Requested retention period (%d hours) for stream %s can not be shorter than existing retention period (%d hours). Use DecreaseRetentionPeriod API.", hours, name, m.RetentionHours)
	case !increase && hours > m.RetentionHours:
		return errf(ErrInvalidArgument, "Requested retention period (%d hours) for stream %s can not be longer than existing retention period (%d hours). Use IncreaseRetentionPeriod API.", hours, name, m.RetentionHours)
	}
	m.RetentionHours = hours
	for _, s := range m.Shards {
		if err := c.ensureShard(ctx, m, s); err != nil {
			return err
		}
	}
	_, err = c.store(ctx, m, cc.rev)
	return err
}

// AddTags adds or overwrites tags; a stream holds at most 50.
func (c *Core) AddTags(ctx context.Context, name string, tags map[string]string) error {
	for k := range tags {
		if strings.HasPrefix(k, "aws:") {
			return errf(ErrInvalidArgument, "Tag keys starting with 'aws:' are reserved for system use.")
		}
	}
	if len(tags) > maxTags { // more than a stream may hold: said before the stream is looked up, as AWS
		return errf(ErrInvalidArgument, "Failed to add tags to stream %s under account %s because a given stream cannot have more than %d tags associated with it.", name, c.cfg.AccountID, maxTags)
	}
	return c.update(ctx, name, func(m *streamMeta) error {
		if m.Tags == nil {
			m.Tags = map[string]string{}
		}
		for k, v := range tags {
			m.Tags[k] = v
		}
		if len(m.Tags) > maxTags {
			return errf(ErrInvalidArgument, "Failed to add tags to stream %s under account %s because a given stream cannot have more than %d tags associated with it.", name, c.cfg.AccountID, maxTags)
		}
		return nil
	})
}

// RemoveTags removes tags by key; missing keys are ignored.
func (c *Core) RemoveTags(ctx context.Context, name string, keys []string) error {
	return c.update(ctx, name, func(m *streamMeta) error {
		for _, k := range keys {
			delete(m.Tags, k)
		}
		return nil
	})
}

// SetEncryption records server-side encryption settings: typ "KMS" with a
// key id, or "NONE". The stream is UPDATING meanwhile. Records are not
// encrypted with a KMS (Sluice has none); the setting is stored and
// reported, and records written carry its EncryptionType.
func (c *Core) SetEncryption(ctx context.Context, name, typ, keyID string) error {
	if typ != "KMS" && typ != "NONE" {
		return errf(ErrValidation, "Unknown EncryptionType %q.", typ)
	}
	c.ctl.Lock()
	defer c.ctl.Unlock()
	cc, err := c.active(ctx, name)
	if err != nil {
		return err
	}
	m := cc.meta.clone()
	c.setTransition(m, StatusUpdating, &pendingOp{Kind: opEncryption, Enc: typ, KeyID: keyID})
	if typ == "NONE" {
		m.Pending.KeyID = ""
	}
	if _, err := c.store(ctx, m, cc.rev); err != nil {
		return err
	}
	c.startTransition(name, true)
	return nil
}

// ShardLevelMetricNames lists the metrics EnableEnhancedMonitoring accepts
// besides "ALL".
var ShardLevelMetricNames = []string{
	"IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords",
	"WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded",
	"IteratorAgeMilliseconds",
}

// SetShardLevelMetrics enables (or disables) the named metrics ("ALL" for
// all) and returns the sets before and after. The set is recorded and
// reported; Sluice's own metrics are always on at /metrics.
func (c *Core) SetShardLevelMetrics(ctx context.Context, name string, metrics []string, enable bool) (current, desired []string, err error) {
	var names []string
	for _, n := range metrics {
		if n == "ALL" {
			names = append(names, ShardLevelMetricNames...)
			continue
		}
		if !slices.Contains(ShardLevelMetricNames, n) {
			return nil, nil, errf(ErrValidation, "Unknown shard level metric %q.", n)
		}
		names = append(names, n)
	}
	err = c.update(ctx, name, func(m *streamMeta) error {
		current = slices.Clone(m.Metrics)
		set := slices.Clone(m.Metrics)
		for _, n := range names {
			i := slices.Index(set, n)
			switch {
			case enable && i < 0:
				set = append(set, n)
			case !enable && i >= 0:
				set = slices.Delete(set, i, i+1)
			}
		}
		slices.Sort(set)
		m.Metrics = set
		desired = slices.Clone(set)
		return nil
	})
	return current, desired, err
}

// update applies fn to a copy of a non-deleting stream's metadata and stores
// it, retrying on concurrent changes.
func (c *Core) update(ctx context.Context, name string, fn func(m *streamMeta) error) error {
	c.ctl.Lock()
	defer c.ctl.Unlock()
	for attempt := 0; ; attempt++ {
		cc, err := c.current(ctx, name)
		if err != nil {
			return err
		}
		if cc.meta.Status == StatusDeleting {
			return notFound(c, name)
		}
		m := cc.meta.clone()
		if err := fn(m); err != nil {
			return err
		}
		_, err = c.store(ctx, m, cc.rev)
		if err == nil || !isKind(err, ErrInUse) || attempt == 3 {
			return err
		}
		if _, err := c.refresh(ctx, name); err != nil {
			return err
		}
	}
}

// SetAttributes changes a stream's free-form attributes with fn, which gets
// a copy (never nil) it may change; an error from fn aborts the change.
func (c *Core) SetAttributes(ctx context.Context, name string, fn func(attrs map[string]string) error) error {
	return c.update(ctx, name, func(m *streamMeta) error {
		if m.Attributes == nil {
			m.Attributes = map[string]string{}
		}
		return fn(m.Attributes)
	})
}
