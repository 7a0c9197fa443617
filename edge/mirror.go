package edge

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/sluice-dev/sluice/fragments"
)

// maxApplied bounds the fragments a mirror remembers its progress on
// (the hub keeps far fewer).
const maxApplied = 64

// mirror copies another node's live edge of one stream into this node's
// hub while this node has readers of it. Its goroutine owns everything
// but viewed; join runs on the first reader's goroutine before ready is
// closed, then on the mirror's.
type mirror struct {
	n      *Node
	stream string
	subj   subjects
	viewed atomic.Int64 // unix ns of the last reader
	ready  chan struct{}

	sub     *nats.Subscription
	msgs    chan *nats.Msg
	session string // the session this mirror put in the hub
	applied []appliedFrag
	inits   map[string]*fragments.Init
}

type appliedFrag struct {
	key fragKey
	progress
	init *fragments.Init
}

// watch is the hub's OnView hook: a reader of a stream that this node does
// not record starts (or keeps alive) its mirror; the first reader waits
// for the join, so that its View holds the snapshot.
func (n *Node) watch(stream string) {
	now := time.Now()
	n.mu.Lock()
	if m := n.mirrors[stream]; m != nil {
		m.viewed.Store(now.UnixNano())
		n.mu.Unlock()
		<-m.ready
		return
	}
	if until, ok := n.notLive[stream]; n.closed || ok && now.Before(until) {
		n.mu.Unlock()
		return
	}
	n.mu.Unlock()
	if _, live := n.hub.State(stream); live {
		return // recorded here
	}
	n.mu.Lock()
	if n.closed || n.mirrors[stream] != nil {
		n.mu.Unlock()
		n.watch(stream)
		return
	}
	m := &mirror{n: n, stream: stream, subj: n.cfg.subjects(stream), ready: make(chan struct{}), inits: map[string]*fragments.Init{}}
	m.viewed.Store(now.UnixNano())
	n.mirrors[stream] = m
	n.mu.Unlock()

	err := m.join()
	if err != nil {
		n.mu.Lock()
		delete(n.mirrors, stream)
		for s, until := range n.notLive {
			if now.After(until) {
				delete(n.notLive, s)
			}
		}
		n.notLive[stream] = now.Add(n.cfg.NotLiveTTL)
		n.mu.Unlock()
		if m.sub != nil {
			m.sub.Unsubscribe()
		}
		close(m.ready)
		if !errors.Is(err, nats.ErrNoResponders) && !errors.Is(err, nats.ErrTimeout) {
			n.cfg.Logger.Warn("edge: join", "stream", stream, "err", err)
		}
		return
	}
	close(m.ready)
	n.wg.Add(1)
	go m.run()
}

// join subscribes to the feed (once) and applies a recorder's snapshot.
func (m *mirror) join() error {
	nc := m.n.nc
	if m.sub == nil {
		m.msgs = make(chan *nats.Msg, 4096)
		sub, err := nc.ChanSubscribe(m.subj.feed, m.msgs)
		if err != nil {
			return err
		}
		m.sub = sub
		if err := nc.Flush(); err != nil { // the feed is subscribed before the snapshot is taken
			return err
		}
	}
	reply, err := nc.Request(m.subj.join, nil, m.n.cfg.JoinTimeout)
	if err != nil {
		return err
	}
	var s snapshot
	if err := json.Unmarshal(reply.Data, &s); err != nil {
		return fmt.Errorf("edge: snapshot of %s: %w", m.stream, err)
	}
	if s.Version != version {
		return fmt.Errorf("edge: snapshot of %s has version %q (want %s)", m.stream, s.Version, version)
	}
	m.applySnapshot(s)
	return nil
}

func (m *mirror) applySnapshot(s snapshot) {
	hub := m.n.hub
	if m.session == "" {
		if cur, _ := hub.State(m.stream); cur != "" && cur != s.Session {
			hub.Forget(m.stream) // an old session recorded here: the newer one replaces it
		}
	}
	m.begin(s.Session, s.Since)
	for _, wf := range s.Fragments {
		in := m.init(&wf.Init)
		a := m.find(fragKey{wf.Session, wf.Index}, in)
		for _, w := range wf.Parts {
			if w.Index == a.parts {
				hub.AddPart(m.stream, w.part(a.init, w.Bytes))
				a.parts++
			}
		}
		m.finish(a, wf.Closed, wf.Number)
	}
}

// begin makes session the hub's live session of the stream.
func (m *mirror) begin(session string, since time.Time) {
	if _, live := m.n.hub.State(m.stream); session != m.session || !live {
		m.n.hub.Publish(m.stream, session, since)
		m.session = session
	}
}

