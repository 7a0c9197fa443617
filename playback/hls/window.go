package hls

import (
	"context"
	"net/http"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/streams"
)

// Playback modes and discontinuity modes of sessions (the KVS API's enums).
const (
	ModeLive       = "LIVE"
	ModeLiveReplay = "LIVE_REPLAY"
	ModeOnDemand   = "ON_DEMAND"

	DiscAlways = "ALWAYS"
	DiscNever  = "NEVER"
	DiscOn     = "ON_DISCONTINUITY"

	ContainerMP4 = "FRAGMENTED_MP4"
	ContainerTS  = "MPEG_TS"
)

// Default and largest fragment counts of a session's playlist.
const (
	DefaultLiveFragments     = 5
	DefaultOnDemandFragments = 1000
	MaxFragments             = 5000
)

// gapLimit: ON_DISCONTINUITY marks a gap or overlap larger than this
// between consecutive fragments.
const gapLimit = 50 * time.Millisecond

// liveRecent: a LIVE session shows fragments at most this old (server
// time), widened for large windows.
const liveRecent = 2 * time.Minute

// Entry is one fragment of a session's playlist.
type Entry struct {
	playback.Fragment
	// MSN is its media sequence number in the playlist.
	MSN uint64
	// Ref names it in segment URLs (FragmentNumber=...).
	Ref string
	// Disc: a discontinuity precedes it (never set on the first entry).
	Disc bool
}

// Window is what a session's playlist lists at one moment.
type Window struct {
	Entries []Entry
	// DiscSequence is the discontinuity sequence number of the first entry.
	DiscSequence uint64
	// Ended: no fragment will be added (VOD, or a replay past its end).
	Ended bool
	// Static: the list never changes (ON_DEMAND).
	Static bool
}

// Target is the longest fragment duration of the window.
func (w Window) Target() time.Duration {
	var d time.Duration
	for _, e := range w.Entries {
		d = max(d, e.Duration)
	}
	return d
}

// mode returns the session's playback mode with its default.
func mode(sess playback.Session) string {
	if sess.Mode == "" {
		return ModeLive
	}
	return sess.Mode
}

func limit(sess playback.Session) int {
	switch {
	case sess.MaxFragments > 0:
		return min(sess.MaxFragments, MaxFragments)
	case mode(sess) == ModeLive:
		return DefaultLiveFragments
	case mode(sess) == ModeOnDemand:
		return DefaultOnDemandFragments
	}
	return MaxFragments // LIVE_REPLAY: an EVENT playlist that only grows
}

// DiscontinuityMode returns the session's discontinuity mode with its
// default: ALWAYS for server timestamps, NEVER for producer timestamps.
func DiscontinuityMode(sess playback.Session) string {
	switch {
	case sess.Discontinuity != "":
		return sess.Discontinuity
	case sess.Producer:
		return DiscNever
	}
	return DiscAlways
}

// selected is the fragment time a session's selector compares.
func selected(sess playback.Session, f playback.Fragment) time.Time {
	if sess.Producer {
		return f.ProducerTime
	}
	return f.ServerTime
}

// Window lists the fragments a session's playlist shows now: ON_DEMAND the
// oldest MaxFragments of its range (static), LIVE_REPLAY those of its
// range so far (growing; ended once the range's end has passed or the
// limit is reached), LIVE the newest MaxFragments of the stream. A session
// whose range holds nothing yet gives an empty window, not an error.
func (s *Server) Window(ctx context.Context, sess playback.Session) (Window, error) {
	var (
		w   Window
		err error
	)
	switch mode(sess) {
	case ModeOnDemand, ModeLiveReplay:
		w, err = s.rangeWindow(ctx, sess)
	case ModeLive:
		w, err = s.liveWindow(ctx, sess)
	default:
		return Window{}, errorf(http.StatusBadRequest, "unknown playback mode %q", sess.Mode)
	}
	if err != nil {
		return Window{}, notFound(err, "fragments of %s", sess.Stream)
	}
	markDiscontinuities(w.Entries, DiscontinuityMode(sess))
	if mode(sess) == ModeLive {
		w.DiscSequence = s.disc.sequence(sess.Stream+"\x00"+DiscontinuityMode(sess), w.Entries, s.cfg.Now())
	}
	return w, nil
}

// appendDedup appends f, replacing the last entry when both start at the
// same producer time (the newer fragment wins, as in KVS).
func appendDedup(es []Entry, f playback.Fragment, r ref) []Entry {
	e := Entry{Fragment: f, Ref: r.String()}
	if n := len(es); n > 0 && es[n-1].ProducerTime.Equal(f.ProducerTime) {
		es[n-1] = e
		return es
	}
	return append(es, e)
}

