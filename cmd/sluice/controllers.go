package main

import (
	"context"
	"sync"

	"github.com/sluice-dev/sluice/leases"
	"github.com/sluice-dev/sluice/streams"
)

// kindController leases work that one node of the cluster does for all:
// "controller.on-demand" scales the ON_DEMAND data streams.
const kindController = "controller"

// controllers runs the cluster's singletons, each on the node that holds
// its lease (a leases.Assigner: another node takes over within the lease
// TTL when that node dies or leaves).
type controllers struct {
	as *leases.Assigner

	mu      sync.Mutex
	running map[string]func() // key -> stop and wait
}

// startControllers starts the Assigner of the singletons on table.
func startControllers(table *leases.Table, data *streams.Core) (*controllers, error) {
	c := &controllers{running: map[string]func(){}}
	jobs := map[string]func(ctx context.Context){
		kindController + ".on-demand": data.RunOnDemandScaler,
	}
	as, err := table.NewAssigner(leases.AssignerConfig{
		Start: func(key string, l *leases.Lease) {
			job := jobs[key]
			if job == nil {
				return
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				var wg sync.WaitGroup
				wg.Go(func() { // the lease lost: the job stops at once (it ends with ctx)
					select {
					case <-l.Lost():
						cancel()
					case <-ctx.Done():
					}
				})
				job(ctx)
				cancel()
				wg.Wait()
			}()
			c.mu.Lock()
			c.running[key] = func() { cancel(); <-done }
			c.mu.Unlock()
		},
		Stop: func(key string) {
			c.mu.Lock()
			stop := c.running[key]
			delete(c.running, key)
			c.mu.Unlock()
			if stop != nil {
				stop()
			}
		},
	})
	if err != nil {
		return nil, err
	}
	c.as = as
	keys := make([]string, 0, len(jobs))
	for k := range jobs {
		keys = append(keys, k)
	}
	as.Set(keys)
	return c, nil
}

// close stops the singletons this node runs and releases their leases.
func (c *controllers) close() { c.as.Close() }
