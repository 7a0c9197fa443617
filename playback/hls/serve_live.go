package hls

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sluice-dev/sluice/playback"
)

// ServeLive serves the simple, stable URLs of a stream (no session token;
// the caller authorizes), file being the last path element:
//
//	index.m3u8   live LL-HLS playlist (blocking reload: _HLS_msn, _HLS_part)
//	plain.m3u8   live playlist without parts
//	replay.m3u8  VOD playlist of ?start=&end= (RFC 3339, server timestamps)
//	init.mp4     ?i=<init ID>[&f=<fragment>]
//	seg.mp4      ?f=<fragment>
//	part.mp4     ?id=<part ID> (blocks for the next part, as LL-HLS hints)
func (s *Server) ServeLive(w http.ResponseWriter, r *http.Request, stream, file string) {
	q := r.URL.Query()
	var (
		body []byte
		err  error
	)
	switch file {
	case "index.m3u8", "plain.m3u8":
		var pl string
		if pl, err = s.livePlaylist(r.Context(), stream, file == "index.m3u8", q); err == nil {
			Write(w, typePlaylist, cachePlaylist, []byte(pl))
			return
		}
	case "replay.m3u8":
		var pl string
		if pl, err = s.replayPlaylist(r.Context(), stream, q); err == nil {
			Write(w, typePlaylist, cachePlaylist, []byte(pl))
			return
		}
	case "init.mp4":
		if body, err = s.liveInit(r.Context(), stream, q.Get("i"), q.Get("f")); err == nil {
			Write(w, typeMP4, cacheMedia, body)
			return
		}
	case "seg.mp4":
		if body, err = s.segment(r.Context(), playback.Session{Stream: stream}, q.Get("f"), false); err == nil {
			Write(w, typeMP4, cacheMedia, body)
			return
		}
	case "part.mp4":
		if body, err = s.livePart(r.Context(), stream, q.Get("id")); err == nil {
			Write(w, typeMP4, cacheMedia, body)
			return
		}
	default:
		err = errorf(http.StatusNotFound, "no such HLS resource %q (index.m3u8, plain.m3u8, replay.m3u8)", file)
	}
	s.Fail(w, r, err)
}

// blockTimeout bounds a blocking request: three target durations (RFC
// 8216bis 6.2.5.2), at most MaxBlock.
func (s *Server) blockTimeout(target time.Duration) time.Duration {
	return min(3*max(target, time.Second), s.cfg.MaxBlock)
}

// livePlaylist returns the live playlist (LL-HLS when low), holding the
// request while _HLS_msn/_HLS_part ask for a segment or part not yet there.
func (s *Server) livePlaylist(ctx context.Context, stream string, low bool, q url.Values) (string, error) {
	msn, part, block, err := blockParams(q, low)
	if err != nil {
		return "", err
	}
	st := s.liveState(stream)
	hub := s.src.Hub()
	var timeout <-chan time.Time
	for range 10000 { // each round waits for a change of the stream; bounded by the timeout
		v := hub.View(stream)
		nums, next := st.number(v, s.cfg.Now())
		if len(nums) == 0 {
			return "", errorf(http.StatusNotFound, "stream %s has no live media (nothing published recently on this server)", stream)
		}
		m, pos := s.buildLive(st, v, nums, next, low)
		if !block && low && v.Live && !m.hasParts() && timeout == nil {
			// A stream nobody watched holds no closed fragment's parts,
			// and a fragment that just opened has none yet: wait for its
			// first part (once, briefly), so that a player's first
			// playlist shows it parts to start from.
			_, pt := st.targets()
			t := time.NewTimer(2 * max(pt, 50*time.Millisecond))
			defer t.Stop()
			timeout = t.C
			select {
			case <-v.Updated:
				continue
			case <-timeout:
			case <-ctx.Done():
				return "", ctx.Err()
			}
			continue
		}
		if !block || pos.reached(msn, part) {
			return m.String(), nil
		}
		if msn > pos.newest()+2 || part >= 0 && msn == pos.tail && pos.hasTail && part > pos.tailPart+3 {
			return "", errorf(http.StatusBadRequest, "_HLS_msn=%d _HLS_part=%d is too far beyond the playlist's end (segment %d, part %d)", msn, part, pos.newest(), pos.tailPart)
		}
		if timeout == nil {
			t := time.NewTimer(s.blockTimeout(m.Target))
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-v.Updated:
		case <-timeout:
			return "", errorf(http.StatusServiceUnavailable, "segment %d part %d did not appear in time", msn, part)
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	return "", errorf(http.StatusServiceUnavailable, "segment %d part %d did not appear", msn, part)
}

// blockParams reads _HLS_msn and _HLS_part; part is -1 when absent.
func blockParams(q url.Values, low bool) (msn uint64, part int, block bool, err error) {
	part = -1
	ms, ps := q.Get("_HLS_msn"), q.Get("_HLS_part")
	if ms == "" || !low {
		if ps != "" && low {
			return 0, -1, false, errorf(http.StatusBadRequest, "_HLS_part without _HLS_msn")
		}
		return 0, -1, false, nil
	}
	if msn, err = strconv.ParseUint(ms, 10, 64); err != nil {
		return 0, -1, false, errorf(http.StatusBadRequest, "_HLS_msn %q is not a media sequence number", ms)
	}
	if ps != "" {
		p, err := strconv.ParseUint(ps, 10, 31)
		if err != nil {
			return 0, -1, false, errorf(http.StatusBadRequest, "_HLS_part %q is not a part index", ps)
		}
		part = int(p)
	}
	return msn, part, true, nil
}

// livePart returns part id of the live edge, waiting (bounded) for it when
// it is the next part, which the playlist's preload hint names.
func (s *Server) livePart(ctx context.Context, stream, idStr string) ([]byte, error) {
	id, err := strconv.ParseUint(idStr, 10, 64)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "part id %q is not a number", idStr)
	}
	st := s.liveState(stream)
	hub := s.src.Hub()
	var timeout <-chan time.Time
	for range 10000 {
		v := hub.View(stream)
		st.number(v, s.cfg.Now())
		loc, ok, hinted := st.part(id)
		if ok {
			if lf, ok := s.src.LiveFragment(stream, loc.frag.session, loc.frag.index); ok && loc.part < len(lf.Parts) {
				if b, err := lf.Parts[loc.part].Data(); err == nil {
					return b, nil
				}
			}
			return nil, errorf(http.StatusNotFound, "part %d of %s is no longer held (load its segment)", id, stream)
		}
		if !hinted || !v.Live {
			return nil, errorf(http.StatusNotFound, "no part %d of %s", id, stream)
		}
		if timeout == nil {
			target, _ := st.targets()
			t := time.NewTimer(s.blockTimeout(target))
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-v.Updated:
		case <-timeout:
			return nil, errorf(http.StatusServiceUnavailable, "part %d of %s did not appear in time", id, stream)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return nil, errorf(http.StatusServiceUnavailable, "part %d of %s did not appear", id, stream)
}

// liveInit returns an init segment by ID: from the live edge, else from
// the fragment f (which must use it).
func (s *Server) liveInit(ctx context.Context, stream, id, f string) ([]byte, error) {
	for _, lf := range s.src.Hub().View(stream).Fragments {
		if lf.Init != nil && lf.Init.ID == id {
			return lf.Init.Bytes, nil
		}
	}
	if f == "" {
		return nil, errorf(http.StatusNotFound, "init segment %q of %s is not on the live edge", id, stream)
	}
	return s.initOf(ctx, playback.Session{Stream: stream}, id, f)
}
