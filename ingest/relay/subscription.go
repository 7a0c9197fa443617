package relay

import (
	"context"
	"errors"
	"sync"

	"github.com/sluice-dev/sluice/fragments"
)

// ErrClosed is returned by Next after Close.
var ErrClosed = errors.New("relay: subscription closed")

// Kind is the kind of an Event.
type Kind int

const (
	// KindUnit carries an access unit of the current session.
	KindUnit Kind = iota
	// KindStart: a new publishing session started with Event.Tracks (the
	// previous one, if any, ended). Its first video unit is a keyframe.
	KindStart
	// KindEnd: the publisher went away. A Start may follow.
	KindEnd
)

// Event is what a subscription reads.
type Event struct {
	Kind Kind
	// Unit (KindUnit) is shared: read it, never modify it. A keyframe of
	// an H.264 or H.265 track carries its parameter sets in band.
	Unit fragments.Unit
	// Cached (KindUnit) marks the units of the group of pictures the
	// subscription started with: they are older than the live edge and
	// come all at once, for the viewer to decode, not to show in real time.
	Cached bool
	// Key (KindUnit): the unit is a video keyframe (with its parameter
	// sets), or a unit of a track without keyframes (audio).
	Key bool
	// Tracks (KindStart) are the new session's tracks.
	Tracks []fragments.Track
}

// Subscription is one viewer's bounded queue of a stream's events. Next
// is called from one goroutine; Close from any.
type Subscription struct {
	r  *Relay
	st *stream

	mu      sync.Mutex
	q       []Event
	head    int // q[head:] are pending
	limit   int // pending units beyond which the queue is emptied
	tracks  []fragments.Track
	video   int        // video track of the current session, -1 without
	waitKey bool       // drop video until a keyframe
	pub     *Publisher // whose session the queue is in; nil after an End
	closed  bool
	drops   int
	wake    chan struct{} // capacity 1: something was queued or closed
}

func newSubscription(r *Relay, st *stream, limit int) *Subscription {
	return &Subscription{r: r, st: st, limit: limit, q: make([]Event, 0, min(limit, 64)), wake: make(chan struct{}, 1)}
}

// Tracks returns the tracks of the session that was live when the
// subscription started, with the parameter sets last seen in band.
func (s *Subscription) Tracks() []fragments.Track { return s.tracks }

// Next returns the next event, waiting for one until ctx ends. ErrClosed
// after Close.
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	for {
		s.mu.Lock()
		if s.head < len(s.q) {
			ev := s.q[s.head]
			s.q[s.head] = Event{}
			s.head++
			if s.head == len(s.q) {
				s.q, s.head = s.q[:0], 0
			}
			s.mu.Unlock()
			return ev, nil
		}
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return Event{}, ErrClosed
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			return Event{}, ctx.Err()
		}
	}
}

// Dropped returns how many units were dropped for this subscription
// because its queue was full or a keyframe was awaited.
func (s *Subscription) Dropped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.drops
}

// Close ends the subscription; a pending Next returns ErrClosed. Safe to
// call more than once.
func (s *Subscription) Close() {
	s.st.mu.Lock()
	delete(s.st.subs, s)
	s.st.mu.Unlock()
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		clear(s.q)
		s.q, s.head = nil, 0
		s.signal()
	}
	s.mu.Unlock()
	s.r.release(s.st)
}

// push queues a unit. It reports whether the subscription now needs a
// keyframe it cannot get from the cache (the queue overflowed). Called
// with st.mu held.
func (s *Subscription) push(u fragments.Unit, video, key bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	needKey := false
	if len(s.q)-s.head >= s.limit {
		s.overflow()
		needKey = s.waitKey && !(video && key)
	}
	if video && s.waitKey {
		if !key {
			s.drops++
			return needKey
		}
		s.waitKey = false
	}
	s.append(Event{Kind: KindUnit, Unit: u, Key: key})
	return needKey
}

// overflow empties the queue, keeping its last Start or End event, and
// waits for a keyframe. Called with s.mu held.
func (s *Subscription) overflow() {
	var ctrl *Event
	for i := len(s.q) - 1; i >= s.head; i-- {
		if s.q[i].Kind != KindUnit {
			ev := s.q[i]
			ctrl = &ev
			break
		}
	}
	for _, ev := range s.q[s.head:] {
		if ev.Kind == KindUnit {
			s.drops++
		}
	}
	clear(s.q)
	s.q, s.head = s.q[:0], 0
	if ctrl != nil {
		s.q = append(s.q, *ctrl)
	}
	s.waitKey = s.video >= 0
}

// start queues a Start event. Called with st.mu held.
func (s *Subscription) start(tracks []fragments.Track, video int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.video, s.waitKey = video, video >= 0
	s.pub = s.st.pub
	s.append(Event{Kind: KindStart, Tracks: tracks})
}

// end queues an End event. Called with st.mu held.
func (s *Subscription) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.pub = nil
		s.append(Event{Kind: KindEnd})
	}
}

// Rewind empties the queue and starts again as a new subscription would:
// from the stream's current cached group of pictures (WHEP calls it when
// its viewer has connected, so that what queued meanwhile does not play
// late). When the session changed since the subscription's, a Start (or
// End, without publisher) comes first.
func (s *Subscription) Rewind() {
	st := s.st
	st.mu.Lock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		st.mu.Unlock()
		return
	}
	unseen := false // a Start or End the reader has not read yet
	for _, ev := range s.q[s.head:] {
		unseen = unseen || ev.Kind != KindUnit
	}
	clear(s.q)
	s.q, s.head = s.q[:0], 0
	p := st.pub
	needKey := false
	switch {
	case p == nil && (s.pub != nil || unseen):
		s.pub = nil
		s.append(Event{Kind: KindEnd})
	case p != nil:
		if p != s.pub || unseen {
			s.pub = p
			s.append(Event{Kind: KindStart, Tracks: p.currentTracks()})
		}
		s.video, s.limit = p.video, s.r.cfg.QueueUnits+len(p.gop)
		s.waitKey = p.video >= 0 && len(p.gop) == 0
		needKey = s.waitKey
		for i, u := range p.gop {
			if i > 0 && p.gopFull {
				break
			}
			s.append(Event{Kind: KindUnit, Unit: u, Cached: true, Key: i == 0})
		}
	}
	s.mu.Unlock()
	st.mu.Unlock()
	if needKey {
		p.requestKeyframe()
	}
}

func (s *Subscription) waitingKey() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waitKey
}

// append queues ev, compacting the queue instead of growing it when its
// front has been consumed. Called with s.mu held.
func (s *Subscription) append(ev Event) {
	if s.head > 0 && len(s.q) == cap(s.q) {
		n := copy(s.q, s.q[s.head:])
		clear(s.q[n:])
		s.q, s.head = s.q[:n], 0
	}
	s.q = append(s.q, ev)
	s.signal()
}

func (s *Subscription) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// RequestKeyframe asks the stream's publisher for a keyframe, when its
// source can be asked (a viewer's decoder lost its reference pictures:
// WHEP passes the viewer's PLI on). Rate-limited per publisher.
func (s *Subscription) RequestKeyframe() {
	s.st.mu.Lock()
	p := s.st.pub
	s.st.mu.Unlock()
	if p != nil {
		p.requestKeyframe()
	}
}

// Reordered reports whether the current session's video has come out of
// presentation order (B-frames), which WebRTC browsers do not decode.
func (s *Subscription) Reordered() bool {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	return s.st.pub != nil && s.st.pub.reorder
}
