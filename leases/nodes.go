package leases

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Node is a live node: one whose heartbeat the server still keeps (it was
// renewed within the node's TTL).
type Node struct {
	Name    string
	Started time.Time // the node's clock when its Table opened
	Meta    map[string]string
}

// Nodes lists the live nodes, sorted by name, this one included.
func (t *Table) Nodes(ctx context.Context) ([]Node, error) {
	var ns []Node
	err := t.list(ctx, nodePrefix+"*", "nodes", func(key string, value []byte) error {
		r, err := decodeNode(value)
		if err != nil {
			return err
		}
		ns = append(ns, Node{Name: strings.TrimPrefix(key, nodePrefix), Started: r.Started, Meta: r.Meta})
		return nil
	})
	sort.Slice(ns, func(i, j int) bool { return ns[i].Name < ns[j].Name })
	return ns, err
}

// Holding is a lease held now, as any node sees it.
type Holding struct {
	Key   string
	Owner string    // the holding node's name
	Since time.Time // when it was claimed, by the holder's clock
}

// Holdings lists the leases held now whose keys start with prefix ("" for
// all), sorted by key. For views of the cluster (which node records what),
// not for decisions: a holding can end the moment after it is read.
func (t *Table) Holdings(ctx context.Context, prefix string) ([]Holding, error) {
	var hs []Holding
	err := t.list(ctx, leasePrefix+">", "leases", func(key string, value []byte) error {
		k := strings.TrimPrefix(key, leasePrefix)
		if !strings.HasPrefix(k, prefix) {
			return nil
		}
		r, err := decodeLease(value)
		if err != nil {
			return err
		}
		hs = append(hs, Holding{Key: k, Owner: r.Owner, Since: r.Since})
		return nil
	})
	sort.Slice(hs, func(i, j int) bool { return hs[i].Key < hs[j].Key })
	return hs, err
}

// list reads the current records of the bucket's keys matching filter,
// calling fn for each (an unreadable one is logged and skipped).
func (t *Table) list(ctx context.Context, filter, what string, fn func(key string, value []byte) error) error {
	ctx, cancel := context.WithTimeout(ctx, t.cfg.OpTimeout)
	defer cancel()
	w, err := t.kv.Watch(ctx, filter, jetstream.IgnoreDeletes())
	if err != nil {
		return fmt.Errorf("leases: listing %s: %w", what, err)
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("leases: listing %s: %w", what, ctx.Err())
		case e := <-w.Updates():
			if e == nil {
				return nil
			}
			if err := fn(e.Key(), e.Value()); err != nil {
				t.log.Warn("skipping an unreadable record", "key", e.Key(), "err", err)
			}
		}
	}
}
