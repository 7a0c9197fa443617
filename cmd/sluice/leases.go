package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluice-dev/sluice/ingest"
	"github.com/sluice-dev/sluice/leases"
	"github.com/sluice-dev/sluice/web/api"
)

// Lease keys: "<kind>.<stream>" with the stream name's dots written as '='
// (stream names are [a-zA-Z0-9_.-], so the mapping is one to one and every
// name makes a valid key, "." and ".." included).
const (
	kindRecord = "record" // the node recording a stream
	kindCamera = "camera" // the node pulling a camera
)

func leaseKey(kind, stream string) string {
	return kind + "." + strings.ReplaceAll(stream, ".", "=")
}

// streamOfKey is leaseKey's inverse.
func streamOfKey(key string) (kind, stream string) {
	kind, s, _ := strings.Cut(key, ".")
	return kind, strings.ReplaceAll(s, "=", ".")
}

// leaseNodeName is --node-name as a lease node name (no dots).
func leaseNodeName(node string) string { return strings.ReplaceAll(node, ".", "_") }

// openLeases opens this node's lease table on the node's NATS connection.
func openLeases(ctx context.Context, nc *nats.Conn, cfg config, log *slog.Logger) (*leases.Table, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	return leases.Open(ctx, js, leases.Config{
		Node:     leaseNodeName(cfg.NodeName),
		Replicas: cfg.Replicas,
		TTL:      cfg.LeaseTTL,
		Meta:     map[string]string{"public_url": cfg.PublicURL, "node_name": cfg.NodeName},
		Logger:   log,
	})
}

// recordOwner is the ingest.Owner of a node: the lease "record.<stream>".
type recordOwner struct {
	t    *leases.Table
	lost *atomic.Int64 // leases lost (not released), for metrics
}

var _ ingest.Owner = recordOwner{}

func (o recordOwner) Claim(ctx context.Context, stream string) (ingest.Ownership, error) {
	l, err := o.t.Claim(ctx, leaseKey(kindRecord, stream))
	var held *leases.HeldError
	if errors.As(err, &held) {
		return nil, &ingest.OwnedElsewhereError{Stream: stream, Node: o.nodeName(ctx, held.Owner)}
	}
	if err != nil {
		return nil, err
	}
	return countedLease{l, o.lost}, nil
}

// Recording reports whether some node holds the lease of stream
// (video.Recorders).
func (o recordOwner) Recording(ctx context.Context, stream string) (bool, error) {
	key := leaseKey(kindRecord, stream)
	hs, err := o.t.Holdings(ctx, key)
	for _, h := range hs {
		if h.Key == key {
			return true, err
		}
	}
	return false, err
}

// nodeName returns the --node-name of the node whose lease name is name
// (leaseNodeName changed its dots), as its heartbeat publishes it.
func (o recordOwner) nodeName(ctx context.Context, name string) string {
	ns, err := o.t.Nodes(ctx)
	if err != nil {
		return name
	}
	for _, n := range ns {
		if n.Name == name && n.Meta["node_name"] != "" {
			return n.Meta["node_name"]
		}
	}
	return name
}

// countedLease counts a lease that was lost before its release.
type countedLease struct {
	*leases.Lease
	lost *atomic.Int64
}

func (l countedLease) Release(ctx context.Context) error {
	if isClosed(l.Lost()) {
		l.lost.Add(1)
	}
	return l.Lease.Release(ctx)
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// leaseMetrics reports the leases this node holds, by kind, and those it
// lost.
func leaseMetrics(t *leases.Table, lost *atomic.Int64) []prometheus.Collector {
	held := func(kind string) func() float64 {
		return func() float64 {
			n := 0
			for _, k := range t.Held() {
				if strings.HasPrefix(k, kind+".") {
					n++
				}
			}
			return float64(n)
		}
	}
	var cs []prometheus.Collector
	for _, kind := range []string{kindRecord, kindCamera} {
		cs = append(cs, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sluice_leases_held",
			Help: "Leases this node holds, by kind (record: streams it records; camera: cameras it pulls).", ConstLabels: prometheus.Labels{"kind": kind}},
			held(kind)))
	}
	return append(cs, prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sluice_leases_lost_total",
		Help: "Leases this node lost before giving them up (renewals failed or another node took them)."},
		func() float64 { return float64(lost.Load()) }))
}

// clusterView is /api/v1/cluster's view of the cluster, on the leases:
// node names as the nodes gave them (--node-name), work decoded from the
// lease keys.
type clusterView struct{ t *leases.Table }

var _ api.Cluster = clusterView{}

func (c clusterView) Node() string { return c.t.Node() }

// Nodes lists the live nodes, named by their --node-name.
func (c clusterView) Nodes(ctx context.Context) ([]leases.Node, error) {
	ns, err := c.t.Nodes(ctx)
	for i := range ns {
		if n := ns[i].Meta["node_name"]; n != "" {
			ns[i].Name = n
		}
	}
	return ns, err
}

// Work lists the streams recorded and the cameras pulled, by node.
func (c clusterView) Work(ctx context.Context) ([]api.Work, error) {
	ns, err := c.t.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, n := range ns {
		names[n.Name] = n.Meta["node_name"]
	}
	hs, err := c.t.Holdings(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []api.Work
	for _, h := range hs {
		kind, stream := streamOfKey(h.Key)
		node := names[h.Owner]
		if node == "" {
			node = h.Owner
		}
		out = append(out, api.Work{Kind: kind, Stream: stream, Node: node})
	}
	return out, nil
}