func (s *Server) rangeWindow(ctx context.Context, sess playback.Session) (Window, error) {
	n := limit(sess)
	onDemand := mode(sess) == ModeOnDemand
	var es []Entry
	full := false
	err := s.src.Fragments(ctx, sess.Stream, fragments.Selector{Producer: sess.Producer, Start: sess.Start, End: sess.End}, func(f playback.Fragment) bool {
		r := idRef(f) // stable while a growing playlist is reloaded
		if onDemand {
			r = numberRef(f)
		}
		es = appendDedup(es, f, r)
		if len(es) > n {
			es, full = es[:n], true
			return false
		}
		return true
	})
	if err != nil {
		return Window{}, err
	}
	for i := range es {
		es[i].MSN = uint64(i)
	}
	w := Window{Entries: es, Static: onDemand, Ended: onDemand || full || len(es) == n}
	if !w.Ended && !sess.End.IsZero() {
		w.Ended = s.replayEnded(sess)
	}
	return w, nil
}

// replayEnded reports whether nothing can be added to a replay any more:
// its end has passed and no publisher is connected, or the live edge
// already has a fragment after it.
func (s *Server) replayEnded(sess playback.Session) bool {
	if s.cfg.Now().Before(sess.End) {
		return false
	}
	v := s.src.Hub().View(sess.Stream)
	if !v.Live {
		return true
	}
	for _, lf := range v.Fragments {
		if c := lf.Closed; c != nil {
			t := c.ServerStart
			if sess.Producer {
				t = c.ProducerStart
			}
			if t.After(sess.End) {
				return true
			}
		}
	}
	return false
}

// liveWindow lists the newest fragments. Their MSNs are their index
// positions (the JetStream sequence of their index records), which every
// node and every reload agree on; fragments not yet indexed continue from
// the last indexed one.
func (s *Server) liveWindow(ctx context.Context, sess playback.Session) (Window, error) {
	ring, _, err := newest(ctx, s.src, sess, s.cfg.Now())
	if err != nil {
		return Window{}, err
	}
	base, ok := uint64(0), false
	for i, e := range ring {
		if m, isSeq := streams.SequenceMessage(e.Number); isSeq && m >= uint64(i) {
			base, ok = m-uint64(i), true
			break
		}
	}
	if !ok && len(ring) > 0 {
		// Nothing in the window is indexed yet: continue after the index.
		if last, has, err := s.src.Library().Last(ctx, sess.Stream); err == nil && has {
			if m, isSeq := streams.SequenceMessage(last.Number); isSeq {
				base = m + 1
			}
		}
	}
	for i := range ring {
		ring[i].MSN = base + uint64(i)
	}
	return Window{Entries: ring}, nil
}

// newest lists the newest fragments of a LIVE session at now (at most
// its limit, none recorded before its bound, Session.Since), oldest first,
// and the server time from which it looked.
func newest(ctx context.Context, src *playback.Source, sess playback.Session, now time.Time) ([]Entry, time.Time, error) {
	n := limit(sess)
	since := now.Add(-max(liveRecent, time.Duration(n)*10*time.Second))
	if sess.Since.After(since) {
		since = sess.Since
	}
	ring := make([]Entry, 0, n+1)
	err := src.Fragments(ctx, sess.Stream, fragments.Selector{Start: since}, func(f playback.Fragment) bool {
		ring = appendDedup(ring, f, idRef(f))
		if len(ring) > n {
			copy(ring, ring[1:])
			ring = ring[:n]
		}
		return true
	})
	return ring, since, err
}

// LiveSince is the bound (Session.Since) of a LIVE session created at now:
// the server time of the oldest fragment its first playlist could list,
// or, when it would list none yet, the oldest time it looks back to (a
// fragment still being written when the session starts began later). A
// session of another mode has no such bound (zero): its range bounds it.
// Errors are the source's.
func LiveSince(ctx context.Context, src *playback.Source, sess playback.Session, now time.Time) (time.Time, error) {
	if mode(sess) != ModeLive {
		return time.Time{}, nil
	}
	ring, since, err := newest(ctx, src, sess, now)
	if err != nil {
		return time.Time{}, err
	}
	if len(ring) > 0 {
		return ring[0].ServerTime, nil
	}
	return since, nil
}

// markDiscontinuities sets Disc by the session's mode: ALWAYS between all
// fragments; ON_DISCONTINUITY where the writer marked one (a new session,
// a clock jump) or consecutive fragments leave a gap or overlap over
// 50 ms; NEVER nowhere. In every mode a change of init segment (codec
// parameters) is a discontinuity, as HLS requires.
func markDiscontinuities(es []Entry, mode string) {
	for i := range es {
		if i == 0 {
			es[i].Disc = false
			continue
		}
		prev, f := es[i-1], es[i]
		gap := f.ProducerTime.Sub(prev.End())
		switch {
		case f.InitID != prev.InitID:
			es[i].Disc = true
		case mode == DiscAlways:
			es[i].Disc = true
		case mode == DiscOn:
			es[i].Disc = f.Discontinuity || gap > gapLimit || gap < -gapLimit
		default:
			es[i].Disc = false
		}
	}
}
