package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Owner decides which node records a stream, when several nodes share the
// stream core (cmd/sluice adapts a leases.Table). Recorder.Open claims the
// stream before recording and releases it once the session's fragments are
// indexed.
type Owner interface {
	// Claim takes the recording ownership of stream, or answers an
	// *OwnedElsewhereError when another live node has it.
	Claim(ctx context.Context, stream string) (Ownership, error)
}

// Ownership is a held claim on a stream (a *leases.Lease is one).
type Ownership interface {
	// Token is the fencing token: greater for every later claim of the
	// stream, by any node. Index writes carry it (fragments.Fence).
	Token() uint64
	// Lost is closed when the claim can no longer be trusted: recording
	// must stop at once.
	Lost() <-chan struct{}
	// Release gives the claim up, so that another node can take it.
	Release(ctx context.Context) error
}

// ErrOwnedElsewhere is matched (errors.Is) by an *OwnedElsewhereError.
var ErrOwnedElsewhere = errors.New("stream is recorded by another node")

// OwnedElsewhereError is Recorder.Open's answer when another node records
// the stream. A publisher can push to that node, or again here once that
// node's claim is released or has expired.
type OwnedElsewhereError struct {
	Stream string
	// Node is the recording node's name; "" when it could not be read.
	Node string
}

func (e *OwnedElsewhereError) Error() string {
	node := e.Node
	if node == "" {
		node = "another node"
	} else {
		node = "node " + node
	}
	return fmt.Sprintf("stream %s is being recorded by %s", e.Stream, node)
}

// Is makes errors.Is(err, ErrOwnedElsewhere) true.
func (e *OwnedElsewhereError) Is(target error) bool { return target == ErrOwnedElsewhere }

// ownership is the Recorder's hold on one stream: one claim shared by the
// stream's consecutive sessions on this node (a publisher that reconnects
// continues under the claim while the previous session's fragments are
// still being indexed), and the index fence that their archivers, which
// run one after the other, carry forward.
type ownership struct {
	stream string
	claim  Ownership
	users  int           // sessions using it; guarded by Recorder.mu
	done   chan struct{} // closed when the last user is done

	mu      sync.Mutex
	lastSeq uint64      // the index's last record as this node knows it
	fenced  atomic.Bool // a newer owner wrote to the index: lost for good
}

// lost reports whether the claim was lost, or the index fenced us off.
func (o *ownership) lost() bool {
	select {
	case <-o.claim.Lost():
		return true
	default:
		return o.fenced.Load()
	}
}

// acquire returns the stream's ownership, claimed now or shared with the
// stream's previous session on this node; nil without an Owner.
func (r *Recorder) acquire(ctx context.Context, stream string) (*ownership, error) {
	if r.cfg.Owner == nil {
		return nil, nil
	}
	r.mu.Lock()
	if o := r.owned[stream]; o != nil && !o.lost() {
		o.users++
		r.mu.Unlock()
		return o, nil
	}
	r.mu.Unlock()
	c, err := r.cfg.Owner.Claim(ctx, stream)
	if err != nil {
		return nil, err
	}
	// The fence starts at the index as it is once the claim is ours: a
	// previous owner's later write (it was paused past its claim) makes
	// our first write fail, and we look at who wrote it (fencedIndex).
	seq, err := r.lib.LastSeq(ctx, stream)
	if err != nil {
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = c.Release(rctx)
		cancel()
		return nil, fmt.Errorf("reading the index of %s: %w", stream, err)
	}
	o := &ownership{stream: stream, claim: c, users: 1, done: make(chan struct{}), lastSeq: seq}
	r.mu.Lock()
	r.owned[stream] = o
	r.wg.Add(1)
	r.mu.Unlock()
	go r.watchOwnership(o)
	r.log.Info("recording ownership claimed", "stream", stream, "token", c.Token())
	return o, nil
}

// watchOwnership ends the stream's session on this node as soon as the
// ownership is lost.
func (r *Recorder) watchOwnership(o *ownership) {
	defer r.wg.Done()
	select {
	case <-o.done:
		return
	case <-o.claim.Lost():
	}
	r.mu.Lock()
	if r.owned[o.stream] == o {
		delete(r.owned, o.stream)
	}
	s := r.active[o.stream]
	if s != nil && s.own != o {
		s = nil
	}
	r.mu.Unlock()
	r.log.Warn("recording ownership lost: recording stops, fragments not yet indexed are dropped", "stream", o.stream, "token", o.claim.Token())
	if s != nil {
		s.Close()
	}
}

// release ends a session's use of its ownership; the last user releases
// the claim.
func (r *Recorder) release(o *ownership) {
	if o == nil {
		return
	}
	r.mu.Lock()
	o.users--
	last := o.users == 0
	if last && r.owned[o.stream] == o {
		delete(r.owned, o.stream)
	}
	r.mu.Unlock()
	if !last {
		return
	}
	close(o.done)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := o.claim.Release(ctx); err != nil {
		r.log.Warn("releasing the recording ownership; it expires by itself", "stream", o.stream, "err", err)
	}
}
