package video

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/storage"
)

// InitTouchEvery: the recorder writes an init segment still in use again
// this often, so that the sweeper (which goes by modification time) never
// removes an init that a live fragment needs.
const InitTouchEvery = time.Hour

// SweeperConfig configures the retention sweeper. Zero values take defaults.
type SweeperConfig struct {
	// Interval between sweeps. Default 5 minutes.
	Interval time.Duration
	// Grace is how old an object without an index record must be before it
	// counts as an orphan (a fragment stored by a process that died before
	// indexing it). Default 10 minutes.
	Grace time.Duration
	// Margin is how long after its retention an object is deleted, so that
	// its index record (expiring by arrival time) always goes first.
	// Default 1 minute.
	Margin time.Duration
	// RetentionHour is how long one hour of retention lasts. Default
	// time.Hour; a test hook.
	RetentionHour time.Duration
	Logger        *slog.Logger
}

// Sweeper enforces retention on archived media: it deletes fragment
// objects past their stream's retention (after their index records have
// expired), init segments no fragment can need any more, orphans, and the
// media of deleted streams.
type Sweeper struct {
	lib    *fragments.Library
	bucket storage.Bucket
	cfg    SweeperConfig
	log    *slog.Logger
	last   time.Time // end of the window the previous sweep checked for orphans
}

// NewSweeper returns a sweeper of bucket for the streams of lib.
func NewSweeper(lib *fragments.Library, bucket storage.Bucket, cfg SweeperConfig) *Sweeper {
	if cfg.Interval <= 0 {
		cfg.Interval = 5 * time.Minute
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 10 * time.Minute
	}
	if cfg.Margin <= 0 {
		cfg.Margin = time.Minute
	}
	if cfg.RetentionHour <= 0 {
		cfg.RetentionHour = time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	// The first sweep checks the last hour for orphans; older orphans (of a
	// node down for longer) are left until their retention removes them.
	return &Sweeper{lib: lib, bucket: bucket, cfg: cfg, log: cfg.Logger.With("component", "sweeper"), last: time.Now().Add(-time.Hour)}
}

// Run sweeps every Interval until ctx ends.
func (s *Sweeper) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("retention sweep", "err", err)
			}
		}
	}
}

// Sweep runs one pass.
func (s *Sweeper) Sweep(ctx context.Context) error {
	now := time.Now()
	// List objects before streams: an object whose stream is missing from
	// the later list really has no stream.
	prefixes := map[string]bool{}
	err := s.bucket.List(ctx, "video/", func(o storage.ObjectInfo) error {
		if p := streamPrefix(o.Key); p != "" && now.Sub(o.LastModified) > s.cfg.Grace {
			prefixes[p] = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	all, err := s.lib.List(ctx)
	if err != nil {
		return err
	}
	for _, st := range all {
		delete(prefixes, fragments.MediaPrefix(st))
		if st.Status != "ACTIVE" && st.Status != "UPDATING" {
			continue
		}
		if err := s.sweepStream(ctx, st, now); err != nil {
			s.log.Warn("sweeping stream", "stream", st.Name, "err", err)
		}
	}
	for p := range prefixes {
		n, err := storage.DeletePrefix(ctx, s.bucket, p)
		s.log.Info("removed media of a deleted stream", "prefix", p, "objects", n, "err", err)
	}
	s.last = now.Add(-s.cfg.Grace)
	return nil
}

func (s *Sweeper) sweepStream(ctx context.Context, st fragments.Stream, now time.Time) error {
	prefix := fragments.MediaPrefix(st)
	if st.RetentionHours == 0 {
		if n, err := storage.DeletePrefix(ctx, s.bucket, prefix); n > 0 || err != nil {
			s.log.Info("retention 0: archive removed", "stream", st.Name, "objects", n, "err", err)
		}
		return nil
	}
	retention := time.Duration(st.RetentionHours) * s.cfg.RetentionHour
	n, err := storage.DeleteOlder(ctx, s.bucket, prefix+"fragments/", now.Add(-retention-s.cfg.Margin))
	if n > 0 {
		s.log.Info("expired fragments removed", "stream", st.Name, "objects", n)
	}
	if err != nil {
		return err
	}
	if _, err := storage.DeleteOlder(ctx, s.bucket, prefix+"init/", now.Add(-retention-s.cfg.Margin-2*InitTouchEvery)); err != nil {
		return err
	}
	return s.sweepOrphans(ctx, st, prefix, now)
}

// sweepOrphans removes fragment objects written since the previous sweep's
// window (and older than Grace) that have no index record.
func (s *Sweeper) sweepOrphans(ctx context.Context, st fragments.Stream, prefix string, now time.Time) error {
	from, to := s.last.Add(-s.cfg.Interval), now.Add(-s.cfg.Grace)
	var candidates []string
	err := s.bucket.List(ctx, prefix+"fragments/", func(o storage.ObjectInfo) error {
		if o.LastModified.After(from) && !o.LastModified.After(to) {
			candidates = append(candidates, o.Key)
		}
		return nil
	})
	if err != nil || len(candidates) == 0 {
		return err
	}
	indexed := map[string]bool{}
	// A fragment's server time is its first frame's arrival, at most a
	// fragment's length (capped at 20s by default) before its object was
	// written; a wide window costs little.
	sel := fragments.Selector{Start: from.Add(-10 * time.Minute), End: to.Add(time.Minute)}
	err = s.lib.Fragments(ctx, st.Name, sel, func(in fragments.Info) bool {
		indexed[in.Key] = true
		return true
	})
	if err != nil {
		return err
	}
	for _, k := range candidates {
		if !indexed[k] {
			if err := s.bucket.Delete(ctx, k); err != nil {
				return err
			}
			s.log.Info("orphan fragment removed", "stream", st.Name, "key", k)
		}
	}
	return nil
}

// streamPrefix returns "video/s-<name>/<created>/" of an object key.
func streamPrefix(key string) string {
	parts := strings.SplitN(key, "/", 4)
	if len(parts) < 4 || parts[0] != "video" || !strings.HasPrefix(parts[1], "s-") {
		return ""
	}
	return strings.Join(parts[:3], "/") + "/"
}
