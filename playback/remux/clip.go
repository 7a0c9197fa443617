package remux

import (
	"bytes"
	"fmt"
	"io"
	"time"
)

// MaxGap is the longest jump in media time between consecutive fragments
// that a clip keeps as it is; at a longer one (a gap between two
// publishing sessions, lost media) the later media continues right after
// the earlier, so that the clip plays through without a frozen stretch.
const MaxGap = time.Second

// Clip writes a fragmented MP4 (ISO/IEC 14496-12, CMAF-like: the init
// segment, then one moof+mdat per source fragment) of the time range
// [start, end) of a stream. It is fed the stream's fragments in time order
// with Add and writes each one as soon as it can: only the fragments since
// the last keyframe before start are held, so memory stays about one GOP
// whatever the range.
//
// The clip starts at the last video keyframe at or before start (or, when
// there is none, at the first one after it) and ends before the first
// sample at or after end; samples outside are trimmed, in every track.
// Times are rebased: the first keyframe decodes at 0. Gaps longer than
// MaxGap are closed. A fragment whose init segment has other tracks or
// codec parameters ends the clip (ErrInitChanged).
//
// A Clip is not safe for concurrent use.
type Clip struct {
	w          io.Writer
	start, end int64 // ns since the epoch on the range's clock

	initBytes []byte
	init      *Media // tracks, no samples
	held      []*clipPiece
	writing   bool
	done      bool
	seq       uint32

	// Reused from fragment to fragment: parsed fragments no longer held,
	// the samples of each track being written, the tracks of the part
	// being written and its moof.
	spare  []*Media
	out    [][]Sample
	part   []partTrack
	header []byte

	// Rebasing: output ticks of track i = media ticks - shift[i].
	shiftNs    int64
	shift      []int64
	next       []int64 // per track: output ticks at which its next sample may start
	leaderEnd  int64   // media ns at which the last written leader sample ends
	hasLeader  bool    // a leader sample was written
	origin     int64   // media ns of the first keyframe (while holding)
	originSet  bool
	written    int64
	fragsAdded int
	overlaps   bool // a held sample ends after start
}

// clipPiece is one source fragment: its samples and the offset of the
// range's clock from its media times.
type clipPiece struct {
	m      *Media
	offset int64 // ns: clock time = media time + offset
}

// NewClip returns a Clip of [start, end) writing to w. The times are on
// the clock that Add's at is on (producer or server time).
func NewClip(w io.Writer, start, end time.Time) *Clip {
	return &Clip{w: w, start: start.UnixNano(), end: end.UnixNano()}
}

// Done reports whether the clip has reached its end (or an init segment
// change): later fragments would add nothing.
func (c *Clip) Done() bool { return c.done }

// Written is the number of bytes written so far.
func (c *Clip) Written() int64 { return c.written }

// Add gives the clip the next fragment of the stream: its init segment,
// its bytes (moof+mdat pairs) and at, the time at which the fragment
// starts (its first video sample) on the clock of the range. at ties the
// fragment's media times to that clock, so a range on the server's clock
// works as one on the producer's. Fragments must come in time order.
//
// Add keeps neither init nor media after it returns: the caller may
// reuse their memory (the fragments the clip holds until it knows its
// first keyframe are copied).
//
// Add returns ErrInitChanged (and the clip is done) when the init segment
// changes after the clip has started, ErrInvalidMedia for bytes that do not
// parse, and write errors.
func (c *Clip) Add(init, media []byte, at time.Time) error {
	if c.done {
		return nil
	}
	if err := c.setInit(init); err != nil {
		return err
	}
	if !c.writing {
		media = bytes.Clone(media) // seek may hold it
	}
	m, err := c.init.fragment(media, c.takeSpare())
	if err != nil {
		return err
	}
	leader := m.Leader()
	first, ok := firstSample(m)
	if !ok {
		c.release(m)
		return nil
	}
	p := &clipPiece{m: m, offset: at.UnixNano() - first}
	c.fragsAdded++
	if c.writing {
		err := c.emit(p)
		c.release(m)
		return err
	}
	return c.seek(p, leader)
}

