package relay

import (
	"sync"
	"time"

	"github.com/sluice-dev/sluice/fragments"
)

// Publisher is one publishing session of a stream in the relay. Write is
// called from the session's writer (one goroutine at a time); the other
// methods from anywhere. A nil *Publisher does nothing.
type Publisher struct {
	r      *Relay
	st     *stream
	tracks []fragments.Track
	video  int // index of the first video track, -1 without video

	// guarded by st.mu
	gop      []fragments.Unit // cached keyframe (with parameter sets) and the video units after it
	gopBytes int
	gopFull  bool // past the bounds: only gop[0] is served
	params   paramSets
	lastPTS  int64 // of the last video unit
	sawVideo bool
	reorder  bool // video units came out of presentation order (B-frames)

	src GOPSource // gives the group of pictures instead of gop; set before the first Write

	reqMu     sync.Mutex
	requester func()
	lastReq   time.Time
}

func newPublisher(r *Relay, name string, tracks []fragments.Track) *Publisher {
	p := &Publisher{r: r, tracks: append([]fragments.Track(nil), tracks...), video: -1}
	for i, t := range tracks {
		if t.Codec != nil && t.Codec.IsVideo() {
			p.video = i
			p.params = paramsOf(t.Codec)
			break
		}
	}
	return p
}

// Write relays one access unit to the subscriptions. It never blocks on
// them. The unit must not be modified afterwards.
func (p *Publisher) Write(u fragments.Unit) {
	if p == nil || u.Track < 0 || u.Track >= len(p.tracks) {
		return
	}
	isVideo := u.Track == p.video
	key := !isVideo || isKeyframe(p.tracks[p.video].Codec, u.Data)
	st := p.st
	needKey := false
	st.mu.Lock()
	if st.pub != p {
		st.mu.Unlock()
		return
	}
	if isVideo {
		p.reorder = p.reorder || p.sawVideo && u.PTS < p.lastPTS
		p.lastPTS, p.sawVideo = u.PTS, true
		p.params.update(u.Data)
		if key {
			u.Data = p.params.complete(u.Data)
		}
		if p.src == nil {
			p.cache(u, key)
		}
	}
	for s := range st.subs {
		if s.push(u, isVideo, key) {
			needKey = true
		}
	}
	st.mu.Unlock()
	if needKey {
		p.requestKeyframe()
	}
}

// cache keeps the current group of pictures, within the publisher's
// bounds and the relay's (Config.CacheBytes, all streams together; the
// keyframe is always kept). Called with st.mu held.
func (p *Publisher) cache(u fragments.Unit, key bool) {
	if key {
		p.drop(0)
		p.gopFull = false
	} else if len(p.gop) == 0 || p.gopFull {
		return
	}
	n := unitBytes(u)
	if len(p.gop) > 0 && (len(p.gop)+1 > p.r.cfg.GOPUnits || p.gopBytes+n > p.r.cfg.GOPBytes ||
		p.r.cached.Load()+int64(n) > p.r.cfg.CacheBytes) {
		p.gopFull = true
		p.drop(1)
		return
	}
	p.gop = append(p.gop, u)
	p.gopBytes += n
	p.r.cached.Add(int64(n))
}

// drop forgets the cached units from index keep on. Called with st.mu
// held.
func (p *Publisher) drop(keep int) {
	if keep >= len(p.gop) {
		return
	}
	n := 0
	for _, u := range p.gop[keep:] {
		n += unitBytes(u)
	}
	clear(p.gop[keep:])
	p.gop = p.gop[:keep]
	p.gopBytes -= n
	p.r.cached.Add(-int64(n))
}

// A GOPSource gives a new subscription the group of pictures of a
// publisher that does not cache it: package ingest reads it back from the
// recording (its parts, in memory or spilled to the spool), so that a
// stream's pictures are not held twice.
type GOPSource interface {
	// GOP calls fn with the video units from the last keyframe on (none
	// when there is no keyframe to start at), as they were written to the
	// Publisher: no Write may run until fn returns. fn takes the relay's
	// locks: GOP must not be called with them held.
	GOP(fn func(units []fragments.Unit))
}

// SetGOPSource makes the publisher take the group of pictures that new
// subscriptions start with from src, instead of caching it. Call it
// before the first Write.
func (p *Publisher) SetGOPSource(src GOPSource) {
	if p == nil {
		return
	}
	p.st.mu.Lock()
	p.src = src
	p.st.mu.Unlock()
}

// bound applies the publisher's bounds to a group of pictures from its
// GOPSource: past Config.GOPUnits or GOPBytes only the keyframe is sent,
// as for a cached one; the keyframe gets the parameter sets. Called with
// st.mu held.
func (p *Publisher) bound(units []fragments.Unit) []fragments.Unit {
	if len(units) == 0 {
		return nil
	}
	n := 0
	for _, u := range units {
		n += unitBytes(u)
	}
	if len(units) > p.r.cfg.GOPUnits || n > p.r.cfg.GOPBytes {
		units = units[:1]
	}
	units[0].Data = p.params.complete(units[0].Data)
	return units
}

// SetKeyframeRequester sets the function that asks the source for a
// keyframe (WHIP: a PLI to the browser), or nil when it cannot be asked
// (RTSP). The relay calls it, at most once per Config.KeyframeInterval,
// when a subscription needs a keyframe that is not cached; it is called
// from Write and Subscribe and must not block.
func (p *Publisher) SetKeyframeRequester(fn func()) {
	if p == nil {
		return
	}
	p.reqMu.Lock()
	p.requester = fn
	p.reqMu.Unlock()
	st := p.st
	st.mu.Lock()
	waiting := false
	if st.pub == p {
		for s := range st.subs {
			waiting = waiting || s.waitingKey()
		}
	}
	st.mu.Unlock()
	if waiting {
		p.requestKeyframe()
	}
}

func (p *Publisher) requestKeyframe() {
	p.reqMu.Lock()
	fn := p.requester
	if fn == nil || time.Since(p.lastReq) < p.r.cfg.KeyframeInterval {
		p.reqMu.Unlock()
		return
	}
	p.lastReq = time.Now()
	p.reqMu.Unlock()
	fn()
}

// Current reports whether p still publishes its stream (it was neither
// closed nor replaced by a later Publish).
func (p *Publisher) Current() bool {
	if p == nil {
		return false
	}
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	return p.st.pub == p
}

// Close ends the session: subscriptions receive an End event (and keep
// following the stream: a later Publish sends them a Start). Safe to call
// more than once.
func (p *Publisher) Close() {
	if p == nil {
		return
	}
	st := p.st
	st.mu.Lock()
	if st.pub == p {
		st.pub = nil
		for s := range st.subs {
			s.end()
		}
	}
	p.drop(0)
	p.gop = nil
	st.mu.Unlock()
	p.reqMu.Lock()
	p.requester = nil
	p.reqMu.Unlock()
	p.r.release(st)
}

// currentTracks returns the tracks with the video track's parameter sets
// as last seen in band. Called with st.mu held.
func (p *Publisher) currentTracks() []fragments.Track {
	out := append([]fragments.Track(nil), p.tracks...)
	if p.video >= 0 {
		out[p.video].Codec = p.params.codec(out[p.video].Codec)
	}
	return out
}

func unitBytes(u fragments.Unit) int {
	n := 0
	for _, b := range u.Data {
		n += len(b)
	}
	return n
}
