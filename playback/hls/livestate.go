package hls

import (
	"sync"
	"time"

	"github.com/sluice-dev/sluice/fragments"
)

// liveState numbers one stream's live edge for playlists that players
// reload: each fragment gets a media sequence number (MSN) and a
// discontinuity sequence number (cc) when it is first seen (open or
// closed), and each part a part ID, all kept until the fragment leaves the
// hub. Numbers only grow: a reconnecting publisher's fragments continue
// the count, after a discontinuity.
//
// The counters are seeded from the clock (MSNs at 10 a second, part IDs at
// 100 a second: faster than fragments and parts are ever cut), so that a
// state made anew (after a restart, or after it was evicted) never numbers
// below an older one. Safe for concurrent use.
type liveState struct {
	mu         sync.Mutex
	nextMSN    uint64
	nextPart   uint64
	frags      map[fragKey]*liveNum
	parts      map[uint64]partLoc
	target     time.Duration // longest fragment seen
	partTarget time.Duration // longest part seen
	last       *liveNum      // the newest fragment numbered
	used       time.Time
}

type fragKey struct {
	session string
	index   int
}

// liveNum is what liveState assigned to one fragment.
type liveNum struct {
	msn   uint64
	cc    uint64
	disc  bool // EXT-X-DISCONTINUITY before it (new session or init)
	init  string
	sess  string
	parts []uint64
}

type partLoc struct {
	frag fragKey
	part int
}

func newLiveState(now time.Time) *liveState {
	ms := uint64(max(now.UnixMilli(), 0))
	return &liveState{nextMSN: ms / 100, nextPart: ms / 10, frags: map[fragKey]*liveNum{}, parts: map[uint64]partLoc{}, used: now}
}

// usable reports whether a fragment of the view takes part in playlists:
// every closed fragment, and the open one only as the newest fragment of
// the current session (a fragment left open by a publisher that vanished
// is skipped).
func usable(v fragments.View, i int) bool {
	lf := v.Fragments[i]
	if lf.Closed != nil {
		return true
	}
	return i == len(v.Fragments)-1 && lf.Session == v.Session && len(lf.Parts) > 0
}

// number assigns numbers to the view's new fragments and parts, forgets
// those no longer in it, and returns the numbers of the usable fragments
// in view order (snapshots, the caller's own), and the ID the next part
// will get.
func (st *liveState) number(v fragments.View, now time.Time) ([]*liveNum, uint64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.used = now
	out := make([]*liveNum, 0, len(v.Fragments))
	keep := make(map[fragKey]bool, len(v.Fragments))
	for i, lf := range v.Fragments {
		if !usable(v, i) {
			continue
		}
		k := fragKey{lf.Session, lf.Index}
		keep[k] = true
		n := st.frags[k]
		if n == nil {
			n = &liveNum{msn: st.nextMSN, init: lf.Init.ID, sess: lf.Session}
			st.nextMSN++
			if p := st.last; p != nil {
				n.disc = p.sess != n.sess || p.init != n.init
				n.cc = p.cc
				if n.disc {
					n.cc++
				}
			}
			st.frags[k] = n
			st.last = n
		}
		for j := len(n.parts); j < len(lf.Parts); j++ {
			n.parts = append(n.parts, st.nextPart)
			st.parts[st.nextPart] = partLoc{frag: k, part: j}
			st.nextPart++
			st.partTarget = max(st.partTarget, lf.Parts[j].Duration)
		}
		if lf.Closed != nil {
			st.target = max(st.target, lf.Closed.Duration)
		}
		c := *n // callers read it unlocked while later calls append parts
		c.parts = n.parts[:len(n.parts):len(n.parts)]
		out = append(out, &c)
	}
	for k, n := range st.frags {
		if !keep[k] {
			for _, id := range n.parts {
				delete(st.parts, id)
			}
			delete(st.frags, k)
		}
	}
	return out, st.nextPart
}

// part returns where part id is, and whether it is known; hinted is true
// for the next part ID, the one the playlists' preload hint names.
func (st *liveState) part(id uint64) (loc partLoc, ok, hinted bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	loc, ok = st.parts[id]
	return loc, ok, id == st.nextPart
}

// targets returns the longest fragment and part durations seen.
func (st *liveState) targets() (time.Duration, time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.target, st.partTarget
}
