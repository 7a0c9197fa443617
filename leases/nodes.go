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
	ctx, cancel := context.WithTimeout(ctx, t.cfg.OpTimeout)
	defer cancel()
	w, err := t.kv.Watch(ctx, nodePrefix+"*", jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("leases: listing nodes: %w", err)
	}
	defer func() { _ = w.Stop() }()
	var ns []Node
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("leases: listing nodes: %w", ctx.Err())
		case e := <-w.Updates():
			if e == nil {
				sort.Slice(ns, func(i, j int) bool { return ns[i].Name < ns[j].Name })
				return ns, nil
			}
			r, err := decodeNode(e.Value())
			if err != nil {
				t.log.Warn("skipping an unreadable node record", "key", e.Key(), "err", err)
				continue
			}
			ns = append(ns, Node{Name: strings.TrimPrefix(e.Key(), nodePrefix), Started: r.Started, Meta: r.Meta})
		}
	}
}
