package leases

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// AssignerConfig configures an Assigner.
type AssignerConfig struct {
	// Start is called when this node has taken key's lease: start the work,
	// which must end when l.Lost() closes. Called from the Assigner's
	// goroutine: return promptly (run the work in a goroutine). Required.
	Start func(key string, l *Lease)
	// Stop is called once for every Start, when the lease ends: lost, or
	// given up (the key is no longer wanted, a newly joined node is
	// preferred for it, Close). When Stop returns, the work must have
	// stopped: the Assigner releases the lease next. Required.
	Stop func(key string)
	// Grace: a wanted key for which another live node is preferred is
	// claimed anyway once it has been free this long (its preferred node
	// does not take it). Default 2×TTL.
	Grace time.Duration
}

// Assigner spreads a set of wanted keys (e.g. cameras) over the live nodes
// sharing a bucket: each node runs one with the same wanted keys, and each
// claims the keys for which it is Preferred among the live nodes, plus any
// wanted key left free for longer than Grace. It reacts to Watch events:
// when a node leaves (Close, or its heartbeat expires), its keys are freed
// and the nodes now preferred claim them; when a node joins, the keys it is
// now preferred for are handed over (Stop, Release) so that it can claim
// them. One goroutine owns its state; Close stops it and waits.
type Assigner struct {
	t   *Table
	cfg AssignerConfig

	set  chan []string
	lost chan *Lease

	mu   sync.Mutex
	snap []string // held keys, for Held

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// NewAssigner starts an Assigner with no wanted keys; Set gives it some.
// Table.Close closes it.
func (t *Table) NewAssigner(cfg AssignerConfig) (*Assigner, error) {
	if cfg.Start == nil || cfg.Stop == nil {
		return nil, errors.New("leases: AssignerConfig: Start and Stop are required")
	}
	if cfg.Grace < 0 {
		return nil, errors.New("leases: AssignerConfig: Grace: negative")
	}
	if cfg.Grace == 0 {
		cfg.Grace = 2 * t.cfg.TTL
	}
	a := &Assigner{t: t, cfg: cfg, set: make(chan []string, 1), lost: make(chan *Lease)}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, ErrClosed
	}
	t.assigners[a] = true
	t.mu.Unlock()
	a.wg.Add(1)
	go a.run()
	return a, nil
}

// Set replaces the wanted keys. Keys that ValidKey refuses are logged and
// ignored.
func (a *Assigner) Set(keys []string) {
	keys = slices.Clone(keys)
	for {
		select {
		case a.set <- keys:
			return
		case <-a.set: // replace a pending set not yet taken
		case <-a.ctx.Done():
			return
		}
	}
}

// Held returns the keys this Assigner holds, sorted.
func (a *Assigner) Held() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.snap)
}

// Close stops the Assigner: Stop for every held key, then Release. It
// waits for its goroutines and is idempotent.
func (a *Assigner) Close() {
	a.once.Do(func() {
		a.cancel()
		a.wg.Wait()
		a.t.mu.Lock()
		delete(a.t.assigners, a)
		a.t.mu.Unlock()
	})
}

// state is the Assigner goroutine's own.
type state struct {
	wanted    map[string]bool
	held      map[string]*Lease
	holders   map[string]string // lease key -> owner, from the watch
	freeSince map[string]time.Time
	live      map[string]bool // node names, from the watch
	ready     bool
}

func (a *Assigner) run() {
	defer a.wg.Done()
	s := &state{wanted: map[string]bool{}, held: map[string]*Lease{}}
	defer func() {
		for key, l := range s.held {
			a.end(s, key, l, true)
		}
	}()
	tick := time.NewTicker(a.t.cfg.Renew)
	defer tick.Stop()
	var events <-chan Event
	for {
		if events == nil {
			events = a.watch(s)
		}
		select {
		case <-a.ctx.Done():
			return
		case keys := <-a.set:
			s.wanted = map[string]bool{}
			for _, k := range keys {
				if ValidKey(k) {
					s.wanted[k] = true
				} else {
					a.t.log.Warn("assigner: ignoring an invalid key", "key", k)
				}
			}
			for key, l := range s.held {
				if !s.wanted[key] {
					a.end(s, key, l, true)
				}
			}
		case e, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			a.apply(s, e)
		case l := <-a.lost:
			if s.held[l.key] == l {
				a.end(s, l.key, l, false)
			}
		case <-tick.C:
		}
		a.reconcile(s)
	}
}

