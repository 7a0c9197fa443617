package leases

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Lease is one held lease. Its holder does the leased work until Lost
// closes, and fences its writes with Token.
type Lease struct {
	t     *Table
	key   string
	token uint64
	value []byte // the record renewals write again
	claim string // the record's claim ID

	lost     chan struct{}
	lostOnce sync.Once

	mu       sync.Mutex
	rev      uint64    // revision of the last write of ours known to have landed
	deadline time.Time // local: Lost closes then unless renewed
	timer    *time.Timer
	done     bool // lost or released: no more renewals
	released bool
}

// Key returns the lease key.
func (l *Lease) Key() string { return l.key }

// Owner returns the holding node's name.
func (l *Lease) Owner() string { return l.t.cfg.Node }

// Token returns the fencing token: the KV revision of the claim. Tokens of
// successive holders of a key strictly increase (they are sequence numbers
// of one JetStream stream), so a store that remembers the highest token it
// accepted can refuse a write from an earlier holder. See the package doc.
func (l *Lease) Token() uint64 { return l.token }

// Lost returns a channel closed as soon as the holder can no longer be
// sure it holds the lease: a renewal found it taken, the local deadline
// passed without a successful renewal, it was released, or the Table
// closed. The local deadline is Margin earlier than the server's expiry, as
// measured from the send of the last successful renewal. Once closed, the
// lease is over for good: claim again for a new one.
func (l *Lease) Lost() <-chan struct{} { return l.lost }

// Deadline returns the local time at which Lost will close unless a
// renewal lands first.
func (l *Lease) Deadline() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.deadline
}

// Claim takes the lease of key if it is free (never held, released or
// expired). Of several nodes claiming one free key at once exactly one
// wins: the claim is a compare-and-set on the key's KV revision. When a
// live holder has it (another node, or this Table), Claim returns a
// *HeldError (errors.Is ErrHeld). Other errors are the server's or ctx's;
// after one, the lease may have been taken by this Table on the server
// without its knowing: the next Claim of the key by this Table cleans that
// up itself.
func (t *Table) Claim(ctx context.Context, key string) (*Lease, error) {
	if !ValidKey(key) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	t.mu.Lock()
	switch {
	case t.closed:
		t.mu.Unlock()
		return nil, ErrClosed
	case t.held[key] != nil || t.claiming[key]:
		t.mu.Unlock()
		return nil, &HeldError{Key: key, Owner: t.cfg.Node, Expires: time.Now().Add(t.cfg.TTL)}
	}
	t.claiming[key] = true
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		delete(t.claiming, key)
		t.mu.Unlock()
	}()

	claim := newInstance()
	value := encode(leaseRecord{V: recordVersion, Owner: t.cfg.Node, Instance: t.instance, Claim: claim, TTLMilli: t.cfg.TTL.Milliseconds(), Since: time.Now()})
	for attempt := 0; ; attempt++ {
		sent := time.Now()
		rev, err := t.kv.Create(ctx, leasePrefix+key, value, jetstream.KeyTTL(t.cfg.TTL))
		if err == nil {
			return t.adopt(ctx, key, claim, value, rev, sent)
		}
		// Create over a released key answers a lost race with the raw
		// wrong-last-sequence error (10164 on replicated buckets), not
		// ErrKeyExists.
		if !isRevisionMismatch(err) {
			return nil, fmt.Errorf("leases: claiming %s: %w", key, err)
		}
		held, orphan, _, err := t.holder(ctx, key)
		if err != nil {
			return nil, err
		}
		if held != nil {
			return nil, held
		}
		if attempt == 4 {
			// The compare-and-set failed but every read said free: reads
			// come from replicas that may lag the write that beat us.
			return nil, &HeldError{Key: key, Expires: time.Now().Add(t.cfg.TTL)}
		}
		if orphan == nil {
			select {
			case <-time.After(10 * time.Millisecond << attempt):
			case <-ctx.Done():
				return nil, fmt.Errorf("leases: claiming %s: %w", key, ctx.Err())
			}
		}
		// Free again, or ours from a claim whose answer was lost: remove
		// that orphan and try again.
		if orphan != nil {
			if err := t.kv.Purge(ctx, leasePrefix+key, jetstream.LastRevision(orphan.Revision()), jetstream.PurgeTTL(markerTTL)); err != nil && !isRevisionMismatch(err) {
				return nil, fmt.Errorf("leases: removing an orphan claim of %s: %w", key, err)
			}
		}
	}
}