// finish applies a fragment's close and number.
func (m *mirror) finish(a *appliedFrag, c *wireClosed, number string) {
	if c != nil && !a.closed {
		m.n.hub.CloseFragment(m.stream, c.fragment(a.init))
		a.closed = true
	}
	if number != "" && a.number == "" {
		m.n.hub.Indexed(m.stream, a.key.session, a.key.index, number)
		a.number = number
	}
}

func (m *mirror) init(w *wireInit) *fragments.Init {
	in := m.inits[w.ID]
	if in == nil {
		if len(m.inits) > maxApplied {
			clear(m.inits)
		}
		in = w.init()
		m.inits[w.ID] = in
	}
	return in
}

// find returns the progress of a fragment, adding it (with init in) when
// new; in nil and new gives nil.
func (m *mirror) find(k fragKey, in *fragments.Init) *appliedFrag {
	for i := len(m.applied) - 1; i >= 0; i-- {
		if m.applied[i].key == k {
			return &m.applied[i]
		}
	}
	if in == nil {
		return nil
	}
	if len(m.applied) >= maxApplied {
		m.applied = append(m.applied[:0], m.applied[len(m.applied)-maxApplied/2:]...)
	}
	m.applied = append(m.applied, appliedFrag{key: k, init: in})
	return &m.applied[len(m.applied)-1]
}

func (m *mirror) run() {
	defer m.n.wg.Done()
	tick := time.NewTicker(min(m.n.cfg.Interest/3, m.n.cfg.Idle/4))
	defer tick.Stop()
	for {
		select {
		case msg := <-m.msgs:
			if err := m.apply(msg); err != nil {
				m.resync(err)
			}
		case <-tick.C:
			if m.stopIdle() {
				return
			}
			if err := m.n.nc.Publish(m.subj.keep, nil); err != nil {
				m.n.cfg.Logger.Warn("edge: keep", "stream", m.stream, "err", err)
			}
		case <-m.n.done:
			m.stop()
			return
		}
	}
}

// errGap: the feed skipped something this mirror needs.
var errGap = errors.New("edge: gap in the feed")

// apply applies one feed message in order; errGap when the mirror lacks
// what it builds on.
func (m *mirror) apply(msg *nats.Msg) error {
	kind, meta, err := decodeMeta(msg)
	if err != nil {
		return err
	}
	hub := m.n.hub
	switch e := meta.(type) {
	case *wirePart:
		if e.Session != m.session {
			return errGap
		}
		var in *fragments.Init
		if e.Init != nil {
			in = m.init(e.Init)
		}
		a := m.find(fragKey{e.Session, e.Fragment}, in)
		switch {
		case a == nil || e.Index > a.parts:
			return errGap
		case e.Index == a.parts:
			hub.AddPart(m.stream, e.part(a.init, msg.Data))
			a.parts++
		}
	case *wireClosed:
		if a := m.find(fragKey{e.Session, e.Index}, m.inits[e.InitID]); a != nil {
			m.finish(a, e, "")
		}
	case *event:
		switch kind {
		case kindPublish:
			m.begin(e.Session, e.Since)
		case kindIndexed:
			if a := m.find(fragKey{e.Session, e.Index}, nil); a != nil {
				m.finish(a, nil, e.Number)
			}
		case kindUnpublish:
			if e.Session == m.session {
				hub.Unpublish(m.stream, e.Session)
			}
		}
	}
	return nil
}

// resync joins again after a gap; when no node records the stream any
// more, its session ends here.
func (m *mirror) resync(cause error) {
	if err := m.join(); err != nil {
		m.n.hub.Unpublish(m.stream, m.session)
		if !errors.Is(err, nats.ErrNoResponders) && !errors.Is(err, nats.ErrTimeout) {
			m.n.cfg.Logger.Warn("edge: rejoin", "stream", m.stream, "cause", cause, "err", err)
		}
	}
}

// stopIdle stops the mirror when it has had no reader for Idle.
func (m *mirror) stopIdle() bool {
	n := m.n
	n.mu.Lock()
	if time.Since(time.Unix(0, m.viewed.Load())) <= n.cfg.Idle {
		n.mu.Unlock()
		return false
	}
	n.hub.Forget(m.stream)
	delete(n.mirrors, m.stream)
	n.mu.Unlock()
	m.sub.Unsubscribe()
	return true
}

// stop ends the mirror when the node closes.
func (m *mirror) stop() {
	n := m.n
	n.mu.Lock()
	n.hub.Forget(m.stream)
	delete(n.mirrors, m.stream)
	n.mu.Unlock()
	m.sub.Unsubscribe()
}
