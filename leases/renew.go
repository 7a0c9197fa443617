package leases

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// renewLoop is the Table's one renewal goroutine: every Renew interval it
// heartbeats the node and renews every held lease.
func (t *Table) renewLoop() {
	defer t.wg.Done()
	tick := time.NewTicker(t.cfg.Renew)
	defer tick.Stop()
	for {
		select {
		case <-t.ctx.Done():
			return
		case <-tick.C:
			if !t.paused.Load() {
				t.renewAll()
			}
		}
	}
}

// renewal is one renewal in flight.
type renewal struct {
	l   *Lease
	f   jetstream.PubAckFuture
	err error
}

// renewAll publishes the heartbeat and one renewal per held lease at once
// (compare-and-set on each lease's revision, with the TTL again), then
// collects the answers until the next round is due. A renewal whose answer
// is late or an error leaves the lease to its deadline timer; one that
// finds the revision changed ends the lease, unless the change was one of
// its own renewals whose answer was lost.
func (t *Table) renewAll() {
	ctx, cancel := context.WithTimeout(t.ctx, t.cfg.Renew)
	defer cancel()
	sent := time.Now()
	hb := make(chan error, 1)
	go func() { hb <- t.heartbeat(ctx) }()

	var rs []renewal
	for _, l := range t.heldLeases() {
		l.mu.Lock()
		rev, done := l.rev, l.done
		l.mu.Unlock()
		if done { // lost on its deadline: free it if it is still ours
			t.forget(l)
			if err := t.free(ctx, l); err != nil {
				t.log.Debug("freeing a lost lease", "key", l.key, "err", err)
			}
			continue
		}
		m := &nats.Msg{Subject: t.subject + leasePrefix + l.key, Data: l.value, Header: nats.Header{}}
		f, err := t.js.PublishMsgAsync(m, jetstream.WithExpectLastSequencePerSubject(rev), jetstream.WithMsgTTL(t.cfg.TTL))
		rs = append(rs, renewal{l: l, f: f, err: err})
	}
	for _, r := range rs {
		err := r.err
		if err == nil {
			select {
			case ack := <-r.f.Ok():
				r.l.renewed(ack.Sequence, sent)
				continue
			case err = <-r.f.Err():
			case <-ctx.Done():
				err = ctx.Err()
			}
		}
		if isRevisionMismatch(err) {
			t.recheck(ctx, r.l)
			continue
		}
		t.log.Debug("renewal failed; the lease lives until its deadline", "key", r.l.key, "deadline", r.l.Deadline(), "err", err)
	}
	if err := <-hb; err != nil {
		t.log.Debug("heartbeat failed", "err", err)
	}
}

// recheck looks at a lease whose renewal found another revision: when the
// record is still this lease's (an earlier renewal landed after its answer
// was given up on), the lease continues from that revision, its deadline
// unchanged; otherwise it is lost.
func (t *Table) recheck(ctx context.Context, l *Lease) {
	_, own, r, err := t.holder(ctx, l.key)
	if err != nil {
		t.log.Debug("rechecking a lease", "key", l.key, "err", err)
		return // the deadline decides
	}
	if own != nil && r.Claim == l.claim {
		l.renewed(own.Revision(), time.Time{})
		return
	}
	l.lose("taken or expired on the server")
	t.forget(l)
}

// heartbeat writes this node's record with the TTL.
func (t *Table) heartbeat(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, t.cfg.OpTimeout)
	defer cancel()
	v := encode(nodeRecord{V: recordVersion, Instance: t.instance, Started: t.started, Meta: t.cfg.Meta})
	_, err := t.js.PublishMsg(ctx, &nats.Msg{Subject: t.subject + nodePrefix + t.cfg.Node, Data: v}, jetstream.WithMsgTTL(t.cfg.TTL))
	return err
}
