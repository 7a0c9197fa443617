package ingest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/ingest/relay"
	"github.com/sluice-dev/sluice/spool"
	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/streams"
)

// RecorderConfig configures a Recorder. Zero values take the defaults.
type RecorderConfig struct {
	// AutoCreate creates a stream that does not exist when someone
	// publishes to it; when false, publishing needs a stream created first.
	AutoCreate bool
	// CreateRetentionHours is the retention of auto-created streams.
	// Default 24.
	CreateRetentionHours int
	// Fragment cutting; see fragments.WriterConfig. Defaults 2s, 20s, 200ms.
	TargetDuration, MaxDuration, PartDuration time.Duration
	// QueueFragments bounds the fragments of one session waiting for
	// storage. Default 256 (over 8 minutes at 2 s fragments); past it the
	// newest fragment is dropped and logged, and the recording goes on.
	QueueFragments int
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Relay, when set, also receives every session's access units, as
	// they arrive, for live viewers (WHEP); nil relays nothing.
	Relay *relay.Relay
	// Spool, when set, is the local disk between ingest and the bucket
	// (package spool): parts are appended to it as they close, a closed
	// fragment is synced there, indexed at once, and uploaded by the
	// Recorder's uploaders, which retry until the bucket takes it; what
	// waits there is read back through Spool.Over. Nil: closed fragments
	// wait in memory (QueueFragments) and are stored before they are
	// indexed, with a minute of retries.
	Spool *spool.Spool
	// Locations, with a Spool in a cluster, is the location map where
	// this node records what waits in its spool (indexed but not yet
	// uploaded) and what it dropped from it, so that other nodes' readers
	// know where those bytes are; nil records nothing.
	Locations *spool.Locations
	// ObjectDuration, with a Spool, packs consecutive fragments of a
	// session into one object of about this duration (fewer PUTs); 0
	// stores each fragment as its own object.
	ObjectDuration time.Duration
	// Owner, when set, makes every session claim its stream first (one
	// node records a stream at a time, see Owner) and fences the session's
	// index writes with the claim's token; nil: this node records
	// whatever is published to it (a single node).
	Owner Owner
}

// Recorder turns publishing sessions into archived, indexed fragments and
// the live edge. New -> Open sessions -> Close.
type Recorder struct {
	lib    *fragments.Library
	bucket storage.Bucket
	hub    *fragments.Hub
	cfg    RecorderConfig
	log    *slog.Logger

	ctx    context.Context // storage and index writes; cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // session archivers
	up     *uploader      // with a Spool
	upWG   sync.WaitGroup // the uploader's goroutines

	mu      sync.Mutex
	active  map[string]*session
	streams map[string]*streamState
	owned   map[string]*ownership // with an Owner: the streams this node holds
}

// streamState is what the recorder remembers of a stream between sessions.
type streamState struct {
	lastEnd time.Time     // producer end of the stream's last fragment
	tail    chan struct{} // closed when the last session's archiver is done
}

// NewRecorder returns a Recorder writing media to bucket, the index to lib
// and the live edge to hub.
func NewRecorder(lib *fragments.Library, bucket storage.Bucket, hub *fragments.Hub, cfg RecorderConfig) *Recorder {
	if cfg.CreateRetentionHours == 0 {
		cfg.CreateRetentionHours = 24
	}
	if cfg.QueueFragments <= 0 {
		cfg.QueueFragments = 256
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	r := &Recorder{lib: lib, bucket: bucket, hub: hub, cfg: cfg, log: cfg.Logger.With("component", "recorder"), active: map[string]*session{}, streams: map[string]*streamState{}, owned: map[string]*ownership{}}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	if cfg.Spool != nil {
		r.up = newUploader(r, cfg.Spool)
		r.up.start()
	}
	return r
}

// Close ends every session and waits until their fragments are stored and
// indexed, or ctx ends (then pending storage writes are abandoned).
func (r *Recorder) Close(ctx context.Context) {
	r.mu.Lock()
	sessions := make([]*session, 0, len(r.active))
	for _, s := range r.active {
		sessions = append(sessions, s)
	}
	r.mu.Unlock()
	for _, s := range sessions {
		s.Close()
	}
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		r.log.Warn("shutdown: abandoning fragments still waiting for storage")
	}
	r.cancel() // uploads in flight stop; the spool keeps what waits
	<-done
	r.upWG.Wait()
}

