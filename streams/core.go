package streams

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// metaBucket names the namespace's metadata KV bucket.
func (c *Core) metaBucket() string {
	if c.cfg.Namespace == defaultNamespace {
		return "sluice_meta"
	}
	return "sluice_meta_" + c.cfg.Namespace
}

// claimBucket names the namespace's bucket of subscription claims.
func (c *Core) claimBucket() string {
	if c.cfg.Namespace == defaultNamespace {
		return "sluice_claims"
	}
	return "sluice_claims_" + c.cfg.Namespace
}

// Core is the sharded stream core: Kinesis streams, shards and records on
// NATS JetStream. It is safe for concurrent use. Several Cores (one per
// Sluice node) may share one JetStream: all state lives there, each Core
// keeps a cache of the metadata that a KV watch keeps current.
type Core struct {
	cfg Config
	nc  *nats.Conn
	js  jetstream.JetStream
	kv  jetstream.KeyValue // stream metadata
	log *slog.Logger
	// node names this Core in claims and usage reports; new per Open.
	node string

	claims jetstream.KeyValue // subscription claims (claim.go)

	iterKey []byte

	mu    sync.RWMutex
	cache map[string]*cached // by stream name

	ctl sync.Mutex // serialises this node's control-plane changes

	limits *limiters
	stats  sync.Map // stream name -> *Stats

	transMu sync.Mutex
	trans   map[string]*transition // running transitions by stream name

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// cached is one stream's metadata with its KV revision and derived routing.
type cached struct {
	meta *streamMeta
	rev  uint64
	open []shardMeta // open shards sorted by starting hash key
}

// Ready reports whether the core can serve: JetStream answers.
func (c *Core) Ready(ctx context.Context) error {
	if c.nc.Status() != nats.CONNECTED {
		return fmt.Errorf("streams: NATS connection %s", c.nc.Status())
	}
	if _, err := c.js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("streams: jetstream: %w", err)
	}
	return nil
}

// applyEntry folds one KV update into the cache, keeping the newest revision.
func (c *Core) applyEntry(e jetstream.KeyValueEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.Operation() != jetstream.KeyValuePut {
		for name, cur := range c.cache {
			if metaKey(name) == e.Key() && cur.rev <= e.Revision() {
				delete(c.cache, name)
			}
		}
		return
	}
	m, err := decodeMeta(e.Value())
	if err != nil {
		c.log.Error("skipping unreadable stream metadata", "key", e.Key(), "err", err)
		return
	}
	if cur, ok := c.cache[m.Name]; ok && cur.rev >= e.Revision() {
		return
	}
	c.cache[m.Name] = newCached(m, e.Revision())
	if m.Pending != nil {
		c.startTransition(m.Name, false)
	}
}

func newCached(m *streamMeta, rev uint64) *cached {
	cc := &cached{meta: m, rev: rev}
	for _, s := range m.Shards {
		if !s.Closed {
			cc.open = append(cc.open, s)
		}
	}
	sort.Slice(cc.open, func(i, j int) bool { return cc.open[i].Start.Cmp(cc.open[j].Start) < 0 })
	return cc
}

