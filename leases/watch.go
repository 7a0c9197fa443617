package leases

import (
	"context"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// EventKind says what an Event reports.
type EventKind int

// Event kinds.
const (
	// Claimed: lease Key has a new holder, Owner. Renewals are not
	// reported.
	Claimed EventKind = iota + 1
	// Freed: lease Key was released or expired on the server.
	Freed
	// Joined: node Key is live (its first heartbeat, or a new instance).
	Joined
	// Left: node Key closed or its heartbeat expired.
	Left
	// Ready: the events before it described the state when Watch began
	// (a Claimed for each held lease, a Joined for each live node); those
	// after it are changes.
	Ready
)

func (k EventKind) String() string {
	switch k {
	case Claimed:
		return "claimed"
	case Freed:
		return "freed"
	case Joined:
		return "joined"
	case Left:
		return "left"
	case Ready:
		return "ready"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one change in the bucket.
type Event struct {
	Kind EventKind
	// Key is the lease key (Claimed, Freed) or the node name (Joined,
	// Left).
	Key string
	// Owner is the new holder (Claimed).
	Owner string
	// Revision is the KV revision of the change.
	Revision uint64
}

// Watch reports lease and node changes as the server records them: an
// expiry as soon as the server removes the record (at the TTL, or up to
// about a second later), a release at once. The channel is closed when ctx
// ends or the Table closes; the caller must keep reading until then (a
// slow reader delays only its own watch). Events of one key come in the
// server's order.
func (t *Table) Watch(ctx context.Context) (<-chan Event, error) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, ErrClosed
	}
	t.wg.Add(1)
	t.mu.Unlock()
	wctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(t.ctx, cancel)
	w, err := t.kv.WatchFiltered(wctx, []string{leasePrefix + ">", nodePrefix + "*"})
	if err != nil {
		stop()
		cancel()
		t.wg.Done()
		return nil, fmt.Errorf("leases: watch: %w", err)
	}
	ch := make(chan Event, 64)
	go func() {
		defer t.wg.Done()
		defer cancel()
		defer stop()
		defer close(ch)
		defer func() { _ = w.Stop() }()
		claims := map[string]string{} // lease key -> claim ID of its holder
		nodes := map[string]string{}  // node name -> instance
		send := func(e Event) bool {
			select {
			case ch <- e:
				return true
			case <-wctx.Done():
				return false
			}
		}
		for {
			var e jetstream.KeyValueEntry
			var ok bool
			select {
			case <-wctx.Done():
				return
			case e, ok = <-w.Updates():
				if !ok {
					return
				}
			}
			if e == nil {
				if !send(Event{Kind: Ready}) {
					return
				}
				continue
			}
			ev, emit := t.translate(e, claims, nodes)
			if emit && !send(ev) {
				return
			}
		}
	}()
	return ch, nil
}

// translate turns a KV entry into an Event, tracking holders and node
// instances so that renewals and heartbeats report nothing.
func (t *Table) translate(e jetstream.KeyValueEntry, claims, nodes map[string]string) (Event, bool) {
	put := e.Operation() == jetstream.KeyValuePut
	if key, ok := strings.CutPrefix(e.Key(), leasePrefix); ok {
		if !put {
			if _, known := claims[key]; !known {
				return Event{}, false
			}
			delete(claims, key)
			return Event{Kind: Freed, Key: key, Revision: e.Revision()}, true
		}
		r, err := decodeLease(e.Value())
		if err != nil {
			t.log.Warn("skipping an unreadable lease record", "key", e.Key(), "err", err)
			return Event{}, false
		}
		if claims[key] == r.Claim {
			return Event{}, false
		}
		claims[key] = r.Claim
		return Event{Kind: Claimed, Key: key, Owner: r.Owner, Revision: e.Revision()}, true
	}
	name := strings.TrimPrefix(e.Key(), nodePrefix)
	if !put {
		if _, known := nodes[name]; !known {
			return Event{}, false
		}
		delete(nodes, name)
		return Event{Kind: Left, Key: name, Revision: e.Revision()}, true
	}
	r, err := decodeNode(e.Value())
	if err != nil {
		t.log.Warn("skipping an unreadable node record", "key", e.Key(), "err", err)
		return Event{}, false
	}
	if nodes[name] == r.Instance {
		return Event{}, false
	}
	nodes[name] = r.Instance
	return Event{Kind: Joined, Key: name, Revision: e.Revision()}, true
}
