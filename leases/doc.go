// Package leases decides which one node does a piece of work: record a
// video stream, pull a camera, deliver a Firehose stream, run an analytics
// application, a controller. Every user gets the same rules: claim, renew,
// lose, hand over, spread over nodes, fence.
//
// # Model
//
// A Table (one per node, Open -> Close) keeps leases in one JetStream KV
// bucket (Config.Bucket, default "sluice_leases") shared by every node. A
// lease is the key "lease.<key>" holding the holder's record, written with
// a per-message TTL (nats-server 2.11+, the bucket's LimitMarkerTTL): the
// server itself deletes a record that is not renewed within the TTL and
// tells watchers. Each node also heartbeats "node.<name>" the same way;
// Nodes lists the live ones and Watch reports them joining and leaving.
//
// Claim is a compare-and-set on the key's revision (create when absent,
// released or expired): of any number of nodes claiming one free key at
// once, exactly one wins; the others get a *HeldError naming the holder.
// One goroutine per Table renews every held lease each Config.Renew (TTL/3
// by default) by writing the record again with a compare-and-set on the
// revision of its last write and the TTL again. Release deletes the record
// with a compare-and-set, so that another node can claim at once; Close
// releases everything and removes the heartbeat.
//
// # What a lease guarantees, and what it does not
//
//   - Expiry is the server's: a record lives until TTL after the server
//     stored its last renewal, never less (the server may remove it up to
//     about a second later). No node compares clocks with another.
//   - The holder's deadline is its own: Lost closes at (send time of the
//     last successful renewal) + TTL - Margin, by the holder's monotonic
//     clock. The renewal was stored after it was sent, so Lost closes at
//     least Margin before the server can free the lease, provided the
//     holder's clock does not run slower than the server's by more than
//     Margin over a TTL. Lost also closes at once when a renewal finds the
//     record changed, and on Release and Close.
//   - So a holder that keeps running stops its work before anyone else can
//     start it, if it stops within Margin of Lost. A holder that is paused
//     (GC, SIGSTOP, a VM migration, a full disk) cannot: it may resume
//     after another node has claimed the lease and write once more before
//     it looks at Lost. Leases alone never make a write safe: fence it.
//   - Tokens: Lease.Token is the revision of the claim, a sequence number
//     of the bucket's one stream. Every later claim of the key, by any node,
//     has a greater token. This holds while the bucket lives: deleting and
//     re-creating it restarts revisions (never do that with nodes running),
//     and the bucket uses file storage so that a server restart keeps them.
//     With Replicas 1 on one server, a power loss can lose writes the
//     server acknowledged but had not synced; use Replicas 3 on a cluster.
//   - A namesake: two running Tables with the same Node share a heartbeat
//     but not leases (records carry a per-Open instance ID); do not do it.
//
// # Fencing
//
// Every write that only the holder may make carries the token, and the
// store refuses a token lower than the highest it has seen:
//
//   - The video index (one shard per stream): the recorder writes each
//     fragment record with the token in the record and, as JetStream's
//     expected-last-sequence, the shard sequence it last wrote. A new
//     holder first reads the shard's last record (whose token is lower)
//     and writes from there; the old holder's next write then fails on the
//     expected sequence, and readers can drop any record whose token is
//     lower than one before it.
//   - A KV document (a checkpoint, a consumer position): store the token in
//     the value and update with compare-and-set on the revision, after
//     checking that the stored token is not greater than the lease's.
//   - Objects in storage: put the token in the key or metadata, and make
//     the index (fenced as above) the only thing that points at them.
//
// # Spreading
//
// Preferred ranks nodes for a key by rendezvous (highest random weight)
// hashing: every node computes the same choice from the same live node
// names, keys spread evenly, and when a node leaves only its keys move.
// An Assigner does the rest for a set of wanted keys: it claims the keys
// this node is preferred for among the live nodes, any wanted key left
// free for longer than Grace, and on a node joining hands over (Stop,
// Release) the keys it is now preferred for. Keys move when a node closes
// (at once), dies or is cut off (within TTL and about a second), or joins.
//
// # Timings
//
// Defaults: TTL 10 s, Renew TTL/3, Margin TTL/4: a holder gets two
// renewal attempts before its deadline at 0.75 TTL; another node can claim
// at TTL (up to about a second later); watchers hear of the release or
// expiry when the server records it. The TTL is whole seconds, since the
// server counts message TTLs in seconds.
//
// # Example: the camera puller
//
//	tbl, err := leases.Open(ctx, js, leases.Config{Node: nodeName, Replicas: 3})
//	...
//	defer tbl.Close()
//	type pull struct {
//		cancel context.CancelFunc
//		done   chan struct{}
//	}
//	pulls := map[string]pull{} // used by the callbacks only, from one goroutine
//	as, err := tbl.NewAssigner(leases.AssignerConfig{
//		Start: func(key string, l *leases.Lease) {
//			ctx, cancel := context.WithCancel(context.Background())
//			p := pull{cancel: cancel, done: make(chan struct{})}
//			pulls[key] = p
//			go func() {
//				defer close(p.done)
//				go func() { // stop within Margin of losing the lease
//					select {
//					case <-l.Lost():
//						cancel()
//					case <-ctx.Done():
//					}
//				}()
//				// Index writes carry l.Token() (see Fencing).
//				puller.Run(ctx, cameraOf(key), l.Token())
//			}()
//		},
//		Stop: func(key string) {
//			p := pulls[key]
//			p.cancel()
//			<-p.done // the work has stopped before the lease is released
//			delete(pulls, key)
//		},
//	})
//	...
//	as.Set([]string{"camera.front-door", "camera.yard"}) // again whenever the camera list changes
package leases
