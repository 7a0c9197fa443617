package streams

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// KeyValue opens the KV bucket name of the core's namespace for another
// component's small shared state ("sluice_<name>", or
// "sluice_<name>_<namespace>"), creating it when it does not exist, with
// the core's replicas and storage and per-key TTLs allowed. Like the
// core's own buckets, creating it is idempotent and retried until ctx
// ends, so nodes started together on a fresh cluster all get it.
func (c *Core) KeyValue(ctx context.Context, name, description string) (jetstream.KeyValue, error) {
	bucket := "sluice_" + name
	if c.cfg.Namespace != defaultNamespace {
		bucket += "_" + c.cfg.Namespace
	}
	var kv jetstream.KeyValue
	err := c.retry(ctx, bucket+" bucket", func(ctx context.Context) (err error) {
		kv, err = c.bucket(ctx, jetstream.KeyValueConfig{
			Bucket:         bucket,
			Description:    description,
			History:        1,
			Storage:        c.storage(),
			Replicas:       c.cfg.Replicas,
			LimitMarkerTTL: time.Minute,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("streams: %s bucket: %w", bucket, err)
	}
	return kv, nil
}
