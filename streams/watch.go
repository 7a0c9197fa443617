package streams

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// startWatch loads every stream document and keeps the cache current until
// Close. It returns once the initial load is done, or when ctx ends first.
// Creating the watch is retried (Config.AttemptTimeout each attempt); if
// the watch ever ends while the core runs, it is made again and the cache
// reconciled with a fresh initial load.
func (c *Core) startWatch(ctx context.Context) error {
	initial := make(chan struct{})
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		first := true
		for attempt := 1; c.ctx.Err() == nil; attempt++ {
			var w jetstream.KeyWatcher
			err := c.retry(c.ctx, "metadata watch", func(context.Context) (err error) {
				// The watcher lives as long as the context it is made
				// with; JetStream's own timeout bounds its creation.
				w, err = c.kv.Watch(c.ctx, "stream.>")
				return err
			})
			if err != nil {
				return // closed
			}
			c.watch(w, func() {
				if first {
					first = false
					close(initial)
				}
			})
			w.Stop()
			select {
			case <-c.ctx.Done():
			case <-time.After(backoff(attempt, time.Second)):
			}
		}
	}()
	select {
	case <-initial:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("streams: watch metadata: %w", ctx.Err())
	}
}

// watch applies one watcher's updates until it ends or the core closes.
// After the initial values it drops cache entries the load did not name
// (streams deleted while no watch ran), then calls loaded.
func (c *Core) watch(w jetstream.KeyWatcher, loaded func()) {
	seen := map[string]bool{}
	var maxRev uint64
	initial := true
	for {
		select {
		case <-c.ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				if c.ctx.Err() == nil {
					c.log.Warn("metadata watch ended; watching again")
				}
				return
			}
			if e == nil {
				if initial {
					initial = false
					c.reconcile(seen, maxRev)
					loaded()
				}
				continue
			}
			if initial {
				seen[e.Key()] = true
				maxRev = max(maxRev, e.Revision())
			}
			c.applyEntry(e)
		}
	}
}

// reconcile drops cached streams that an initial load did not name and
// that are older than what it read.
func (c *Core) reconcile(seen map[string]bool, maxRev uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, cc := range c.cache {
		if !seen[metaKey(name)] && cc.rev <= maxRev {
			delete(c.cache, name)
		}
	}
}

// leaderGet reads the last value of a key from the bucket's stream leader
// (the JetStream "STREAM.MSG.GET" API, not a direct get, which any replica
// may answer before it has applied the latest acknowledged write). It
// returns nil, 0 for a missing, deleted or expired key.
func (c *Core) leaderGet(ctx context.Context, bucket, key string) ([]byte, uint64, error) {
	req, _ := json.Marshal(map[string]string{"last_by_subj": "$KV." + bucket + "." + key})
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.AttemptTimeout)
		defer cancel()
	}
	msg, err := c.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET.KV_"+bucket, req)
	if err != nil {
		return nil, 0, err
	}
	var resp struct {
		Message *struct {
			Seq    uint64 `json:"seq"`
			Header []byte `json:"hdrs"`
			Data   []byte `json:"data"`
		} `json:"message"`
		Error *struct {
			Code        int    `json:"code"`
			ErrCode     int    `json:"err_code"`
			Description string `json:"description"`
		} `json:"error"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return nil, 0, fmt.Errorf("reading %s: %w", key, err)
	}
	if resp.Error != nil {
		if resp.Error.ErrCode == int(jetstream.JSErrCodeMessageNotFound) {
			return nil, 0, nil
		}
		return nil, 0, fmt.Errorf("reading %s: %s (%d)", key, resp.Error.Description, resp.Error.ErrCode)
	}
	if resp.Message == nil {
		return nil, 0, fmt.Errorf("reading %s: empty answer", key)
	}
	if len(resp.Message.Header) > 0 {
		h, err := nats.DecodeHeadersMsg(resp.Message.Header)
		if err != nil {
			return nil, 0, fmt.Errorf("reading %s: %w", key, err)
		}
		if op := h.Get("KV-Operation"); op == "DEL" || op == "PURGE" || h.Get("Nats-Marker-Reason") != "" {
			return nil, 0, nil
		}
	}
	return resp.Message.Data, resp.Message.Seq, nil
}
