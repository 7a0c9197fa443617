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

const iteratorKeyKey = "config.iterator-key"

// metaBucket names the namespace's metadata KV bucket.
func (c *Core) metaBucket() string {
	if c.cfg.Namespace == defaultNamespace {
		return "sluice_meta"
	}
	return "sluice_meta_" + c.cfg.Namespace
}

// Core is the sharded stream core: Kinesis streams, shards and records on
// NATS JetStream. It is safe for concurrent use. Several Cores (one per
// Sluice node) may share one JetStream: all state lives there, each Core
// keeps a cache of the metadata that a KV watch keeps current.
type Core struct {
	cfg Config
	nc  *nats.Conn
	js  jetstream.JetStream
	kv  jetstream.KeyValue
	log *slog.Logger

	iterKey []byte

	mu    sync.RWMutex
	cache map[string]*cached // by stream name

	ctl sync.Mutex // serialises this node's control-plane changes

	limits *limiters
	subs   *claims
	stats  sync.Map // stream name -> *Stats

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

// Open connects a Core to JetStream through nc (which the caller owns and
// closes after Close). It creates the metadata bucket if needed, loads the
// metadata, finishes any transition a crashed node left pending, and starts
// the background retention sweeper.
func Open(ctx context.Context, nc *nats.Conn, cfg Config) (*Core, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(16384))
	if err != nil {
		return nil, fmt.Errorf("streams: jetstream: %w", err)
	}
	storage := jetstream.FileStorage
	if cfg.MemoryStorage {
		storage = jetstream.MemoryStorage
	}
	c := &Core{
		cfg:    cfg,
		nc:     nc,
		js:     js,
		log:    cfg.Logger.With("component", "streams", "namespace", cfg.Namespace),
		cache:  map[string]*cached{},
		limits: newLimiters(cfg.Limits),
		subs:   newClaims(),
	}
	c.kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      c.metaBucket(),
		Description: "Sluice stream metadata",
		History:     1,
		Storage:     storage,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("streams: metadata bucket: %w", err)
	}
	if c.iterKey, err = c.loadIteratorKey(ctx); err != nil {
		return nil, err
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if err := c.startWatch(ctx); err != nil {
		c.cancel()
		return nil, err
	}
	c.resumePending()
	c.wg.Add(1)
	go c.sweepLoop()
	return c, nil
}

// Close stops background work and waits for it. Transitions still running
// are abandoned where they stand; any node finishes them at its next Open.
func (c *Core) Close() error {
	c.cancel()
	c.wg.Wait()
	return nil
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

func (c *Core) loadIteratorKey(ctx context.Context) ([]byte, error) {
	key, err := c.secret(ctx, iteratorKeyKey)
	if err != nil {
		return nil, fmt.Errorf("streams: iterator key: %w", err)
	}
	return key, nil
}

// Secret returns the 32-byte secret of the given name (letters, digits and
// dashes), creating it at random the first time. Every node sharing the
// JetStream gets the same bytes, so what one signs the others verify.
func (c *Core) Secret(ctx context.Context, name string) ([]byte, error) {
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') || name == "" {
			return nil, errf(ErrValidation, "invalid secret name %q", name)
		}
	}
	return c.secret(ctx, "secret."+name)
}

func (c *Core) secret(ctx context.Context, key string) ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if _, err := c.kv.Create(ctx, key, b); err == nil {
		return b, nil
	} else if !errors.Is(err, jetstream.ErrKeyExists) {
		return nil, err
	}
	e, err := c.kv.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return e.Value(), nil
}

// startWatch loads every stream document and keeps the cache current.
func (c *Core) startWatch(ctx context.Context) error {
	w, err := c.kv.Watch(c.ctx, "stream.>")
	if err != nil {
		return fmt.Errorf("streams: watch metadata: %w", err)
	}
	initial := make(chan struct{})
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer w.Stop()
		loaded := false
		for {
			select {
			case <-c.ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil {
					if !loaded {
						loaded = true
						close(initial)
					}
					continue
				}
				c.applyEntry(e)
			}
		}
	}()
	select {
	case <-initial:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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

// refresh reads a stream's document straight from the KV bucket (bypassing
// the watch, which may lag) and updates the cache.
func (c *Core) refresh(ctx context.Context, name string) (*cached, error) {
	if c.cfg.Observe != nil {
		c.cfg.Observe(name)
	}
	e, err := c.kv.Get(ctx, metaKey(name))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		c.mu.Lock()
		delete(c.cache, name)
		c.mu.Unlock()
		return nil, nil
	}
	if err != nil {
		return nil, errf(ErrUnavailable, "reading stream metadata: %v", err)
	}
	m, err := decodeMeta(e.Value())
	if err != nil {
		return nil, errf(ErrUnavailable, "%v", err)
	}
	cc := newCached(m, e.Revision())
	c.mu.Lock()
	if cur, ok := c.cache[name]; !ok || cur.rev <= cc.rev {
		c.cache[name] = cc
	}
	c.mu.Unlock()
	return cc, nil
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
		if errors.Is(err, jetstream.ErrKeyExists) {
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
		return errf(ErrUnavailable, "deleting stream metadata: %v", err)
	}
	c.mu.Lock()
	delete(c.cache, name)
	c.mu.Unlock()
	return nil
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
