package streams

import (
	"time"
)

// longTransition is the age after which a transition still running is
// logged, and then again at that interval.
const longTransition = 10 * time.Second

// transition is one stream's running transition driver on this node.
type transition struct {
	again bool // another start arrived while it ran: look once more
	local bool // this node started the pending operation
}

// startTransition makes sure a driver runs for the stream's pending
// operation on this node: at most one goroutine per stream, which looks
// again once it is done if a start arrived meanwhile. local says that this
// node recorded the operation (it then starts at once; drivers started by
// the watch for another node's operation wait Config.TransitionTakeover
// first, so that usually one node does the JetStream work). Every node's
// watch starts a driver for every pending operation it sees, so an
// operation is finished by whichever node is alive; the final
// compare-and-set lets exactly one of them commit.
func (c *Core) startTransition(name string, local bool) {
	c.transMu.Lock()
	defer c.transMu.Unlock()
	if c.ctx.Err() != nil {
		return
	}
	if t := c.trans[name]; t != nil {
		t.again = true
		t.local = t.local || local
		return
	}
	t := &transition{local: local}
	c.trans[name] = t
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			c.finish(name, t)
			c.transMu.Lock()
			if !t.again || c.ctx.Err() != nil {
				delete(c.trans, name)
				c.transMu.Unlock()
				return
			}
			t.again = false
			c.transMu.Unlock()
		}
	}()
}

func (c *Core) isLocal(t *transition) bool {
	c.transMu.Lock()
	defer c.transMu.Unlock()
	return t.local
}

// finish carries out the pending operation of a stream and commits the
// result, retrying with backoff while the core runs. It returns when the
// stream has no pending operation any more, or is known to nobody: neither
// the bucket's leader nor this node's cache (which only the watch's delete
// markers and this node's own deletes empty). A read that misses while the
// cache still has the stream is therefore not taken for "done": the
// cached document is carried on, and its compare-and-set decides.
func (c *Core) finish(name string, t *transition) {
	began := time.Now()
	nextLog := began.Add(longTransition)
	var wait time.Duration
	for attempt := 0; ; attempt++ {
		if wait > 0 {
			select {
			case <-c.ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		wait = backoff(attempt, 5*time.Second)
		cc, err := c.refresh(c.ctx, name)
		if now := time.Now(); now.After(nextLog) {
			nextLog = now.Add(longTransition)
			args := []any{"stream", name, "running", now.Sub(began).Round(time.Second), "attempts", attempt}
			if cc != nil && cc.meta.Pending != nil {
				args = append(args, "op", cc.meta.Pending.Kind, "status", cc.meta.Status, "age", c.cfg.Now().Sub(cc.meta.StatusSince).Round(time.Second))
			}
			c.log.Warn("transition still pending", append(args, "err", err)...)
		}
		if err != nil {
			if c.ctx.Err() != nil {
				return
			}
			continue
		}
		if cc == nil || cc.meta.Pending == nil {
			return
		}
		m := cc.meta.clone()
		hold := c.cfg.TransitionDelay
		if !c.isLocal(t) {
			hold = max(hold, c.cfg.TransitionTakeover)
		}
		if w := hold - c.cfg.Now().Sub(m.StatusSince); w > 0 {
			wait = w // then read again: the starter may have finished
			continue
		}
		done, err := c.execute(m, cc.rev)
		if err != nil {
			if c.ctx.Err() != nil {
				return
			}
			if attempt%5 == 0 {
				c.log.Warn("transition failed; retrying", "stream", name, "op", m.Pending.Kind, "attempt", attempt+1, "err", err)
			}
			continue
		}
		if done {
			return
		}
		wait = 0 // lost the commit: look again now
	}
}
