package leases

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Table is one node's view of the leases in a bucket: it claims, renews
// and releases this node's leases and heartbeats the node. It is safe for
// concurrent use. Open starts it; Close releases everything and waits for
// its goroutines.
type Table struct {
	cfg      Config
	js       jetstream.JetStream
	kv       jetstream.KeyValue
	log      *slog.Logger
	instance string // unique per Open: tells this Table's records from a namesake's
	started  time.Time
	subject  string // "$KV.<bucket>.": renewals publish there directly

	mu        sync.Mutex
	held      map[string]*Lease // by key
	claiming  map[string]bool   // keys with a Claim in flight
	assigners map[*Assigner]bool
	closed    bool

	paused atomic.Bool // test hook: renewals and heartbeats stop

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Open creates the bucket if it does not exist (idempotent: any number of
// nodes may Open at once on a fresh cluster), publishes this node's first
// heartbeat and starts the renewal goroutine. Each bucket attempt is
// bounded by Config.OpTimeout and retried until ctx ends, so Open waits out
// a cluster that is still electing its meta leader.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Table, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	t := &Table{
		cfg:       cfg,
		js:        js,
		instance:  newInstance(),
		started:   time.Now(),
		subject:   "$KV." + cfg.Bucket + ".",
		held:      map[string]*Lease{},
		claiming:  map[string]bool{},
		assigners: map[*Assigner]bool{},
	}
	t.log = cfg.Logger.With("component", "leases", "node", cfg.Node)
	kv, err := t.openBucket(ctx)
	if err != nil {
		return nil, err
	}
	t.kv = kv
	if err := t.heartbeat(ctx); err != nil {
		return nil, fmt.Errorf("leases: first heartbeat: %w", err)
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	t.wg.Add(1)
	go t.renewLoop()
	return t, nil
}

func (t *Table) openBucket(ctx context.Context) (jetstream.KeyValue, error) {
	want := jetstream.KeyValueConfig{
		Bucket:         t.cfg.Bucket,
		Description:    "Sluice leases and node heartbeats",
		History:        1,
		Storage:        jetstream.FileStorage, // revisions must never go back: they are fencing tokens
		Replicas:       t.cfg.Replicas,
		LimitMarkerTTL: markerTTL,
	}
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, t.cfg.OpTimeout)
		kv, err := t.js.CreateKeyValue(actx, want)
		if errors.Is(err, jetstream.ErrBucketExists) {
			// Created by another node, maybe with other settings: use it
			// as it is, provided it can expire keys.
			kv, err = t.js.KeyValue(actx, t.cfg.Bucket)
			if err == nil {
				var st jetstream.KeyValueStatus
				if st, err = kv.Status(actx); err == nil && st.LimitMarkerTTL() == 0 {
					cancel()
					return nil, fmt.Errorf("leases: bucket %s exists without per-key TTL (LimitMarkerTTL); delete it or name another", t.cfg.Bucket)
				}
			}
		}
		cancel()
		if err == nil {
			return kv, nil
		}
		if errors.Is(err, jetstream.ErrLimitMarkerTTLNotSupported) {
			return nil, fmt.Errorf("leases: bucket %s: the NATS server is older than 2.11: %w", t.cfg.Bucket, err)
		}
		t.log.Debug("creating the lease bucket", "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("leases: bucket %s: %w (last attempt: %v)", t.cfg.Bucket, ctx.Err(), err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// Node returns this node's name.
func (t *Table) Node() string { return t.cfg.Node }

// TTL returns the lease TTL.
func (t *Table) TTL() time.Duration { return t.cfg.TTL }

// Close closes the Assigners made from the Table, releases every lease
// it holds (their Lost channels close), removes this node's heartbeat so
// that other nodes see it leave at once, and waits for the Table's
// goroutines, Watch channels included. Releases that fail (the server is
// unreachable) are reported; those leases expire by TTL. Close is
// idempotent.
func (t *Table) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	as := make([]*Assigner, 0, len(t.assigners))
	for a := range t.assigners {
		as = append(as, a)
	}
	t.mu.Unlock()
	for _, a := range as {
		a.Close()
	}
	t.cancel()
	t.wg.Wait()

	ctx, cancel := context.WithTimeout(context.Background(), t.cfg.OpTimeout)
	defer cancel()
	var errs []error
	for _, l := range t.heldLeases() {
		if err := l.Release(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := t.kv.Purge(ctx, nodePrefix+t.cfg.Node, jetstream.PurgeTTL(markerTTL)); err != nil {
		errs = append(errs, fmt.Errorf("leases: removing heartbeat: %w", err))
	}
	return errors.Join(errs...)
}

func (t *Table) heldLeases() []*Lease {
	t.mu.Lock()
	defer t.mu.Unlock()
	ls := make([]*Lease, 0, len(t.held))
	for _, l := range t.held {
		ls = append(ls, l)
	}
	return ls
}

// Held returns the keys this Table holds.
func (t *Table) Held() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	keys := make([]string, 0, len(t.held))
	for k := range t.held {
		keys = append(keys, k)
	}
	return keys
}

func newInstance() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
