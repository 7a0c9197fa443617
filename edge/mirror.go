package edge

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/sluice-dev/sluice/fragments"
)

// maxApplied bounds the fragments a mirror remembers its progress on
// (the hub keeps far fewer).
const maxApplied = 64

// partsMirror copies another node's live edge of one stream (its hub)
// into this node's hub while this node has readers of it. follow's
// goroutine owns everything but viewed (Node.mu).
type partsMirror struct {
	n      *Node
	stream string
	viewed time.Time // the last reader

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
	n.mirror(mkey{mirrorParts, stream}, func() bool {
		_, live := n.hub.State(stream)
		return live
	}, func(*follow) follower {
		return &partsMirror{n: n, stream: stream, inits: map[string]*fragments.Init{}}
	})
}

func (m *partsMirror) join(b []byte) error {
	var s snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("edge: snapshot of %s: %w", m.stream, err)
	}
	if s.Version != version {
		return fmt.Errorf("edge: snapshot of %s has version %q (want %s)", m.stream, s.Version, version)
	}
	m.applySnapshot(s)
	return nil
}

func (m *partsMirror) applySnapshot(s snapshot) {
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
func (m *partsMirror) begin(session string, since time.Time) {
	if _, live := m.n.hub.State(m.stream); session != m.session || !live {
		m.n.hub.Publish(m.stream, session, since)
		m.session = session
	}
}

// finish applies a fragment's close and number.
func (m *partsMirror) finish(a *appliedFrag, c *wireClosed, number string) {
	if c != nil && !a.closed {
		m.n.hub.CloseFragment(m.stream, c.fragment(a.init))
		a.closed = true
	}
	if number != "" && a.number == "" {
		m.n.hub.Indexed(m.stream, a.key.session, a.key.index, number)
		a.number = number
	}
}

func (m *partsMirror) init(w *wireInit) *fragments.Init {
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
func (m *partsMirror) find(k fragKey, in *fragments.Init) *appliedFrag {
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

func (m *partsMirror) apply(msg *nats.Msg) error {
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

func (m *partsMirror) lost() { m.n.hub.Unpublish(m.stream, m.session) }

func (m *partsMirror) touch() { m.viewed = time.Now() }

func (m *partsMirror) idle() bool { return time.Since(m.viewed) > m.n.cfg.Idle }

func (m *partsMirror) forget() { m.n.hub.Forget(m.stream) }
