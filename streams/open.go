package streams

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const iteratorKeyKey = "config.iterator-key"

// Open connects a Core to JetStream through nc (which the caller owns and
// closes after Close). It creates the metadata and claim buckets if needed,
// loads the metadata, and starts the metadata watch (which drives every
// pending transition, including those a stopped node left behind), the
// retention sweeper and, with Limits enabled, the exchange of per-shard
// usage with the other nodes.
//
// Every JetStream call of Open is retried, each attempt bounded by
// Config.AttemptTimeout, until it succeeds or ctx ends: on a cluster that
// is starting (no meta leader yet) or on which several nodes create the same
// buckets at once, requests time out or race, and only ctx decides how long
// to wait. Creation is idempotent, so any number of nodes may Open at once.
func Open(ctx context.Context, nc *nats.Conn, cfg Config) (*Core, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(16384))
	if err != nil {
		return nil, fmt.Errorf("streams: jetstream: %w", err)
	}
	c := &Core{
		cfg:    cfg,
		nc:     nc,
		js:     js,
		node:   newNodeID(),
		log:    cfg.Logger.With("component", "streams", "namespace", cfg.Namespace),
		cache:  map[string]*cached{},
		limits: newLimiters(cfg.Limits),
		trans:  map[string]*transition{},
	}
	err = c.retry(ctx, "metadata bucket", func(ctx context.Context) (err error) {
		c.kv, err = c.bucket(ctx, jetstream.KeyValueConfig{
			Bucket:      c.metaBucket(),
			Description: "Sluice stream metadata",
			History:     1,
			Storage:     c.storage(),
			Replicas:    cfg.Replicas,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("streams: metadata bucket: %w", err)
	}
	err = c.retry(ctx, "claim bucket", func(ctx context.Context) (err error) {
		c.claims, err = c.bucket(ctx, jetstream.KeyValueConfig{
			Bucket:         c.claimBucket(),
			Description:    "Sluice subscription claims",
			History:        1,
			Storage:        jetstream.MemoryStorage, // claims live seconds; a restart ends every subscription anyway
			Replicas:       cfg.Replicas,
			LimitMarkerTTL: time.Second,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("streams: claim bucket: %w", err)
	}
	err = c.retry(ctx, "iterator key", func(ctx context.Context) (err error) {
		c.iterKey, err = c.secret(ctx, iteratorKeyKey)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("streams: iterator key: %w", err)
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if err := c.startWatch(ctx); err != nil {
		c.cancel()
		c.wg.Wait()
		return nil, err
	}
	if err := c.startUsage(); err != nil {
		c.cancel()
		c.wg.Wait()
		return nil, err
	}
	c.wg.Add(1)
	go c.sweepLoop()
	return c, nil
}

// Close stops background work and waits for it. Transitions still running
// are abandoned where they stand; the other nodes (whose watches see them
// pending) or this one at its next Open finish them.
func (c *Core) Close() error {
	c.cancel()
	c.wg.Wait()
	return nil
}

func (c *Core) storage() jetstream.StorageType {
	if c.cfg.MemoryStorage {
		return jetstream.MemoryStorage
	}
	return jetstream.FileStorage
}

// bucket creates a KV bucket, or updates an existing one whose
// configuration differs. While the create is in flight it also looks for
// the bucket every 200 ms: a create that races another node's, or that
// reaches a cluster still electing its meta leader, can go unanswered
// until it times out, though the bucket exists by then.
func (c *Core) bucket(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	type result struct {
		kv  jetstream.KeyValue
		err error
	}
	created := make(chan result, 1)
	go func() {
		kv, err := c.js.CreateKeyValue(ctx, cfg)
		created <- result{kv, err}
	}()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case r := <-created:
			if errors.Is(r.err, jetstream.ErrBucketExists) {
				return c.js.CreateOrUpdateKeyValue(ctx, cfg)
			}
			return r.kv, r.err
		case <-t.C:
			lctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			kv, err := c.js.KeyValue(lctx, cfg.Bucket)
			cancel()
			if err == nil {
				return kv, nil
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// errPermanent marks an error that retrying cannot cure.
var errPermanent = errors.New("permanent")

// retry runs op until it succeeds, each attempt with a deadline of
// Config.AttemptTimeout, backing off between attempts (up to a second),
// until ctx ends; it then returns the context's error with op's last one.
// An op error wrapping errPermanent, or a jetstream error no wait can cure
// (a server without per-message TTLs), ends it at once.
func (c *Core) retry(ctx context.Context, what string, op func(ctx context.Context) error) error {
	start := time.Now()
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, c.cfg.AttemptTimeout)
		err := op(actx)
		cancel()
		if err == nil {
			if attempt > 1 {
				c.log.Info("JetStream answered", "what", what, "attempts", attempt, "took", time.Since(start).Round(time.Millisecond))
			}
			return nil
		}
		if errors.Is(err, errPermanent) || errors.Is(err, jetstream.ErrLimitMarkerTTLNotSupported) {
			return err
		}
		if attempt == 1 || attempt%10 == 0 {
			c.log.Warn("JetStream not ready; retrying", "what", what, "attempt", attempt, "err", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w after %d attempts in %v (last: %v)", ctx.Err(), attempt, time.Since(start).Round(time.Millisecond), err)
		case <-time.After(backoff(attempt, time.Second)):
		}
	}
}

// backoff is the wait before attempt+1: 50 ms doubling up to limit, with
// jitter, so that nodes started together spread their retries.
func backoff(attempt int, limit time.Duration) time.Duration {
	d := 50 * time.Millisecond << min(attempt, 10)
	d = min(d, limit)
	var b [1]byte
	_, _ = rand.Read(b[:])
	return d/2 + d*time.Duration(b[0])/512
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

// secret creates a random value under key, or reads the one another node
// created first. The read goes to the bucket's leader, so a replica that
// has not yet applied the other node's write cannot make it miss.
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
	v, _, err := c.leaderGet(ctx, c.metaBucket(), key)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("secret %s exists but reads as missing", key)
	}
	return v, nil
}

func newNodeID() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
