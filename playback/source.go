package playback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/spool"
	"github.com/sluice-dev/sluice/storage"
)

// Source reads streams' fragments from the archive and the live edge.
// It is safe for concurrent use.
type Source struct {
	lib    *fragments.Library
	bucket storage.BucketReader
	hub    *fragments.Hub
	cache  *cache
	locs   *spool.Locations
}

// SourceConfig configures a Source.
type SourceConfig struct {
	// CacheBytes bounds the cache of hot fragments and init segments.
	// Default 64 MiB.
	CacheBytes int64
	// Locations, when set, tells of indexed fragments whose media was
	// dropped from a full spool before its upload: Fragments skips them
	// (the next one is a discontinuity), Listing marks them Missing.
	Locations *spool.Locations
}

// NewSource returns a Source over the library's index, the bucket and the hub.
func NewSource(lib *fragments.Library, bucket storage.BucketReader, hub *fragments.Hub, cfg SourceConfig) *Source {
	if cfg.CacheBytes <= 0 {
		cfg.CacheBytes = 64 << 20
	}
	return &Source{lib: lib, bucket: bucket, hub: hub, cache: newCache(cfg.CacheBytes), locs: cfg.Locations}
}

// Library returns the video stream registry the source reads.
func (s *Source) Library() *fragments.Library { return s.lib }

// Hub returns the live edge.
func (s *Source) Hub() *fragments.Hub { return s.hub }

// Fragment is one fragment of a stream's timeline, archived or on the live
// edge (or both: then it is listed once, with its number).
type Fragment struct {
	// Number is the fragment number in the index; empty for a fragment that
	// is only on the live edge (not yet archived, or a retention-0 stream).
	Number        string
	Session       string
	Index         int // in its session
	ProducerTime  time.Time
	ServerTime    time.Time
	Duration      time.Duration
	Size          int64
	Keyframe      bool
	Discontinuity bool
	InitID        string
	Tracks        []fragments.TrackInfo
	// Samples counts the samples of each track (by track ID).
	Samples map[int]int
	// Missing, in a Listing, says why the fragment's media is gone
	// (dropped from a node's full spool before its upload); "" when it
	// can be read.
	Missing string
	// SpooledOn, in a Listing, names the node whose spool holds the
	// fragment's media while it waits for its upload (read from there
	// meanwhile); "" once it is in the bucket.
	SpooledOn string

	key, initKey string
	live         *fragments.LiveFragment
}

// End is the producer time at which the fragment ends.
func (f Fragment) End() time.Time { return f.ProducerTime.Add(f.Duration) }

// ID names a fragment uniquely within its stream.
func (f Fragment) ID() string { return fmt.Sprintf("%s-%d", f.Session, f.Index) }

// Live is the fragment as the live edge holds it, or nil.
func (f Fragment) Live() *fragments.LiveFragment { return f.live }

func fromInfo(in fragments.Info) Fragment {
	return Fragment{
		Number: in.Number, Session: in.Session, Index: in.SessionIndex,
		ProducerTime: in.ProducerTime, ServerTime: in.ServerTime, Duration: in.Duration, Size: in.Size,
		Keyframe: in.Keyframe, Discontinuity: in.Discontinuity, InitID: initID(in.InitKey),
		Tracks: in.Tracks, Samples: in.Samples, key: in.Piece(), initKey: in.InitKey,
	}
}

func fromLive(lf *fragments.LiveFragment) Fragment {
	c := lf.Closed
	f := Fragment{
		Number: lf.Number, Session: lf.Session, Index: lf.Index, InitID: lf.Init.ID, Tracks: lf.Init.Tracks, live: lf,
		ProducerTime: c.ProducerStart, ServerTime: c.ServerStart, Duration: c.Duration, Size: int64(c.Size),
		Keyframe: c.Keyframe, Discontinuity: c.Discontinuity, Samples: c.Samples,
	}
	return f
}

