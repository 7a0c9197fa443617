package video

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/streams"
)

// Cameras is the camera store a stream's deletion stops the camera of.
type Cameras interface {
	// RemoveCamera forgets the camera of stream (nil when it has none);
	// the node pulling it stops.
	RemoveCamera(ctx context.Context, stream string) error
}

// Recorders tells whether some node records a stream now (holds its
// recording lease: ingest.Owner).
type Recorders interface {
	Recording(ctx context.Context, stream string) (bool, error)
}

// Config configures Streams.
type Config struct {
	Library *fragments.Library // required
	Bucket  storage.Bucket     // required: the archive
	// Cameras, when set, are stopped when their stream is deleted.
	Cameras Cameras
	// Recorders, when set, are waited for (up to StopWait) after a
	// deleted stream's camera is stopped, so that its last fragments are
	// stored before the media are removed, not after (orphans).
	Recorders Recorders
	// StopWait bounds that wait (a push that goes on publishing does not
	// stop). Default 10s.
	StopWait time.Duration
	// PurgeBatch is how many keys one listing round of a purge collects.
	// Default 1000.
	PurgeBatch int
	Logger     *slog.Logger
}

// Streams carries out the lifecycle steps that span the registry, the
// cameras and the archive. Safe for concurrent use.
type Streams struct {
	lib    *fragments.Library
	bucket storage.Bucket
	cams   Cameras
	recs   Recorders
	wait   time.Duration
	batch  int
	log    *slog.Logger
}

// New returns Streams for cfg.
func New(cfg Config) (*Streams, error) {
	var errs []error
	if cfg.Library == nil {
		errs = append(errs, errors.New("video: Config.Library is required"))
	}
	if cfg.Bucket == nil {
		errs = append(errs, errors.New("video: Config.Bucket is required"))
	}
	if cfg.PurgeBatch < 0 || cfg.StopWait < 0 {
		errs = append(errs, errors.New("video: Config.PurgeBatch and StopWait must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.PurgeBatch == 0 {
		cfg.PurgeBatch = defaultPurgeBatch
	}
	if cfg.StopWait == 0 {
		cfg.StopWait = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Streams{lib: cfg.Library, bucket: cfg.Bucket, cams: cfg.Cameras, recs: cfg.Recorders, wait: cfg.StopWait, batch: cfg.PurgeBatch,
		log: cfg.Logger.With("component", "video")}, nil
}

// Delete deletes stream name (of currentVersion, when not empty): its
// camera, its registry entry and index, then its media. The media are
// removed even when ctx ends first. A failure to remove some of them
// returns a *PurgeError (the stream is deleted; what is left is orphaned
// under its prefix, which a stream created again under the name never
// sees, and the Sweeper removes later).
//
// The camera goes first, and the node recording it is given StopWait to
// store its last fragments: a camera still pulled with auto-create would
// make the stream again. The registry entry goes before the media, which
// keeps the invariant that an index entry never points at a missing
// object: once Library.Delete returns, the stream is DELETING and its
// index can be neither read nor appended to, so removing media afterwards
// cannot be observed through the index. The other order could leave an
// ACTIVE stream whose fragments are gone if the registry step then failed
// (version mismatch, stream in use, crash). The cost of this order is that
// a failure part-way through the media leaves orphans (reported and
// logged); so does a writer that stores an object after the listing and
// then fails to index it.
func (s *Streams) Delete(ctx context.Context, name, currentVersion string) error {
	st, err := s.lib.Describe(ctx, name)
	if err != nil {
		return err
	}
	if currentVersion != "" && st.Version != currentVersion {
		return s.lib.Delete(ctx, name, currentVersion) // the version mismatch, as the registry words it
	}
	if s.cams != nil {
		if err := s.cams.RemoveCamera(ctx, name); err != nil && !errors.Is(err, streams.ErrNotFound) {
			return err
		}
	}
	if err := s.waitStopped(ctx, name); err != nil {
		return err
	}
	if err := s.lib.Delete(ctx, name, currentVersion); err != nil {
		return err
	}
	// The registry entry is gone: finish the media even if the caller
	// does not wait.
	return s.purge(context.WithoutCancel(ctx), st)
}

// waitStopped waits until no node records stream, or StopWait passed.
func (s *Streams) waitStopped(ctx context.Context, stream string) error {
	if s.recs == nil {
		return nil
	}
	deadline := time.Now().Add(s.wait)
	for {
		rec, err := s.recs.Recording(ctx, stream)
		if err != nil || !rec {
			return err
		}
		if time.Now().After(deadline) {
			s.log.Warn("deleting a stream that is still being recorded (a push that goes on?)", "stream", stream, "waited", s.wait)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
