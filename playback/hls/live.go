package hls

import (
	"fmt"
	"time"

	"github.com/sluice-dev/sluice/fragments"
)

// livePos is where a live playlist ends: the MSN of its last complete
// segment (complete false when it has none) and of the segment being
// written, with how many of its parts are listed (tail false when none).
type livePos struct {
	last     uint64
	complete bool
	tail     uint64
	tailPart int
	hasTail  bool
}

// newest is the MSN of the newest segment the playlist shows, complete or
// not.
func (p livePos) newest() uint64 {
	if p.hasTail {
		return p.tail
	}
	return p.last
}

// reached reports whether the playlist holds segment msn complete, or (for
// part >= 0) part of segment msn, or anything later.
func (p livePos) reached(msn uint64, part int) bool {
	if p.complete && p.last >= msn {
		return true
	}
	return part >= 0 && p.hasTail && (p.tail > msn || p.tail == msn && p.tailPart > part)
}

// buildLive makes the live playlist of a view whose usable fragments were
// numbered nums: all closed fragments as segments; for LL-HLS (low) also
// the parts of the newest PartSegments segments whose parts are all held,
// the parts of the open fragment and a preload hint for the next part
// (while a publisher is connected). URIs are relative to the playlist:
// seg.mp4, part.mp4, init.mp4.
func (s *Server) buildLive(st *liveState, v fragments.View, nums []*liveNum, nextPart uint64, low bool) (*media, livePos) {
	target, pt := st.targets()
	m := &media{Low: low, DateTimes: true}
	var pos livePos
	var frags []*fragments.LiveFragment
	for i := range v.Fragments {
		if usable(v, i) {
			frags = append(frags, v.Fragments[i])
		}
	}
	closed := len(frags)
	if closed > 0 && frags[closed-1].Closed == nil {
		closed--
	}
	lastInit := ""
	for i, lf := range frags {
		n := nums[i]
		if i == 0 {
			m.Sequence, m.DiscSequence = n.msn, n.cc
		}
		disc := n.disc && i > 0
		mapURI := ""
		if lf.Init.ID != lastInit {
			mapURI = "init.mp4?i=" + lf.Init.ID
			lastInit = lf.Init.ID
		}
		var parts []part
		if low && i >= closed-s.cfg.PartSegments {
			parts = liveParts(lf, n)
		}
		if lf.Closed == nil {
			if !low {
				break
			}
			m.Tail, m.TailMap, m.TailDisc, m.TailDateTime = parts, mapURI, disc, lf.Parts[0].Start
			pos.tail, pos.tailPart, pos.hasTail = n.msn, len(parts), true
			var d time.Duration
			for _, p := range lf.Parts {
				d += p.Duration
			}
			target = max(target, d)
			break
		}
		m.Segments = append(m.Segments, segment{Duration: lf.Closed.Duration, URI: "seg.mp4?f=" + liveRef(lf).String(),
			Map: mapURI, Discontinuity: disc, DateTime: lf.Closed.ProducerStart, Parts: parts})
		pos.last, pos.complete = n.msn, true
	}
	if target <= 0 {
		target = 2 * time.Second
	}
	if pt <= 0 {
		pt = 200 * time.Millisecond
	}
	m.Target, m.PartTarget = target, pt
	// Without a publisher here the playlist is over: the session ended,
	// or the stream is recorded elsewhere now (a mirror of it, package
	// edge, then replaces this state). Players stop reloading.
	m.Ended = !v.Live
	if low && v.Live {
		m.PreloadHint = fmt.Sprintf("part.mp4?id=%d", nextPart)
	}
	return m, pos
}

// liveParts lists a live fragment's parts, or none when some part's bytes
// are no longer held (players then load the whole segment).
func liveParts(lf *fragments.LiveFragment, n *liveNum) []part {
	out := make([]part, 0, len(lf.Parts))
	for j, p := range lf.Parts {
		if !p.Held() || j >= len(n.parts) {
			return nil
		}
		out = append(out, part{Duration: p.Duration, URI: fmt.Sprintf("part.mp4?id=%d", n.parts[j]), Independent: p.Independent})
	}
	return out
}