// initID is the content ID in an init key ".../init/<id>.mp4".
func initID(key string) string {
	i := len(key) - len(".mp4")
	j := i
	for j > 0 && key[j-1] != '/' {
		j--
	}
	if i < j {
		return key
	}
	return key[j:i]
}

// Fragments calls fn with the stream's closed fragments that sel picks, in
// time order, until fn returns false: the archived ones from the index,
// then the live edge's closed fragments that the index does not (yet) have.
// Each fragment appears once. A fragment whose media was dropped before its
// upload (SourceConfig.Locations) is left out: the one after it is marked
// a discontinuity.
func (s *Source) Fragments(ctx context.Context, stream string, sel fragments.Selector, fn func(Fragment) bool) error {
	gap := false
	return s.Listing(ctx, stream, sel, func(f Fragment) bool {
		if f.Missing != "" {
			gap = true
			return true
		}
		if gap {
			f.Discontinuity, gap = true, false
		}
		return fn(f)
	})
}

// Listing is Fragments with the fragments whose media is gone too,
// marked Missing.
func (s *Source) Listing(ctx context.Context, stream string, sel fragments.Selector, fn func(Fragment) bool) error {
	seen := map[string]bool{}
	var last time.Time
	stopped := false
	err := s.lib.Fragments(ctx, stream, sel, func(in fragments.Info) bool {
		f := fromInfo(in)
		if s.locs != nil {
			if loc, ok := s.locs.Where(f.key); ok && loc.Dropped {
				f.Missing = fmt.Sprintf("dropped from the spool of node %s (full) before its upload", loc.Node)
			} else if ok {
				f.SpooledOn = loc.Node
			}
		}
		seen[f.ID()] = true
		last = f.ProducerTime
		if !fn(f) {
			stopped = true
			return false
		}
		return true
	})
	if err != nil || stopped {
		return err
	}
	var tail []Fragment
	for _, lf := range s.hub.View(stream).Fragments {
		if lf.Closed == nil {
			continue
		}
		f := fromLive(lf)
		if seen[f.ID()] || !f.ProducerTime.After(last) && !last.IsZero() {
			continue
		}
		key := f.ServerTime
		if sel.Producer {
			key = f.ProducerTime
		}
		if !sel.Start.IsZero() && key.Before(sel.Start) || !sel.End.IsZero() && key.After(sel.End) {
			continue
		}
		tail = append(tail, f)
	}
	sort.Slice(tail, func(i, j int) bool { return tail[i].ProducerTime.Before(tail[j].ProducerTime) })
	for _, f := range tail {
		if !fn(f) {
			return nil
		}
	}
	return nil
}

// ErrNotFound is returned for a fragment that no longer exists.
var ErrNotFound = fragments.ErrNotFound

// Fragment finds a fragment by number (archived) or by ID (live edge).
func (s *Source) Fragment(ctx context.Context, stream, number string) (Fragment, error) {
	in, err := s.lib.Fragment(ctx, stream, number)
	if err != nil {
		return Fragment{}, err
	}
	return fromInfo(in), nil
}

// LiveFragment finds a fragment of the live edge by session and index,
// open or closed; ok is false when the hub no longer holds it.
func (s *Source) LiveFragment(stream, session string, index int) (*fragments.LiveFragment, bool) {
	for _, lf := range s.hub.View(stream).Fragments {
		if lf.Session == session && lf.Index == index {
			return lf, true
		}
	}
	return nil, false
}

// Media returns the fragment's bytes (moof+mdat pairs): from the live edge
// when it holds them, else from the cache or storage.
func (s *Source) Media(ctx context.Context, stream string, f Fragment) ([]byte, error) {
	if f.live != nil {
		if b, ok := appendLive(nil, f.live); ok {
			return b, nil
		}
	}
	key, err := s.mediaKey(ctx, stream, f)
	if err != nil {
		return nil, err
	}
	return s.object(ctx, key, f.Size)
}

