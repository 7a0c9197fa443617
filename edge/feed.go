package edge

import (
	"encoding/json"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/sluice-dev/sluice/fragments"
)

// feed publishes one recorded stream's hub changes while some node is
// interested. Its goroutine owns everything but until (Node.mu).
type feed struct {
	n       *Node
	stream  string
	subj    subjects
	until   time.Time
	session string
	live    bool
	sent    map[fragKey]*progress
}

type fragKey struct {
	session string
	index   int
}

// progress is how much of a fragment was sent (feed) or applied (mirror).
type progress struct {
	parts  int
	closed bool
	number string
}

// newFeed starts from view v: what it holds counts as sent (the
// snapshots that joins receive carry it).
func newFeed(n *Node, stream string, v fragments.View) *feed {
	f := &feed{n: n, stream: stream, subj: n.cfg.subjects(stream), session: v.Session, live: v.Live, sent: map[fragKey]*progress{}}
	for _, lf := range v.Fragments {
		f.sent[fragKey{lf.Session, lf.Index}] = &progress{parts: len(lf.Parts), closed: lf.Closed != nil, number: lf.Number}
	}
	return f
}

func (f *feed) run(v fragments.View) {
	defer f.n.wg.Done()
	t := time.NewTimer(f.n.cfg.Interest)
	defer t.Stop()
	for {
		select {
		case <-v.Updated:
			v = f.n.hub.View(f.stream)
			f.send(v)
		case <-t.C:
			f.n.mu.Lock()
			left := time.Until(f.until)
			if left <= 0 {
				delete(f.n.feeds, f.stream)
				f.n.mu.Unlock()
				return
			}
			f.n.mu.Unlock()
			t.Reset(left)
		case <-f.n.done:
			return
		}
	}
}

// send publishes what changed since the last view: a new session, then
// each fragment's new parts, its close and its number, then the end of
// the session.
func (f *feed) send(v fragments.View) {
	if v.Live && (v.Session != f.session || !f.live) {
		f.publish(kindPublish, event{Session: v.Session, Since: v.Since}, nil)
	}
	keep := make(map[fragKey]bool, len(v.Fragments))
	for _, lf := range v.Fragments {
		k := fragKey{lf.Session, lf.Index}
		keep[k] = true
		s := f.sent[k]
		if s == nil {
			s = &progress{}
			f.sent[k] = s
		}
		for ; s.parts < len(lf.Parts); s.parts++ {
			p := lf.Parts[s.parts]
			b, err := p.Data()
			if err != nil {
				continue // dropped already (archived): mirrors see a gap
			}
			w := toWirePart(p)
			if p.Index == 0 {
				w.Init = toWireInit(p.Init)
			}
			f.publish(kindPart, w, b)
		}
		if lf.Closed != nil && !s.closed {
			s.closed = true
			f.publish(kindClose, toWireClosed(lf), nil)
		}
		if lf.Number != "" && s.number == "" {
			s.number = lf.Number
			f.publish(kindIndexed, event{Session: lf.Session, Index: lf.Index, Number: lf.Number}, nil)
		}
	}
	for k := range f.sent {
		if !keep[k] {
			delete(f.sent, k)
		}
	}
	if !v.Live && f.live {
		f.publish(kindUnpublish, event{Session: f.session}, nil)
	}
	f.session, f.live = v.Session, v.Live
}

func (f *feed) publish(kind string, meta any, body []byte) {
	m, err := message(f.subj.feed, kind, meta, body)
	if err == nil {
		err = f.n.nc.PublishMsg(m)
	}
	if err != nil {
		f.n.cfg.Logger.Warn("edge: publish", "stream", f.stream, "kind", kind, "err", err)
	}
}

// snapshot encodes the stream's live edge for a join: every fragment's
// metadata, and the bytes of the open fragment's parts and of the newest
// closed fragment (without the latter when the whole would exceed the
// connection's maximum payload).
func (n *Node) snapshot(stream string) ([]byte, error) {
	v := n.hub.View(stream)
	newest := -1
	for i, lf := range v.Fragments {
		if lf.Closed != nil {
			newest = i
		}
	}
	var b []byte
	var err error
	for _, closedBytes := range []bool{true, false} {
		s := snapshot{Version: version, Session: v.Session, Since: v.Since}
		for i, lf := range v.Fragments {
			wf := wireFragment{Session: lf.Session, Index: lf.Index, Init: *toWireInit(lf.Init), Number: lf.Number}
			bytes := lf.Closed == nil || i == newest && closedBytes
			for _, p := range lf.Parts {
				w := toWirePart(p)
				if bytes {
					w.Bytes, _ = p.Data() // nil when no longer held
				}
				wf.Parts = append(wf.Parts, w)
			}
			if lf.Closed != nil {
				wf.Closed = toWireClosed(lf)
			}
			s.Fragments = append(s.Fragments, wf)
		}
		if b, err = json.Marshal(s); err != nil || int64(len(b)) <= n.nc.MaxPayload() {
			return b, err
		}
	}
	return nil, nats.ErrMaxPayload
}
