package edge

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/sluice-dev/sluice/fragments"
)

// Node is one Sluice node's part in sharing live edges: it publishes the
// streams its hub records while other nodes are interested (feeds) and
// mirrors into its hub the streams other nodes record while it has
// readers of them (mirrors); with Config.Relay, the same for the relay's
// access units (WHEP viewers). New -> Close.
type Node struct {
	nc  *nats.Conn
	hub *fragments.Hub
	cfg Config

	subs []*nats.Subscription // join, keep (and ujoin, ukeep, ukey), all streams
	wg   sync.WaitGroup
	ctx  context.Context // ends at Close
	stop context.CancelFunc
	done <-chan struct{} // ctx.Done()

	mu      sync.Mutex // guards the maps and closed; taken before the hub's and the relay's locks
	feeds   map[string]*feed
	ufeeds  map[string]*unitFeed
	mirrors map[mkey]*follow
	notLive map[mkey]time.Time // until when a join is not retried
	closed  bool
}

// New starts a Node on nc over hub and installs its hook (Hub.OnView):
// create it before the hub is read. Close stops it.
func New(nc *nats.Conn, hub *fragments.Hub, cfg Config) (*Node, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	n := &Node{nc: nc, hub: hub, cfg: cfg, feeds: map[string]*feed{}, ufeeds: map[string]*unitFeed{},
		mirrors: map[mkey]*follow{}, notLive: map[mkey]time.Time{}}
	n.ctx, n.stop = context.WithCancel(context.Background())
	n.done = n.ctx.Done()
	type handler struct {
		suffix string
		fn     nats.MsgHandler
	}
	handlers := []handler{{"join", n.onJoin}, {"keep", n.onKeep}}
	if cfg.Relay != nil {
		handlers = append(handlers, handler{"ujoin", n.onUnitJoin}, handler{"ukeep", n.onUnitKeep}, handler{"ukey", n.onUnitKey})
	}
	for _, h := range handlers {
		sub, err := nc.Subscribe(cfg.Prefix+".*."+h.suffix, h.fn)
		if err != nil {
			n.Close()
			return nil, err
		}
		n.subs = append(n.subs, sub)
	}
	if err := nc.Flush(); err != nil {
		n.Close()
		return nil, err
	}
	hub.OnView(n.watch)
	if cfg.Relay != nil {
		cfg.Relay.OnSubscribe(n.watchUnits)
	}
	return n, nil
}

// Close stops publishing and mirroring, forgets the mirrored streams and
// waits for the Node's goroutines.
func (n *Node) Close() {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	n.closed = true
	n.stop()
	n.mu.Unlock()
	for _, s := range n.subs {
		s.Unsubscribe()
	}
	n.wg.Wait()
}

// recording reports whether this node's hub has a live session of stream
// that it did not mirror.
func (n *Node) recording(stream string) bool {
	if _, live := n.hub.State(stream); !live {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.mirrors[mkey{mirrorParts, stream}] == nil
}

// onJoin answers a mirroring node's join with the stream's snapshot, when
// this node records it, and extends the interest in it.
func (n *Node) onJoin(m *nats.Msg) {
	stream, ok := n.cfg.streamOf(m.Subject)
	if !ok || !n.interest(stream) {
		return
	}
	b, err := n.snapshot(stream)
	if err != nil {
		n.cfg.Logger.Warn("edge: snapshot", "stream", stream, "err", err)
		return
	}
	if err := m.Respond(b); err != nil {
		n.cfg.Logger.Warn("edge: answer join", "stream", stream, "err", err)
	}
}

// onKeep extends the interest in a stream this node records.
func (n *Node) onKeep(m *nats.Msg) {
	if stream, ok := n.cfg.streamOf(m.Subject); ok {
		n.interest(stream)
	}
}

// interest starts (or extends) the feed of a stream this node records;
// false when it does not record it.
func (n *Node) interest(stream string) bool {
	if !n.recording(stream) {
		return false
	}
	v := n.hub.View(stream) // before the snapshot: the feed sends what follows
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return false
	}
	f := n.feeds[stream]
	if f == nil {
		f = newFeed(n, stream, v)
		n.feeds[stream] = f
		n.wg.Add(1)
		go f.run(v)
	}
	f.until = time.Now().Add(n.cfg.Interest)
	return true
}
