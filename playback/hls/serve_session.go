package hls

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/sluice-dev/sluice/playback"
)

// Paths of a KVS streaming session, relative to the server's base URL.
const (
	PathMaster  = "getHLSMasterPlaylist.m3u8"
	PathMedia   = "getHLSMediaPlaylist.m3u8"
	PathInit    = "getMP4InitFragment.mp4"
	PathMP4     = "getMP4MediaFragment.mp4"
	PathTS      = "getTSFragment.ts"
	PathDASHMPD = "getDASHManifest.mpd"
)

// SessionLinks returns the URL names of a session's media (relative to
// the playlist or manifest, each with the session token). Shared with
// DASH manifests.
func SessionLinks(token string, ts bool) (segment func(e Entry) string, init func(e Entry, withRef bool) string) {
	tok := "SessionToken=" + url.QueryEscape(token)
	segment = func(e Entry) string {
		if ts {
			return PathTS + "?FragmentNumber=" + url.QueryEscape(e.Ref) + "&" + tok
		}
		return PathMP4 + "?FragmentNumber=" + url.QueryEscape(e.Ref) + "&" + tok
	}
	init = func(e Entry, withRef bool) string {
		u := PathInit + "?InitID=" + url.QueryEscape(e.InitID)
		if withRef {
			u += "&FragmentNumber=" + url.QueryEscape(e.Ref)
		}
		return u + "&" + tok
	}
	return segment, init
}

// ServeSession serves one KVS-shaped resource of a verified session (the
// caller checked the token, which it passes on for the URLs it names):
// name is PathMaster, PathMedia, PathInit, PathMP4 or PathTS. Every
// fragment read must belong to the session's stream and, for ON_DEMAND
// and LIVE_REPLAY, start within its time range.
func (s *Server) ServeSession(w http.ResponseWriter, r *http.Request, sess playback.Session, token, name string) {
	q := r.URL.Query()
	ts := sess.Container == ContainerTS
	switch name {
	case PathMaster:
		win, err := s.Window(r.Context(), sess)
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		v := variantOf(win, PathMedia+"?SessionToken="+url.QueryEscape(token))
		Write(w, typePlaylist, cachePlaylist, []byte(masterPlaylist(v)))
	case PathMedia:
		win, err := s.Window(r.Context(), sess)
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		seg, init := SessionLinks(token, ts)
		Write(w, typePlaylist, cachePlaylist, []byte(renderWindow(win, sess, links{segment: seg, init: init}, ts).String()))
	case PathInit:
		b, err := s.initOf(r.Context(), sess, q.Get("InitID"), q.Get("FragmentNumber"))
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		Write(w, typeMP4, cacheMedia, b)
	case PathMP4, PathTS:
		b, err := s.segment(r.Context(), sess, q.Get("FragmentNumber"), name == PathTS)
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		ct := typeMP4
		if name == PathTS {
			ct = typeTS
		}
		Write(w, ct, cacheMedia, b)
	default:
		s.Fail(w, r, errorf(http.StatusNotFound, "no such session resource %q", name))
	}
}

// locateIn finds a fragment by ref for a session: in its stream, and in its
// time range when it has one (ON_DEMAND, LIVE_REPLAY), or at or after its
// bound (LIVE, Session.Since). A fragment of the stream outside is
// refused with 403: the session does not grant it.
func (s *Server) locateIn(ctx context.Context, sess playback.Session, refStr string) (located, error) {
	rf, ok := parseRef(refStr)
	if !ok {
		return located{}, errorf(http.StatusBadRequest, "FragmentNumber %q is not a fragment of this server", refStr)
	}
	l, err := s.locate(ctx, sess.Stream, rf)
	if err != nil {
		return located{}, err
	}
	// Times in URLs and the index are kept to the millisecond.
	const slack = time.Millisecond
	if mode(sess) == ModeLive {
		if t := l.meta().ServerTime; !sess.Since.IsZero() && t.Before(sess.Since.Add(-slack)) {
			return located{}, errorf(http.StatusForbidden, "fragment %s was recorded at %s, before this LIVE session began (its first fragment is from %s)",
				refStr, t.UTC().Format(time.RFC3339Nano), sess.Since.UTC().Format(time.RFC3339Nano))
		}
		return l, nil
	}
	if t := selected(sess, l.meta()); !sess.Start.IsZero() && t.Before(sess.Start.Add(-slack)) || !sess.End.IsZero() && t.After(sess.End.Add(slack)) {
		return located{}, errorf(http.StatusForbidden, "fragment %s (at %s) is outside the session's time range", refStr, t.UTC().Format(time.RFC3339Nano))
	}
	return l, nil
}