// watch (re)starts the watch and the mirror it feeds; nil when it cannot
// (the next tick tries again).
func (a *Assigner) watch(s *state) <-chan Event {
	ch, err := a.t.Watch(a.ctx)
	if err != nil {
		if !errors.Is(err, ErrClosed) {
			a.t.log.Warn("assigner: watch", "err", err)
		}
		return nil
	}
	s.holders, s.freeSince, s.live, s.ready = map[string]string{}, map[string]time.Time{}, map[string]bool{}, false
	return ch
}

// apply folds one event into the mirror.
func (a *Assigner) apply(s *state, e Event) {
	now := time.Now()
	switch e.Kind {
	case Claimed:
		s.holders[e.Key] = e.Owner
		delete(s.freeSince, e.Key)
	case Freed:
		delete(s.holders, e.Key)
		s.freeSince[e.Key] = now
	case Joined:
		s.live[e.Key] = true
		if s.ready && e.Key != a.t.cfg.Node {
			// Hand over the keys the newcomer is now preferred for.
			nodes := s.nodes(a.t.cfg.Node)
			for key, l := range s.held {
				if Preferred(key, nodes) == e.Key {
					a.end(s, key, l, true)
				}
			}
		}
	case Left:
		delete(s.live, e.Key)
	case Ready:
		s.ready = true
	}
}

func (s *state) nodes(self string) []string {
	ns := []string{self}
	for n := range s.live {
		if n != self {
			ns = append(ns, n)
		}
	}
	return ns
}

// reconcile claims the wanted keys that are free and this node's to take.
func (a *Assigner) reconcile(s *state) {
	if !s.ready {
		return
	}
	self := a.t.cfg.Node
	nodes := s.nodes(self)
	now := time.Now()
	for key := range s.wanted {
		if s.held[key] != nil {
			continue
		}
		if _, taken := s.holders[key]; taken {
			continue
		}
		since, ok := s.freeSince[key]
		if !ok {
			since = now
			s.freeSince[key] = now
		}
		if Preferred(key, nodes) != self && now.Sub(since) < a.cfg.Grace {
			continue
		}
		ctx, cancel := context.WithTimeout(a.ctx, a.t.cfg.OpTimeout)
		l, err := a.t.Claim(ctx, key)
		cancel()
		var held *HeldError
		switch {
		case errors.As(err, &held):
			s.holders[key] = held.Owner // the watch has not told yet
			continue
		case err != nil:
			a.t.log.Warn("assigner: claim", "key", key, "err", err)
			continue
		}
		s.held[key] = l
		s.holders[key] = self
		a.publish(s)
		a.cfg.Start(key, l)
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			select {
			case <-l.Lost():
				select {
				case a.lost <- l:
				case <-a.ctx.Done():
				}
			case <-a.ctx.Done():
			}
		}()
	}
}

// end stops the work of a held key and, when release is set, releases its
// lease.
func (a *Assigner) end(s *state, key string, l *Lease, release bool) {
	a.cfg.Stop(key)
	delete(s.held, key)
	a.publish(s)
	if release {
		ctx, cancel := context.WithTimeout(context.Background(), a.t.cfg.OpTimeout)
		if err := l.Release(ctx); err != nil {
			a.t.log.Warn("assigner: release", "key", key, "err", err)
		}
		cancel()
	}
}

func (a *Assigner) publish(s *state) {
	keys := make([]string, 0, len(s.held))
	for k := range s.held {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	a.mu.Lock()
	a.snap = keys
	a.mu.Unlock()
}
