package streams

import (
	"slices"
	"time"
)

// sweepLoop removes closed shards whose records have all expired (their
// closing is older than the stream's retention), as Kinesis drops them from
// ListShards. Record expiry itself is JetStream's MaxAge.
func (c *Core) sweepLoop() {
	c.every(min(time.Minute, c.cfg.RetentionHour), c.sweep)
}

// every runs fn at each tick of the interval until the core closes, then
// marks the calling goroutine done in c.wg.
func (c *Core) every(interval time.Duration, fn func()) {
	defer c.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

func (c *Core) sweep() {
	now := c.cfg.Now()
	c.mu.RLock()
	var due []string
	for name, cc := range c.cache {
		if cc.meta.Status == StatusActive && len(expiredShards(cc.meta, now, c.retention(cc.meta.RetentionHours))) > 0 {
			due = append(due, name)
		}
	}
	c.mu.RUnlock()
	for _, name := range due {
		err := c.update(c.ctx, name, func(m *streamMeta) error {
			if m.Status != StatusActive {
				return nil
			}
			gone := expiredShards(m, now, c.retention(m.RetentionHours))
			for _, idx := range gone {
				if err := c.dropShard(c.ctx, m, idx); err != nil {
					return err
				}
			}
			kept := m.Shards[:0]
			for _, s := range m.Shards {
				if !slices.Contains(gone, s.Index) {
					kept = append(kept, s)
				}
			}
			m.Shards = kept
			return nil
		})
		if err != nil && c.ctx.Err() == nil {
			c.log.Warn("retention sweep", "stream", name, "err", err)
		}
	}
}

// expiredShards lists closed shards closed longer than the retention ago.
func expiredShards(m *streamMeta, now time.Time, retention time.Duration) []int {
	var out []int
	for _, s := range m.Shards {
		if s.Closed && !s.ClosedAt.IsZero() && now.Sub(s.ClosedAt) > retention {
			out = append(out, s.Index)
		}
	}
	return out
}
