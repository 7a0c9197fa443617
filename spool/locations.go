package spool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Locations is the cluster's map of where the bytes of an indexed object
// are while they are not in the bucket: in the spool of node X, or
// dropped from it when it was full. Index records are immutable, so this
// is kept beside them, small: an object has an entry from the moment it
// is indexed out of a spool until its upload (then the bucket has it:
// no entry means "in the bucket"); a dropped object keeps its entry, so
// readers can say why it is missing, until its TTL (the stream's
// retention) ends. Every node keeps the whole map in memory from a watch
// of its KV bucket; writes go to the bucket.
type Locations struct {
	kv     jetstream.KeyValue
	node   string
	log    *slog.Logger
	mu     sync.RWMutex
	m      map[string]Location // by object key
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Location is where an object's bytes are when the bucket does not have
// them yet.
type Location struct {
	// Node is the node whose spool holds (or held) them.
	Node string `json:"node"`
	// Dropped: removed from that spool to make room before the upload;
	// the bytes are gone for good.
	Dropped bool      `json:"dropped,omitempty"`
	Since   time.Time `json:"since"`
}

// LocationsConfig configures OpenLocations.
type LocationsConfig struct {
	// KV is the map's bucket; it must allow per-key TTLs (see
	// streams.Core.KeyValue).
	KV jetstream.KeyValue
	// Node is this node's name, written as the location of what its
	// spool holds.
	Node   string
	Logger *slog.Logger
}

// OpenLocations loads the map and follows its changes until Close. It
// returns once the current entries are loaded, or ctx ends.
func OpenLocations(ctx context.Context, cfg LocationsConfig) (*Locations, error) {
	if cfg.KV == nil || cfg.Node == "" {
		return nil, errors.New("spool: locations: KV and Node are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	wctx, cancel := context.WithCancel(context.Background())
	w, err := cfg.KV.WatchAll(wctx)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("spool: locations: %w", err)
	}
	l := &Locations{kv: cfg.KV, node: cfg.Node, log: cfg.Logger.With("component", "spool-locations"), m: map[string]Location{}, cancel: cancel}
	loaded := make(chan struct{})
	l.wg.Go(func() { l.follow(w, loaded) })
	select {
	case <-loaded:
		return l, nil
	case <-ctx.Done():
		l.Close()
		return nil, fmt.Errorf("spool: locations: loading: %w", ctx.Err())
	}
}

// follow applies the watch's updates to the map; loaded is closed once
// the entries that existed at the start are in.
func (l *Locations) follow(w jetstream.KeyWatcher, loaded chan struct{}) {
	defer w.Stop()
	for e := range w.Updates() {
		if e == nil {
			if loaded != nil {
				close(loaded)
				loaded = nil
			}
			continue
		}
		key, err := decodeLocationKey(e.Key())
		if err != nil {
			continue
		}
		var loc Location
		put := e.Operation() == jetstream.KeyValuePut && json.Unmarshal(e.Value(), &loc) == nil
		l.mu.Lock()
		if put {
			l.m[key] = loc
		} else {
			delete(l.m, key)
		}
		l.mu.Unlock()
	}
}

func locationKey(objectKey string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(objectKey))
}

func decodeLocationKey(k string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(k)
	return string(b), err
}

// minLocationTTL is the shortest TTL of an entry.
const minLocationTTL = time.Hour

// Spooled records that key's bytes wait in this node's spool, for at
// most ttl (the stream's retention: after it the object is not wanted).
func (l *Locations) Spooled(ctx context.Context, key string, ttl time.Duration) error {
	return l.set(ctx, key, Location{Node: l.node, Since: time.Now().UTC()}, ttl)
}

// Dropped records that key's bytes were dropped from this node's spool
// before their upload, for ttl.
func (l *Locations) Dropped(ctx context.Context, key string, ttl time.Duration) error {
	return l.set(ctx, key, Location{Node: l.node, Dropped: true, Since: time.Now().UTC()}, ttl)
}

// set writes an entry with its TTL: created when absent; an existing one
// is purged first (the KV bucket sets TTLs only on creation).
func (l *Locations) set(ctx context.Context, key string, loc Location, ttl time.Duration) error {
	v, _ := json.Marshal(loc)
	k := locationKey(key)
	ttl = max(ttl, minLocationTTL)
	_, err := l.kv.Create(ctx, k, v, jetstream.KeyTTL(ttl))
	if errors.Is(err, jetstream.ErrKeyExists) {
		if err = l.kv.Purge(ctx, k, jetstream.PurgeTTL(time.Minute)); err == nil {
			_, err = l.kv.Create(ctx, k, v, jetstream.KeyTTL(ttl))
		}
	}
	if err != nil {
		return fmt.Errorf("spool: locations: %s: %w", key, err)
	}
	l.mu.Lock() // seen at once here, before the watch brings it
	l.m[key] = loc
	l.mu.Unlock()
	return nil
}

// Uploaded removes key's entry: the bucket has its bytes.
func (l *Locations) Uploaded(ctx context.Context, key string) error {
	l.mu.RLock()
	_, ok := l.m[key]
	l.mu.RUnlock()
	if !ok {
		return nil
	}
	// A purge leaves a marker; it expires after a minute.
	if err := l.kv.Purge(ctx, locationKey(key), jetstream.PurgeTTL(time.Minute)); err != nil {
		return fmt.Errorf("spool: locations: %s: %w", key, err)
	}
	l.mu.Lock()
	delete(l.m, key)
	l.mu.Unlock()
	return nil
}

// Where returns key's entry: false means the bucket holds the object (or
// nothing knows of it).
func (l *Locations) Where(key string) (Location, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	loc, ok := l.m[key]
	return loc, ok
}

// Spooling returns the keys the map says wait in node's spool.
func (l *Locations) Spooling(node string) []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var keys []string
	for k, loc := range l.m {
		if loc.Node == node && !loc.Dropped {
			keys = append(keys, k)
		}
	}
	return keys
}

// Node is this node's name.
func (l *Locations) Node() string { return l.node }

// Close stops following the map and waits.
func (l *Locations) Close() {
	l.cancel()
	l.wg.Wait()
}

// MissingError is a read of an object that the bucket does not have and
// whose bytes cannot be had now: dropped from a full spool, or waiting in
// the spool of a node that does not answer. It wraps
// storage.ErrNotFound, so readers answer it as a missing object.
type MissingError struct {
	Key string
	Location
	err error // storage.ErrNotFound
}

func (e *MissingError) Error() string {
	if e.Dropped {
		return fmt.Sprintf("%s was dropped from the spool of node %s (full) before its upload, at %s", e.Key, e.Node, e.Since.Format(time.RFC3339))
	}
	return fmt.Sprintf("%s waits in the spool of node %s for its upload, and that node does not answer (missing until it returns)", e.Key, e.Node)
}

func (e *MissingError) Unwrap() error { return e.err }