// holder reads the current holder of key: a HeldError when another holder
// has it; the entry and its record when this Table wrote it (a lease that
// is not held any more, or a claim whose answer was lost: an orphan when
// this Table does not hold the key); neither when it is free.
func (t *Table) holder(ctx context.Context, key string) (*HeldError, jetstream.KeyValueEntry, leaseRecord, error) {
	e, err := t.kv.Get(ctx, leasePrefix+key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return nil, nil, leaseRecord{}, nil
	}
	if err != nil {
		return nil, nil, leaseRecord{}, fmt.Errorf("leases: reading %s: %w", key, err)
	}
	r, err := decodeLease(e.Value())
	if err != nil {
		return &HeldError{Key: key, Owner: "?", Expires: e.Created().Add(t.cfg.TTL)}, nil, r, nil
	}
	if r.Instance == t.instance {
		return nil, e, r, nil
	}
	return &HeldError{Key: key, Owner: r.Owner, Expires: e.Created().Add(time.Duration(r.TTLMilli) * time.Millisecond)}, nil, r, nil
}

// adopt registers a lease this Table just created on the server.
func (t *Table) adopt(ctx context.Context, key, claim string, value []byte, rev uint64, sent time.Time) (*Lease, error) {
	l := &Lease{t: t, key: key, token: rev, value: value, claim: claim, rev: rev, lost: make(chan struct{})}
	l.mu.Lock() // the timer's goroutine reads l.timer
	l.deadline = sent.Add(t.cfg.TTL - t.cfg.Margin)
	l.timer = time.AfterFunc(time.Until(l.deadline), l.expire)
	l.mu.Unlock()
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		_ = l.Release(ctx)
		return nil, ErrClosed
	}
	t.held[key] = l
	t.mu.Unlock()
	return l, nil
}

// renewed records a renewal that landed at rev, sent at sent.
func (l *Lease) renewed(rev uint64, sent time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if rev > l.rev {
		l.rev = rev
	}
	if l.done {
		return
	}
	if d := sent.Add(l.t.cfg.TTL - l.t.cfg.Margin); d.After(l.deadline) {
		l.deadline = d
		l.timer.Reset(time.Until(d))
	}
}

// expire runs when the deadline timer fires.
func (l *Lease) expire() {
	l.mu.Lock()
	if !l.done {
		if wait := time.Until(l.deadline); wait > 0 { // a renewal moved it meanwhile
			l.timer.Reset(wait)
			l.mu.Unlock()
			return
		}
	}
	l.mu.Unlock()
	l.lose("deadline passed without renewal")
}

// lose ends the lease locally: no more renewals, Lost closes. The record
// on the server is left to the renewal loop (which removes it when it is
// still ours) or to Release.
func (l *Lease) lose(why string) {
	l.mu.Lock()
	l.done = true
	l.timer.Stop()
	l.mu.Unlock()
	l.lostOnce.Do(func() {
		if why != "" {
			l.t.log.Warn("lease lost", "key", l.key, "token", l.token, "why", why)
		}
		close(l.lost)
	})
}

// Release ends the lease and frees it on the server, so that another
// node can claim it at once. Lost closes first: the caller stops its work
// before calling Release. Releasing a lease that was lost (or released)
// frees what is still this Table's and returns nil. The delete is a
// compare-and-set on the revision: it never removes another holder's
// lease.
func (l *Lease) Release(ctx context.Context) error {
	l.mu.Lock()
	if l.released {
		l.mu.Unlock()
		return nil
	}
	l.released = true
	l.mu.Unlock()
	l.lose("")
	l.t.forget(l)
	return l.t.free(ctx, l)
}

// forget drops l from the held leases.
func (t *Table) forget(l *Lease) {
	t.mu.Lock()
	if t.held[l.key] == l {
		delete(t.held, l.key)
	}
	t.mu.Unlock()
}

// free removes l's record from the server if it is still this Table's.
func (t *Table) free(ctx context.Context, l *Lease) error {
	for range 3 {
		l.mu.Lock()
		rev := l.rev
		l.mu.Unlock()
		err := t.kv.Purge(ctx, leasePrefix+l.key, jetstream.LastRevision(rev), jetstream.PurgeTTL(markerTTL))
		if err == nil {
			return nil
		}
		if !isRevisionMismatch(err) {
			return fmt.Errorf("leases: releasing %s: %w", l.key, err)
		}
		// A renewal of this lease may have landed after rev; or someone
		// else holds the key now, or nobody.
		_, own, r, err := t.holder(ctx, l.key)
		if err != nil {
			return err
		}
		if own == nil || r.Claim != l.claim {
			return nil
		}
		l.renewed(own.Revision(), time.Time{})
	}
	return fmt.Errorf("leases: releasing %s: the key kept changing", l.key)
}

// isRevisionMismatch reports a failed compare-and-set (code 10071, or
// 10164 on replicated streams).
func isRevisionMismatch(err error) bool {
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return true
	}
	var api *jetstream.APIError
	return errors.As(err, &api) && (api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
