package hls

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/streams"
)

// ErrNotFound is returned for a fragment, part or init segment that the
// stream does not (or no longer) have, or that the session does not cover.
var ErrNotFound = errors.New("hls: not found")

// ref names a fragment in a URL: its fragment number when it is archived
// ("number"), else "<session>.<index>.<producer unix ms>", which still
// finds it after it has left the live edge (by its producer time in the
// index).
type ref struct {
	number  string
	session string
	index   int
	ms      int64
}

func (r ref) String() string {
	if r.number != "" {
		return r.number
	}
	return fmt.Sprintf("%s.%d.%d", r.session, r.index, r.ms)
}

// numberRef names f by number when it has one, else by ID.
func numberRef(f playback.Fragment) ref {
	if f.Number != "" {
		return ref{number: f.Number}
	}
	return idRef(f)
}

// idRef names f by session and index: a name that does not change when
// the fragment is archived (for playlists that are reloaded).
func idRef(f playback.Fragment) ref {
	return ref{session: f.Session, index: f.Index, ms: f.ProducerTime.UnixMilli()}
}

func liveRef(lf *fragments.LiveFragment) ref {
	var ms int64
	if len(lf.Parts) > 0 {
		ms = lf.Parts[0].Start.UnixMilli()
	}
	if lf.Closed != nil {
		ms = lf.Closed.ProducerStart.UnixMilli()
	}
	return ref{session: lf.Session, index: lf.Index, ms: ms}
}

func parseRef(s string) (ref, bool) {
	if s == "" || len(s) > 128 {
		return ref{}, false
	}
	if strings.Trim(s, "0123456789") == "" {
		return ref{number: s}, true
	}
	f := strings.Split(s, ".")
	if len(f) != 3 || f[0] == "" {
		return ref{}, false
	}
	i, err1 := strconv.Atoi(f[1])
	ms, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil || i < 0 {
		return ref{}, false
	}
	return ref{session: f[0], index: i, ms: ms}, true
}

// located is a fragment found by ref: on the live edge (with its bytes in
// memory) or in the archive.
type located struct {
	f    playback.Fragment // archived (or listed) form; zero when only live is set
	live *fragments.LiveFragment
}

// locate finds a fragment of stream by ref: a number in the index; an ID
// on the live edge, else in the index around its producer time.
func (s *Server) locate(ctx context.Context, stream string, r ref) (located, error) {
	if r.number != "" {
		f, err := s.src.Fragment(ctx, stream, r.number)
		if err != nil {
			return located{}, notFound(err, "fragment %s of %s", r.number, stream)
		}
		return located{f: f}, nil
	}
	if lf, ok := s.src.LiveFragment(stream, r.session, r.index); ok && lf.Closed != nil {
		if _, ok := liveMedia(lf); ok {
			return located{live: lf}, nil
		}
		if lf.Number != "" {
			return s.locate(ctx, stream, ref{number: lf.Number})
		}
	}
	at := time.UnixMilli(r.ms)
	var found *playback.Fragment
	err := s.src.Fragments(ctx, stream, fragments.Selector{Producer: true, Start: at, End: at.Add(time.Millisecond - 1)}, func(f playback.Fragment) bool {
		if f.Session == r.session && f.Index == r.index {
			found = &f
			return false
		}
		return true
	})
	if err != nil {
		return located{}, notFound(err, "fragment %s of %s", r, stream)
	}
	if found == nil {
		return located{}, fmt.Errorf("%w: fragment %s of %s (not on the live edge, not archived)", ErrNotFound, r, stream)
	}
	return located{f: *found}, nil
}

// notFound maps the source's not-found errors to ErrNotFound and passes
// others (storage failures) through.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, playback.ErrNotFound) || errors.Is(err, fragments.ErrNotFound) || errors.Is(err, streams.ErrNotFound) {
		return fmt.Errorf("%w: %s: %v", ErrNotFound, fmt.Sprintf(format, args...), err)
	}
	return err
}

// meta is the fragment's metadata as the index (or the live edge) has it.
func (l located) meta() playback.Fragment {
	if l.live == nil {
		return l.f
	}
	c := l.live.Closed
	return playback.Fragment{Number: l.live.Number, Session: l.live.Session, Index: l.live.Index,
		ProducerTime: c.ProducerStart, ServerTime: c.ServerStart, Duration: c.Duration, Size: int64(c.Size),
		Keyframe: c.Keyframe, Discontinuity: c.Discontinuity, InitID: l.live.Init.ID, Tracks: l.live.Init.Tracks}
}

func (s *Server) media(ctx context.Context, stream string, l located) ([]byte, error) {
	if l.live != nil {
		if b, ok := liveMedia(l.live); ok {
			return b, nil
		}
		if l.live.Number == "" {
			return nil, fmt.Errorf("%w: fragment %s.%d of %s left the live edge", ErrNotFound, l.live.Session, l.live.Index, stream)
		}
		var err error
		if l, err = s.locate(ctx, stream, ref{number: l.live.Number}); err != nil {
			return nil, err
		}
	}
	b, err := s.src.Media(ctx, stream, l.f)
	return b, notFound(err, "media of fragment %s of %s", l.f.ID(), stream)
}

func (s *Server) init(ctx context.Context, stream string, l located) ([]byte, error) {
	if l.live != nil && l.live.Init != nil {
		return l.live.Init.Bytes, nil
	}
	b, err := s.src.Init(ctx, stream, l.f)
	return b, notFound(err, "init segment of fragment %s of %s", l.f.ID(), stream)
}

// liveMedia concatenates a live fragment's parts when all are held.
func liveMedia(lf *fragments.LiveFragment) ([]byte, bool) {
	if len(lf.Parts) == 0 {
		return nil, false
	}
	datas := make([][]byte, len(lf.Parts))
	n := 0
	for i, p := range lf.Parts {
		d, err := p.Data()
		if err != nil {
			return nil, false
		}
		datas[i] = d
		n += len(d)
	}
	b := make([]byte, 0, n)
	for _, d := range datas {
		b = append(b, d...)
	}
	return b, true
}
