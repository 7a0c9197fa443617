package streams

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// Per-shard throughput limits across nodes.
//
// Each node keeps its own token buckets per shard (limits.go) and, every
// usageEvery, publishes what it took from them since its last report on
// the core NATS subject sluice.usage.<namespace>. Every other node charges
// those amounts to its own buckets of the same shards. So each bucket
// drains at the rate of the whole cluster, and the sum of what the nodes
// accept stays near the limit: approximately, as a node learns of the
// others' usage up to usageEvery (plus delivery) late, and a burst can
// pass on every node at once before the reports arrive. Nothing is
// persisted; a lost report only makes the limit looser for that moment.
//
// Chosen over capping each node at limit/N: that needs a live node count,
// and wastes the limit when a shard's writers all talk to one node (the
// usual case behind a load balancer with keep-alive connections).
const usageEvery = 200 * time.Millisecond

// usageReport is one node's usage since its last report, per shard (by
// "<stream id>/<shard index>": write records, write bytes, read bytes,
// read calls).
type usageReport struct {
	Node  string            `json:"node"`
	Usage map[string][4]int `json:"usage"`
}

func (c *Core) usageSubject() string { return "sluice.usage." + c.cfg.Namespace }

// startUsage starts the exchange of per-shard usage with the other nodes
// (with limits off too: on-demand scaling counts the writes).
func (c *Core) startUsage() error {
	sub, err := c.nc.Subscribe(c.usageSubject(), func(msg *nats.Msg) {
		var r usageReport
		if json.Unmarshal(msg.Data, &r) != nil || r.Node == c.node {
			return
		}
		c.limits.chargeRemote(r.Usage, c.cfg.Now())
	})
	if err != nil {
		return fmt.Errorf("streams: usage subscription: %w", err)
	}
	context.AfterFunc(c.ctx, func() { _ = sub.Unsubscribe() })
	c.wg.Add(1)
	go c.every(usageEvery, func() {
		if u := c.limits.takeUsage(); len(u) > 0 {
			b, _ := json.Marshal(usageReport{Node: c.node, Usage: u})
			_ = c.nc.Publish(c.usageSubject(), b)
		}
	})
	return nil
}
