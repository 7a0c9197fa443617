package relay

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/sluice-dev/sluice/fragments"
)

// ErrNotLive is returned by Subscribe when nobody publishes the stream.
var ErrNotLive = errors.New("relay: stream is not live")

// Relay holds the live streams. The zero value is not usable: call New.
// A nil *Relay is valid and relays nothing (Publish returns nil).
type Relay struct {
	cfg Config

	mu      sync.Mutex // guards streams; taken before a stream's mu
	streams map[string]*stream

	onSubscribe atomic.Pointer[func(name string)]
	cached      atomic.Int64 // bytes of the publishers' cached groups of pictures
}

// CachedBytes is what the cached groups of pictures of all streams hold
// (bounded by Config.CacheBytes, plus each stream's keyframe).
func (r *Relay) CachedBytes() int64 {
	if r == nil {
		return 0
	}
	return r.cached.Load()
}

// CacheLimit is Config.CacheBytes.
func (r *Relay) CacheLimit() int64 {
	if r == nil {
		return 0
	}
	return r.cfg.CacheBytes
}

// stream is one live stream: its current publisher (nil between
// sessions) and its subscriptions. A stream without either is removed.
type stream struct {
	name string
	mu   sync.Mutex // guards the fields below; taken before a subscription's mu
	pub  *Publisher
	subs map[*Subscription]struct{}
}

// New returns a Relay with the default Config.
func New() *Relay { return NewWithConfig(Config{}) }

// NewWithConfig returns a Relay with cfg.
func NewWithConfig(cfg Config) *Relay {
	return &Relay{cfg: cfg.withDefaults(), streams: map[string]*stream{}}
}

// Publish starts a publishing session of stream with tracks and returns
// its Publisher. Subscriptions of the stream receive a Start event and
// wait for the new session's first keyframe. A session still publishing
// the stream is replaced: its further writes are ignored. Publish on a nil
// Relay returns nil (a nil Publisher does nothing).
func (r *Relay) Publish(name string, tracks []fragments.Track) *Publisher {
	if r == nil {
		return nil
	}
	p := newPublisher(r, name, tracks)
	r.mu.Lock()
	st := r.streams[name]
	if st == nil {
		st = &stream{name: name, subs: map[*Subscription]struct{}{}}
		r.streams[name] = st
	}
	p.st = st
	st.mu.Lock()
	r.mu.Unlock()
	st.pub = p
	for s := range st.subs {
		s.start(p.tracks, p.video)
	}
	st.mu.Unlock()
	return p
}

// Subscribe follows the live stream name: the subscription's first events
// are its current group of pictures (Event.Cached), then live units.
// ErrNotLive when the stream has no publisher. The caller must Close the
// subscription.
func (r *Relay) Subscribe(name string) (*Subscription, error) {
	if fn := r.onSubscribe.Load(); fn != nil && !r.Live(name) {
		(*fn)(name)
	}
	return r.SubscribeHere(name)
}

// SubscribeHere is Subscribe without the OnSubscribe function: it follows
// only a stream published on this relay (package edge feeds other nodes
// from it).
func (r *Relay) SubscribeHere(name string) (*Subscription, error) {
	if src := r.source(name); src != nil {
		var s *Subscription
		var err error
		src.GOP(func(units []fragments.Unit) { s, err = r.subscribe(name, src, units) })
		return s, err
	}
	return r.subscribe(name, nil, nil)
}

// source returns the GOPSource of stream name's publisher, if it has one.
func (r *Relay) source(name string) GOPSource {
	r.mu.Lock()
	st := r.streams[name]
	r.mu.Unlock()
	if st == nil {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.pub == nil {
		return nil
	}
	return st.pub.src
}

// subscribe adds a subscription to stream name, starting with the
// publisher's group of pictures: units, from src, when the publisher is
// still the one src serves; else its cache.
func (r *Relay) subscribe(name string, src GOPSource, units []fragments.Unit) (*Subscription, error) {
	r.mu.Lock()
	st := r.streams[name]
	if st == nil {
		r.mu.Unlock()
		return nil, ErrNotLive
	}
	st.mu.Lock()
	r.mu.Unlock()
	p := st.pub
	if p == nil {
		st.mu.Unlock()
		return nil, ErrNotLive
	}
	cached := p.gop
	if p.gopFull && len(cached) > 1 {
		cached = cached[:1]
	}
	if p.src != nil {
		cached = nil
		if p.src == src {
			cached = p.bound(units)
		}
	}
	s := newSubscription(r, st, r.cfg.QueueUnits+len(cached))
	s.tracks = p.currentTracks()
	s.video, s.pub = p.video, p
	needKey := p.video >= 0 && len(cached) == 0
	s.waitKey = needKey
	for i, u := range cached {
		s.q = append(s.q, Event{Kind: KindUnit, Unit: u, Cached: true, Key: i == 0})
	}
	st.subs[s] = struct{}{}
	st.mu.Unlock()
	if needKey {
		p.requestKeyframe()
	}
	return s, nil
}

// OnSubscribe sets the function that Subscribe calls, without locks, when
// the stream it is asked for has no publisher here, before it answers
// ErrNotLive: package edge mirrors the stream from the node that records
// it (fn Publishes it here and returns). Set it before the relay is used.
func (r *Relay) OnSubscribe(fn func(name string)) { r.onSubscribe.Store(&fn) }

// Subscribers returns the number of subscriptions of stream name.
func (r *Relay) Subscribers(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.streams[name]
	if st == nil {
		return 0
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.subs)
}

// Live reports whether stream name has a publisher.
func (r *Relay) Live(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.streams[name]
	if st == nil {
		return false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.pub != nil
}

// release removes st when it has neither a publisher nor subscriptions.
// Called with neither lock held.
func (r *Relay) release(st *stream) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.pub == nil && len(st.subs) == 0 && r.streams[st.name] == st {
		delete(r.streams, st.name)
	}
}
