package streams

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A claim holds one key of the claim bucket for one holder across every
// node sharing the JetStream: it is created with compare-and-set (so one
// holder wins) and a per-message TTL of Config.ClaimTTL, renewed by
// compare-and-set every third of that, and released by a purge that names
// the revision held. The revision is the claim's fencing token: a holder
// that lost its claim (it expired, or was released) can neither renew nor
// release the next holder's.
//
// Claims are what keep one SubscribeToShard per consumer and shard. They
// are deliberately small; the leases package does the general thing
// (hand-over, spreading work over nodes) and this could move onto it.
type claim struct {
	c    *Core
	key  string
	stop context.CancelFunc
	done chan struct{}

	mu   sync.Mutex
	rev  uint64
	gone bool // released or lost
}

// claimKey is the claim bucket key of a (consumer, shard) pair: the ARN
// hashed, as KV keys do not take every character an ARN has.
func claimKey(consumerARN string, shard int) string {
	h := sha256.Sum256([]byte(consumerARN))
	return "sub." + hex.EncodeToString(h[:16]) + "." + strconv.Itoa(shard)
}

// takeClaim claims key for this node and keeps it renewed until release,
// calling lost (once, from another goroutine) if it cannot be kept.
// ErrInUse when another holder has it; ErrUnavailable when JetStream does
// not answer.
func (c *Core) takeClaim(ctx context.Context, key string, lost func()) (*claim, error) {
	v, _ := json.Marshal(struct {
		Node  string    `json:"node"`
		Since time.Time `json:"since"`
	}{c.node, time.Now().UTC()})
	rev, err := c.claims.Create(ctx, key, v, jetstream.KeyTTL(c.cfg.ClaimTTL))
	if err != nil {
		if isWrongLastSequence(err) {
			return nil, ErrInUse
		}
		return nil, errf(ErrUnavailable, "claiming: %v", err)
	}
	rctx, stop := context.WithCancel(c.ctx)
	cl := &claim{c: c, key: key, rev: rev, stop: stop, done: make(chan struct{})}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer close(cl.done)
		if !cl.keep(rctx, v) && rctx.Err() == nil {
			lost()
		}
	}()
	return cl, nil
}

// keep renews the claim until ctx ends (true) or the claim is lost
// (false): another revision took its place, or no renewal succeeded for
// most of the TTL, after which another node may claim it.
func (cl *claim) keep(ctx context.Context, v []byte) bool {
	c := cl.c
	ttl := c.cfg.ClaimTTL
	subject := "$KV." + c.claimBucket() + "." + cl.key
	renewed := time.Now()
	t := time.NewTicker(ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return true
		case <-t.C:
		}
		cl.mu.Lock()
		rev, gone := cl.rev, cl.gone
		cl.mu.Unlock()
		if gone {
			return true
		}
		actx, cancel := context.WithTimeout(ctx, ttl/3)
		ack, err := c.js.PublishMsg(actx, &nats.Msg{Subject: subject, Data: v},
			jetstream.WithExpectLastSequencePerSubject(rev), jetstream.WithMsgTTL(ttl))
		cancel()
		switch {
		case err == nil:
			cl.mu.Lock()
			cl.rev = ack.Sequence
			cl.mu.Unlock()
			renewed = time.Now()
		case isWrongLastSequence(err):
			c.log.Warn("subscription claim lost", "key", cl.key, "err", err)
			return false
		case ctx.Err() != nil:
			return true
		case time.Since(renewed) > ttl-ttl/10:
			c.log.Warn("subscription claim could not be renewed", "key", cl.key, "err", err)
			return false
		}
	}
}

// release gives the claim up (only the revision held: never another
// holder's) and stops its renewal. Idempotent.
func (cl *claim) release() {
	cl.mu.Lock()
	if cl.gone {
		cl.mu.Unlock()
		return
	}
	cl.gone = true
	cl.mu.Unlock()
	cl.stop()
	<-cl.done
	cl.mu.Lock()
	rev := cl.rev
	cl.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), cl.c.cfg.AttemptTimeout)
	defer cancel()
	// A failure leaves the key to expire with its TTL.
	_ = cl.c.claims.Purge(ctx, cl.key, jetstream.LastRevision(rev), jetstream.PurgeTTL(cl.c.cfg.ClaimTTL))
}