// Open starts a session of stream with the given tracks. Tracks whose codec
// cannot be recorded must have been removed by the caller; an empty list
// is ErrNoTracks. ErrUnknownStream when the stream does not exist and
// AutoCreate is off; ErrBusy when it already has a publisher on this node;
// with an Owner, an *OwnedElsewhereError when another node records it.
// The session ends by itself (Ended closes) when the ownership is lost.
func (r *Recorder) Open(ctx context.Context, stream string, src Source, tracks []fragments.Track) (_ Session, err error) {
	if len(tracks) == 0 {
		return nil, ErrNoTracks
	}
	r.mu.Lock()
	_, busy := r.active[stream]
	r.mu.Unlock()
	if busy {
		return nil, fmt.Errorf("%w: %s", ErrBusy, stream)
	}
	info, err := r.ensureStream(ctx, stream, tracks)
	if err != nil {
		return nil, err
	}
	own, err := r.acquire(ctx, stream)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			r.release(own)
		}
	}()
	last, hasLast, err := r.lib.Last(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("reading the index of %s: %w", stream, err)
	}
	notBefore := time.Time{}
	if hasLast {
		notBefore = last.End()
	}
	s := &session{r: r, stream: stream, info: info, id: newSessionID(), src: src, since: time.Now(), own: own, ended: make(chan struct{})}
	s.queue = make(chan archiveJob, r.cfg.QueueFragments)
	s.done = make(chan struct{})
	cfg := fragments.WriterConfig{
		Session:        s.id,
		TargetDuration: r.cfg.TargetDuration,
		MaxDuration:    r.cfg.MaxDuration,
		PartDuration:   r.cfg.PartDuration,
		OnPart:         s.onPart,
		OnFragment:     s.onFragment,
		DropParts:      r.cfg.Spool != nil, // the spool has them
		Logger:         r.log,
	}
	for i, t := range tracks {
		s.tracks = append(s.tracks, fragments.TrackInfoOf(i+1, t))
	}

	r.mu.Lock()
	if _, busy := r.active[stream]; busy {
		r.mu.Unlock()
		return nil, fmt.Errorf("%w: %s", ErrBusy, stream)
	}
	st := r.streams[stream]
	if st == nil {
		st = &streamState{}
		r.streams[stream] = st
	}
	// The previous session's fragments may still be on their way to the
	// index: start after them in time, and index after them in order.
	if st.lastEnd.After(notBefore) {
		notBefore = st.lastEnd
	}
	cfg.NotBefore = notBefore
	cfg.Discontinuity = !notBefore.IsZero()
	if s.w, err = fragments.NewWriter(cfg, tracks); err != nil {
		r.mu.Unlock()
		return nil, err
	}
	s.prev, st.tail = st.tail, s.done
	s.state = st
	s.pub = r.cfg.Relay.Publish(stream, tracks) // relay: live viewers (nil without a relay)
	s.video = slices.IndexFunc(tracks, func(t fragments.Track) bool { return t.Codec != nil && t.Codec.IsVideo() })
	if s.w.CanGOP(s.video) {
		s.pub.SetGOPSource(s) // new viewers start from the recording's parts, not a second copy
	}
	r.active[stream] = s
	r.wg.Add(1)
	r.mu.Unlock()
	r.hub.Publish(stream, s.id, s.since)
	go s.archive()
	if own != nil && own.lost() { // lost before the session was registered:
		s.Close() // it ends at once (Ended), as it would have a moment later
	}
	r.log.Info("recording", "stream", stream, "session", s.id, "source", src.Kind, "remote", src.Remote, "tracks", len(tracks))
	return s, nil
}

// ensureStream returns the stream, creating it when allowed.
func (r *Recorder) ensureStream(ctx context.Context, name string, tracks []fragments.Track) (fragments.Stream, error) {
	info, err := r.lib.Describe(ctx, name)
	if errors.Is(err, streams.ErrNotFound) {
		if !r.cfg.AutoCreate {
			return info, fmt.Errorf("%w: %s (create it first, or enable automatic creation)", ErrUnknownStream, name)
		}
		info, err = r.lib.Create(ctx, fragments.StreamSpec{Name: name, RetentionHours: r.cfg.CreateRetentionHours, MediaType: mediaType(tracks)})
		if errors.Is(err, streams.ErrInUse) { // created concurrently
			err = nil
		}
		if err != nil {
			return info, err
		}
		r.log.Info("stream created on publish", "stream", name)
	} else if err != nil {
		return info, err
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		info, err = r.lib.Describe(ctx, name)
		if err != nil {
			return info, err
		}
		switch info.Status {
		case "ACTIVE", "UPDATING":
			return info, nil
		case "DELETING":
			return info, fmt.Errorf("%w: %s is being deleted", ErrUnknownStream, name)
		}
		if time.Now().After(deadline) {
			return info, fmt.Errorf("stream %s stayed %s", name, info.Status)
		}
		select {
		case <-ctx.Done():
			return info, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func mediaType(tracks []fragments.Track) string {
	ti := fragments.TrackInfoOf(1, tracks[0])
	return ti.Kind + "/" + ti.Name
}

// Status describes a stream being recorded.
type Status struct {
	Stream       string
	Session      string
	Source       Source
	Since        time.Time
	Tracks       []fragments.TrackInfo
	Fragments    int
	Bytes        int64
	LastFragment time.Time
	// Dropped counts the fragments lost: the archive queue full, the
	// spool full, the recording ownership lost.
	Dropped int
	// Spooled counts the stream's objects waiting in the spool for the
	// bucket; ArchiveDelayed is set while the bucket is failing and some
	// wait.
	Spooled        int
	ArchiveDelayed bool
}

// Active lists the streams being recorded, sorted by name.
func (r *Recorder) Active() []Status {
	r.mu.Lock()
	sessions := make([]*session, 0, len(r.active))
	for _, s := range r.active {
		sessions = append(sessions, s)
	}
	r.mu.Unlock()
	// Lock order is session, then recorder: status() outside r.mu.
	out := make([]Status, 0, len(sessions))
	for _, s := range sessions {
		out = append(out, s.status())
	}
	if r.up != nil {
		pending, drops, failing := r.up.spooledOf()
		for i := range out {
			st := &out[i]
			st.Spooled, st.Dropped = pending[st.Stream], st.Dropped+drops[st.Stream]
			st.ArchiveDelayed = failing && st.Spooled > 0
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Stream < out[j].Stream })
	return out
}

func newSessionID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
