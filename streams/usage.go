package streams

import "context"

// startUsage starts the exchange of per-shard usage between nodes.
func (c *Core) startUsage(ctx context.Context) error { return nil }
