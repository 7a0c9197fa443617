package edge

import (
	"errors"
	"time"

	"github.com/nats-io/nats.go"
)

// Kinds of mirrors: the hub's parts (LL-HLS, KVS LIVE, GetMedia) and the
// relay's access units (WHEP).
const (
	mirrorParts = "parts"
	mirrorUnits = "units"
)

// mkey names one mirror: a stream, of one kind.
type mkey struct{ kind, stream string }

// follower is one kind of mirror; follow runs its lifecycle.
type follower interface {
	// join applies a recorder's snapshot (follow subscribed to the feed
	// first); nats.ErrNoResponders or ErrTimeout when nobody records
	// the stream.
	join(snapshot []byte) error
	// apply applies one feed message in order; errGap to join again.
	apply(*nats.Msg) error
	// lost: a join again failed, the stream is not live anywhere now.
	lost()
	// touch records a reader (with Node.mu held).
	touch()
	// idle reports whether the mirror has had no reader for Config.Idle
	// (with Node.mu held).
	idle() bool
	// forget drops what the mirror put in this node (with Node.mu held).
	forget()
}

// follow is what every mirror shares: the feed subscription, the join
// request, the keep messages, the stop when idle. Its goroutine owns
// everything; the first reader runs the first join before ready closes.
type follow struct {
	n     *Node
	key   mkey
	subj  subjects
	f     follower
	ready chan struct{}
	sub   *nats.Subscription
	msgs  chan *nats.Msg
}

// subjects of a follow's kind: the feed, the join and the keep subject.
func (fo *follow) feed() (feed, join, keep string) {
	if fo.key.kind == mirrorUnits {
		return fo.subj.units, fo.subj.ujoin, fo.subj.ukeep
	}
	return fo.subj.feed, fo.subj.join, fo.subj.keep
}

// mirror makes sure stream is mirrored, with kind k, when a reader needs
// it: it starts the mirror (made by newF) and waits for its first join,
// or waits for the running one's. recorded reports whether this node
// records the stream itself (no mirror then).
func (n *Node) mirror(k mkey, recorded func() bool, newF func(*follow) follower) {
	now := time.Now()
	n.mu.Lock()
	if fo := n.mirrors[k]; fo != nil {
		fo.f.touch()
		n.mu.Unlock()
		<-fo.ready
		return
	}
	if until, ok := n.notLive[k]; n.closed || ok && now.Before(until) {
		n.mu.Unlock()
		return
	}
	n.mu.Unlock()
	if recorded() {
		return
	}
	n.mu.Lock()
	if n.closed || n.mirrors[k] != nil {
		n.mu.Unlock()
		n.mirror(k, recorded, newF)
		return
	}
	fo := &follow{n: n, key: k, subj: n.cfg.subjects(k.stream), ready: make(chan struct{})}
	fo.f = newF(fo)
	fo.f.touch()
	n.mirrors[k] = fo
	n.mu.Unlock()

	if err := fo.join(); err != nil {
		n.mu.Lock()
		delete(n.mirrors, k)
		for s, until := range n.notLive {
			if now.After(until) {
				delete(n.notLive, s)
			}
		}
		n.notLive[k] = now.Add(n.cfg.NotLiveTTL)
		n.mu.Unlock()
		if fo.sub != nil {
			fo.sub.Unsubscribe()
		}
		close(fo.ready)
		if !errors.Is(err, nats.ErrNoResponders) && !errors.Is(err, nats.ErrTimeout) {
			n.cfg.Logger.Warn("edge: join", "stream", k.stream, "kind", k.kind, "err", err)
		}
		return
	}
	close(fo.ready)
	n.wg.Add(1)
	go fo.run()
}

// join subscribes to the feed (once) and applies a recorder's snapshot.
func (fo *follow) join() error {
	nc := fo.n.nc
	feed, join, _ := fo.feed()
	if fo.sub == nil {
		fo.msgs = make(chan *nats.Msg, 4096)
		sub, err := nc.ChanSubscribe(feed, fo.msgs)
		if err != nil {
			return err
		}
		fo.sub = sub
		if err := nc.Flush(); err != nil { // the feed is subscribed before the snapshot is taken
			return err
		}
	}
	reply, err := nc.Request(join, nil, fo.n.cfg.JoinTimeout)
	if err != nil {
		return err
	}
	return fo.f.join(reply.Data)
}

func (fo *follow) run() {
	n := fo.n
	defer n.wg.Done()
	_, _, keep := fo.feed()
	tick := time.NewTicker(min(n.cfg.Interest/3, n.cfg.Idle/4))
	defer tick.Stop()
	for {
		select {
		case msg := <-fo.msgs:
			if err := fo.f.apply(msg); err != nil {
				fo.resync(err)
			}
		case <-tick.C:
			if fo.stopIdle() {
				return
			}
			if err := n.nc.Publish(keep, nil); err != nil {
				n.cfg.Logger.Warn("edge: keep", "stream", fo.key.stream, "kind", fo.key.kind, "err", err)
			}
		case <-n.done:
			fo.stop()
			return
		}
	}
}

// errGap: the feed skipped something this mirror needs.
var errGap = errors.New("edge: gap in the feed")

// resync joins again after a gap; when no node records the stream any
// more, its session ends here.
func (fo *follow) resync(cause error) {
	if err := fo.join(); err != nil {
		fo.f.lost()
		if !errors.Is(err, nats.ErrNoResponders) && !errors.Is(err, nats.ErrTimeout) {
			fo.n.cfg.Logger.Warn("edge: rejoin", "stream", fo.key.stream, "kind", fo.key.kind, "cause", cause, "err", err)
		}
	}
}

// stopIdle stops the mirror when it has had no reader for Idle (checked
// under Node.mu, which a new reader takes to find the mirror).
func (fo *follow) stopIdle() bool {
	n := fo.n
	n.mu.Lock()
	if !fo.f.idle() {
		n.mu.Unlock()
		return false
	}
	fo.forget()
	return true
}

// stop forgets the mirrored state and unsubscribes.
func (fo *follow) stop() {
	fo.n.mu.Lock()
	fo.forget()
}

// forget is stop with Node.mu held, which it releases.
func (fo *follow) forget() {
	n := fo.n
	fo.f.forget()
	delete(n.mirrors, fo.key)
	n.mu.Unlock()
	fo.sub.Unsubscribe()
}