// takeSpare returns a parsed fragment to reuse, or nil.
func (c *Clip) takeSpare() *Media {
	n := len(c.spare)
	if n == 0 {
		return nil
	}
	m := c.spare[n-1]
	c.spare = c.spare[:n-1]
	return m
}

// release keeps parsed fragments that are no longer used for reuse.
func (c *Clip) release(ms ...*Media) { c.spare = append(c.spare, ms...) }

// dropHeld releases the held fragments that come before next, whose
// keyframe starts the clip, but the one just before it when it is of the
// same session (the same clock offset; next nil: none is kept): a fragment is cut at the video
// keyframe's arrival, so audio that plays just after the keyframe may
// have arrived, and been stored, with the fragment before (emit writes
// only its samples from the keyframe on).
func (c *Clip) dropHeld(next *clipPiece) {
	keep := -1
	if n := len(c.held); n > 0 && next != nil {
		if d := c.held[n-1].offset - next.offset; d > -int64(sameSession) && d < int64(sameSession) {
			keep = n - 1
		}
	}
	for i, p := range c.held {
		if i != keep {
			c.release(p.m)
		}
	}
	if keep < 0 {
		c.held = c.held[:0]
		return
	}
	c.held = append(c.held[:0], c.held[keep])
}

// sameSession bounds the difference of the clock offsets of two
// consecutive fragments of one session (the index keeps times to the ms).
const sameSession = 50 * time.Millisecond

// firstSample is the media time (ns) of a fragment's first leader sample,
// or of its earliest sample when the leader has none.
func firstSample(m *Media) (int64, bool) {
	if l := m.Leader(); len(l.Samples) > 0 {
		return ns(l.Samples[0].DTS, l.TimeScale), true
	}
	found, min := false, int64(0)
	for _, t := range m.Tracks {
		if len(t.Samples) > 0 {
			if v := ns(t.Samples[0].DTS, t.TimeScale); !found || v < min {
				found, min = true, v
			}
		}
	}
	return min, found
}

// setInit adopts the fragment's init segment, or refuses a change once
// the clip is being written.
func (c *Clip) setInit(init []byte) error {
	if c.init != nil && bytes.Equal(init, c.initBytes) {
		return nil
	}
	init = bytes.Clone(init) // kept, and aliased by the codec parameters
	m, _, err := parseInit(init)
	if err != nil {
		return err
	}
	if len(m.Tracks) == 0 {
		return fmt.Errorf("%w: init segment without tracks", ErrInvalidMedia)
	}
	if c.init != nil && !sameTracks(c.init, m) {
		if c.writing {
			c.done = true
			return fmt.Errorf("%w after %d fragments of the clip: the clip ends there", ErrInitChanged, c.fragsAdded)
		}
		c.dropHeld(nil) // the held GOP cannot continue with other parameters
		c.originSet = false
	}
	c.init, c.initBytes = m, init
	return nil
}

// seek holds fragments until the clip's first keyframe is known: the last
// one at or before start, or the first one after it.
func (c *Clip) seek(p *clipPiece, leader *Track) error {
	decided := false
	for _, s := range leader.Samples {
		t := ns(s.DTS, leader.TimeScale) + p.offset
		if t+ns(s.Duration, leader.TimeScale) > c.start {
			c.overlaps = true
		}
		if t <= c.start {
			if s.Sync {
				c.dropHeld(p)
				c.origin, c.originSet = ns(s.DTS, leader.TimeScale), true
			}
			continue
		}
		if !c.originSet {
			if t >= c.end {
				c.done = true // no keyframe in the range
				c.release(p.m)
				return nil
			}
			if !s.Sync {
				continue
			}
			c.dropHeld(p)
			c.origin, c.originSet = ns(s.DTS, leader.TimeScale), true
		}
		decided = true
		break
	}
	if !c.originSet {
		c.release(p.m)
		return nil // no keyframe yet: nothing before one can be decoded
	}
	c.held = append(c.held, p)
	if decided {
		return c.flushHeld()
	}
	return nil
}