// ReadMedia is Media for a reader that goes through many fragments once
// and keeps none (a clip): it returns the fragment's bytes in buf[:0],
// grown as needed, so that the caller can pass the result back as buf for
// the next fragment. It leaves the cache as it is: what it reads from
// storage is not added, and a cached or live fragment is copied.
func (s *Source) ReadMedia(ctx context.Context, stream string, f Fragment, buf []byte) ([]byte, error) {
	if f.live != nil {
		if b, ok := appendLive(buf[:0], f.live); ok {
			return b, nil
		}
	}
	key, err := s.mediaKey(ctx, stream, f)
	if err != nil {
		return nil, err
	}
	if b, ok := s.cache.get(key); ok {
		return append(buf[:0], b...), nil
	}
	return s.read(ctx, key, buf[:0], f.Size)
}

// mediaKey names an archived fragment's bytes: its object's key, or the
// piece of its object (a packed fragment).
func (s *Source) mediaKey(ctx context.Context, stream string, f Fragment) (string, error) {
	if f.key != "" {
		return f.key, nil
	}
	if f.Number == "" {
		return "", fmt.Errorf("%w: fragment %s of %s left the live edge and was not archived", ErrNotFound, f.ID(), stream)
	}
	in, err := s.lib.Fragment(ctx, stream, f.Number)
	if err != nil {
		return "", err
	}
	return in.Piece(), nil
}

// Init returns the fragment's init segment.
func (s *Source) Init(ctx context.Context, stream string, f Fragment) ([]byte, error) {
	if f.live != nil && f.live.Init != nil {
		return f.live.Init.Bytes, nil
	}
	if f.initKey == "" && f.Number != "" {
		in, err := s.lib.Fragment(ctx, stream, f.Number)
		if err != nil {
			return nil, err
		}
		f.initKey = in.InitKey
	}
	if f.initKey == "" {
		return nil, fmt.Errorf("%w: init segment of fragment %s of %s", ErrNotFound, f.ID(), stream)
	}
	return s.object(ctx, f.initKey, 0)
}

// appendLive appends a live fragment's parts to dst when all are held.
func appendLive(dst []byte, lf *fragments.LiveFragment) ([]byte, bool) {
	for _, p := range lf.Parts {
		b, err := p.Data()
		if err != nil {
			return nil, false
		}
		dst = append(dst, b...)
	}
	return dst, len(lf.Parts) > 0
}

// object reads a whole object through the cache; size is its size when
// the index says it (0 when unknown).
func (s *Source) object(ctx context.Context, key string, size int64) ([]byte, error) {
	if b, ok := s.cache.get(key); ok {
		return b, nil
	}
	b, err := s.read(ctx, key, nil, size)
	if err != nil {
		return nil, err
	}
	s.cache.put(key, b)
	return b, nil
}

// read appends the object at key (or the piece of an object that key
// names: storage.PieceName), of size bytes when size > 0, to dst.
func (s *Source) read(ctx context.Context, key string, dst []byte, size int64) ([]byte, error) {
	var rc io.ReadCloser
	var err error
	if obj, off, ok := storage.SplitPiece(key); ok {
		length := size // always known for a piece: from its index record
		if length <= 0 {
			length = -1
		}
		rc, err = s.bucket.GetRange(ctx, obj, off, length)
	} else {
		rc, err = s.bucket.Get(ctx, key)
	}
	if err != nil {
		var missing *spool.MissingError
		if errors.As(err, &missing) { // dropped from a spool, or its node is away: say which
			return nil, fmt.Errorf("%w: %v", ErrNotFound, missing)
		}
		if errors.Is(err, storage.ErrNotFound) {
			return nil, fmt.Errorf("%w: object %s", ErrNotFound, key)
		}
		return nil, err
	}
	defer rc.Close()
	return storage.AppendAll(dst, rc, size)
}