// segment returns a fragment's media, as fMP4 or (ts) MPEG-TS.
func (s *Server) segment(ctx context.Context, sess playback.Session, refStr string, ts bool) ([]byte, error) {
	l, err := s.locateIn(ctx, sess, refStr)
	if err != nil {
		return nil, err
	}
	b, err := s.media(ctx, sess.Stream, l)
	if err != nil || !ts {
		return b, err
	}
	init, err := s.init(ctx, sess.Stream, l)
	if err != nil {
		return nil, err
	}
	return s.cfg.TS(init, b)
}

// initOf returns init segment id: that of fragment refStr when given (it
// must be id), else from the live edge or the session's window.
func (s *Server) initOf(ctx context.Context, sess playback.Session, id, refStr string) ([]byte, error) {
	if refStr != "" {
		l, err := s.locateIn(ctx, sess, refStr)
		if err != nil {
			return nil, err
		}
		if got := l.meta().InitID; id != "" && got != id {
			return nil, errorf(http.StatusNotFound, "fragment %s uses init segment %s, not %s", refStr, got, id)
		}
		return s.init(ctx, sess.Stream, l)
	}
	if id == "" {
		return nil, errorf(http.StatusBadRequest, "InitID or FragmentNumber is required")
	}
	for _, lf := range s.src.Hub().View(sess.Stream).Fragments {
		if lf.Init != nil && lf.Init.ID == id {
			return lf.Init.Bytes, nil
		}
	}
	win, err := s.Window(ctx, sess)
	if err != nil {
		return nil, err
	}
	for _, e := range win.Entries {
		if e.InitID == id {
			return s.initOf(ctx, sess, id, e.Ref)
		}
	}
	return nil, errorf(http.StatusNotFound, "init segment %s is not used by the session's fragments", id)
}

// replayPlaylist is the VOD playlist of ?start=&end= (RFC 3339, server
// timestamps) for the simple URLs.
func (s *Server) replayPlaylist(ctx context.Context, stream string, q url.Values) (string, error) {
	start, err1 := time.Parse(time.RFC3339Nano, q.Get("start"))
	end, err2 := time.Parse(time.RFC3339Nano, q.Get("end"))
	if err1 != nil || err2 != nil || !start.Before(end) {
		return "", errorf(http.StatusBadRequest, "replay needs ?start= and ?end= as RFC 3339 times, start before end (got %q, %q)", q.Get("start"), q.Get("end"))
	}
	sess := playback.Session{Stream: stream, Mode: ModeOnDemand, Start: start, End: end, Discontinuity: DiscOn, MaxFragments: MaxFragments}
	win, err := s.Window(ctx, sess)
	if err != nil {
		return "", err
	}
	if len(win.Entries) == 0 {
		return "", errorf(http.StatusNotFound, "stream %s has no fragments between %s and %s", stream, q.Get("start"), q.Get("end"))
	}
	l := links{
		segment: func(e Entry) string { return "seg.mp4?f=" + url.QueryEscape(e.Ref) },
		init: func(e Entry, _ bool) string {
			return "init.mp4?i=" + url.QueryEscape(e.InitID) + "&f=" + url.QueryEscape(e.Ref)
		},
	}
	return renderWindow(win, sess, l, false).String(), nil
}