// flushHeld starts writing: the init segment, then the held fragments.
func (c *Clip) flushHeld() error {
	held := c.held
	c.held = nil
	c.writing = true
	c.setShift(c.origin)
	for _, p := range held {
		if err := c.emit(p); err != nil {
			return err
		}
		c.release(p.m)
	}
	return nil
}

// setShift makes media time shiftNs the output's time 0.
func (c *Clip) setShift(shiftNs int64) {
	c.shiftNs = shiftNs
	if c.shift == nil {
		c.shift = make([]int64, len(c.init.Tracks))
		c.next = make([]int64, len(c.init.Tracks))
		c.out = make([][]Sample, len(c.init.Tracks))
	}
	for i, t := range c.init.Tracks {
		c.shift[i] = ticks(shiftNs, t.TimeScale)
	}
}

// emit writes one fragment's samples that fall in the clip as one
// moof+mdat: the moof and mdat header in one Write, then the payloads,
// each run of payloads adjacent in the fragment's bytes in one Write.
func (c *Clip) emit(p *clipPiece) error {
	leader := p.m.Leader()
	if c.hasLeader && len(leader.Samples) > 0 {
		// A jump in media time: continue right after the last sample.
		first := ns(leader.Samples[0].DTS, leader.TimeScale)
		if d := first - c.leaderEnd; d > int64(MaxGap) || d < -int64(MaxGap) {
			c.setShift(c.shiftNs + d)
		}
	}
	c.part = c.part[:0]
	for i, t := range p.m.Tracks {
		// A sample is at or after the end when its DTS in ns plus the
		// offset is; that is, when its DTS is at least end (ticks, rounded
		// up).
		end := -rescale(p.offset-c.end, int64(time.Second), t.TimeScale)
		out := c.out[i][:0]
		for _, s := range t.Samples {
			o := s.DTS - c.shift[i]
			if o < c.next[i] {
				continue // before the clip's first keyframe, or overlapping what was written
			}
			if s.DTS >= end {
				if t == leader {
					c.done = true
				}
				break
			}
			out = append(out, s)
			c.next[i] = o + s.Duration
		}
		c.out[i] = out
		if len(out) == 0 {
			continue
		}
		c.part = append(c.part, partTrack{id: t.ID, base: out[0].DTS - c.shift[i], samples: out})
		if t == leader {
			c.leaderEnd, c.hasLeader = ns(out[len(out)-1].End(), t.TimeScale), true
		}
	}
	if len(c.part) == 0 {
		return nil
	}
	if c.seq == 0 {
		if err := c.write(c.initBytes); err != nil {
			return err
		}
	}
	c.seq++
	var err error
	if c.header, err = appendPart(c.header[:0], c.seq, c.part); err != nil {
		return err
	}
	if err := c.write(c.header); err != nil {
		return err
	}
	for _, t := range c.part {
		if err := c.writePayloads(t.samples); err != nil {
			return err
		}
	}
	return nil
}

// writePayloads writes the samples' payloads, joining those that are
// adjacent in memory (consecutive samples of a trun) into one Write.
func (c *Clip) writePayloads(samples []Sample) error {
	var run []byte
	for _, s := range samples {
		switch b := s.Payload; {
		case len(b) == 0:
		case len(run) > 0 && cap(run)-len(run) >= len(b) && &run[:len(run)+1][len(run)] == &b[0]:
			run = run[:len(run)+len(b)]
		default:
			if len(run) > 0 {
				if err := c.write(run); err != nil {
					return err
				}
			}
			run = b
		}
	}
	if len(run) == 0 {
		return nil
	}
	return c.write(run)
}

func (c *Clip) write(b []byte) error {
	n, err := c.w.Write(b)
	c.written += int64(n)
	if err != nil {
		c.done = true
	}
	return err
}

// Close writes what is still held (when the stream ended before any
// sample after start). It returns ErrEmpty when the clip has no sample:
// nothing was written then, not even the init segment (the init segment
// goes out with the first fragment).
func (c *Clip) Close() error {
	if !c.writing && c.originSet && c.overlaps {
		if err := c.flushHeld(); err != nil {
			return err
		}
	}
	if c.seq == 0 {
		return ErrEmpty
	}
	return nil
}