// lookup returns the cached state of a stream, or nil.
func (c *Core) lookup(name string) *cached {
	if c.cfg.Observe != nil {
		c.cfg.Observe(name)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.cache[name]
}

// refresh reads a stream's document from the bucket's leader (bypassing
// the watch, which may lag, and the replicas, which may not have applied
// the latest write yet) and returns the newer of it and the cached one.
// nil when neither knows the stream. A miss never drops the cache entry:
// only the watch (a delete marker) and this node's own remove do, so a
// stale read cannot make a stream vanish.
func (c *Core) refresh(ctx context.Context, name string) (*cached, error) {
	if c.cfg.Observe != nil {
		c.cfg.Observe(name)
	}
	v, rev, err := c.leaderGet(ctx, c.metaBucket(), metaKey(name))
	if err != nil {
		return nil, errf(ErrUnavailable, "reading stream metadata: %v", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := c.cache[name]
	if v == nil || cur != nil && cur.rev >= rev {
		return cur, nil
	}
	m, err := decodeMeta(v)
	if err != nil {
		return nil, errf(ErrUnavailable, "%v", err)
	}
	cc := newCached(m, rev)
	c.cache[name] = cc
	return cc, nil
}

// cachedOf returns the cached state of a stream without the Observe hook.
func (c *Core) cachedOf(name string) *cached {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.cache[name]
}

// store writes a changed document with compare-and-set against rev (0: the
// key must not exist) and updates the local cache. ErrInUse when another
// writer got there first.
func (c *Core) store(ctx context.Context, m *streamMeta, rev uint64) (uint64, error) {
	var (
		nrev uint64
		err  error
	)
	if rev == 0 {
		nrev, err = c.kv.Create(ctx, metaKey(m.Name), m.encode())
	} else {
		nrev, err = c.kv.Update(ctx, metaKey(m.Name), m.encode(), rev)
	}
	if err != nil {
		if isWrongLastSequence(err) {
			return 0, errf(ErrInUse, "Stream %s under account %s was changed concurrently; retry.", m.Name, c.cfg.AccountID)
		}
		return 0, errf(ErrUnavailable, "writing stream metadata: %v", err)
	}
	c.mu.Lock()
	if cur, ok := c.cache[m.Name]; !ok || cur.rev < nrev {
		c.cache[m.Name] = newCached(m, nrev)
	}
	c.mu.Unlock()
	return nrev, nil
}

// remove deletes a stream's document.
func (c *Core) remove(ctx context.Context, name string, rev uint64) error {
	if err := c.kv.Delete(ctx, metaKey(name), jetstream.LastRevision(rev)); err != nil {
		if isWrongLastSequence(err) {
			return errf(ErrInUse, "Stream %s under account %s was changed concurrently; retry.", name, c.cfg.AccountID)
		}
		return errf(ErrUnavailable, "deleting stream metadata: %v", err)
	}
	c.mu.Lock()
	delete(c.cache, name)
	c.mu.Unlock()
	return nil
}

// isWrongLastSequence reports a failed compare-and-set: JetStream error
// 10071, or 10164 from a replicated stream.
func isWrongLastSequence(err error) bool {
	if errors.Is(err, jetstream.ErrKeyExists) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// ARNs.

func (c *Core) streamARN(m *streamMeta) string {
	return fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/%s", c.cfg.Region, c.cfg.AccountID, m.Name)
}

func (c *Core) consumerARN(m *streamMeta, cm consumerMeta) string {
	return fmt.Sprintf("%s/consumer/%s:%d", c.streamARN(m), cm.Name, cm.CreatedAt.Unix())
}

// StreamNameFromARN returns the stream name of a Kinesis stream ARN of this
// core's region and account; ok is false for anything else.
func (c *Core) StreamNameFromARN(arn string) (string, bool) {
	prefix := fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/", c.cfg.Region, c.cfg.AccountID)
	name, ok := strings.CutPrefix(arn, prefix)
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", false
	}
	return name, true
}

// JetStream naming: one JetStream stream per shard.

func (c *Core) jsStreamName(id string, shard int) string {
	return fmt.Sprintf("%s_%s_%d", strings.ToUpper(c.cfg.Namespace), id, shard)
}
func (c *Core) jsSubject(id string, shard int) string {
	return fmt.Sprintf("%s.%s.%d", c.cfg.Namespace, id, shard)
}

// jsClosedSubject is where a closed shard's stream listens instead: nothing
// publishes there, so a writer with stale metadata gets "no responders" and
// re-reads the metadata rather than writing to a closed shard.
func (c *Core) jsClosedSubject(id string, shard int) string {
	return fmt.Sprintf("%s-closed.%s.%d", c.cfg.Namespace, id, shard)
}

func newStreamID() string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func notFound(c *Core, name string) error {
	return errf(ErrNotFound, "Stream %s under account %s not found.", name, c.cfg.AccountID)
}
