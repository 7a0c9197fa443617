// Package streams is Sluice's sharded stream core: Kinesis Data Streams
// semantics (streams, shards owning hash-key ranges, sequence numbers,
// iterators, resharding with lineage, retention, enhanced fan-out) on NATS
// JetStream. It knows nothing about video; video fragment indexes are
// one-shard streams of it.
//
// Mapping onto JetStream:
//
//   - every shard is one JetStream stream (<NS>_<stream id>_<shard index>,
//     NS the upper-cased Config.Namespace, "KDS" for data streams)
//     listening on <ns>.<stream id>.<shard index>; the JetStream sequence is
//     the shard's sequence, and Kinesis sequence numbers are fixed-width
//     decimal strings derived from it (see seqnum.go), so they increase per
//     shard and survive restarts;
//   - ON_DEMAND streams split hot shards and merge cold ones by
//     RunOnDemandScaler (scaler.go), which one node runs at a time;
//   - retention is the shard streams' MaxAge; reads use batched direct gets
//     (by sequence or by start time); SubscribeToShard uses an ordered
//     consumer, so records are pushed as they are stored;
//   - stream metadata (shards, ranges, lineage, status, retention, mode,
//     tags, consumers) is one JSON document per stream in the KV bucket
//     sluice_meta (sluice_meta_<ns> for other namespaces), changed by compare-and-set; every Core watches the bucket,
//     so several Sluice nodes can share one JetStream cluster;
//   - a closed shard's stream moves to another subject, so a writer with
//     stale metadata gets "no responders" and routes again instead of
//     writing past the shard's end.
//
// Transitions (CREATING, UPDATING, DELETING) record their pending operation
// in the metadata before touching JetStream; every step is idempotent, so
// any node finishes an operation a crashed node left behind: every node's
// metadata watch starts a driver (one per stream) for each pending
// operation it sees, the node that recorded it starts at once, the others
// after Config.TransitionTakeover, and the final compare-and-set lets one
// of them commit. Shards are created create-only, so a late driver cannot
// undo a later change.
//
// Consistency across nodes: each node's cache follows the watch, which may
// lag. A name the cache does not know is read from the metadata bucket's
// stream leader (not a direct get, which a replica that has not applied
// the latest write may answer), so a stream created on one node is known
// on the others as soon as its create returned. Only delete markers seen
// by the watch, and the node's own deletes, remove a cached stream.
//
// Cluster-wide rules: one SubscribeToShard per consumer and shard is a
// claim in the KV bucket sluice_claims (compare-and-set, per-key TTL
// Config.ClaimTTL renewed by the subscription, released by revision; needs
// nats-server 2.11 or newer); per-shard throughput limits are counted
// across nodes through usage reports on core NATS (usage.go). Open retries
// its JetStream calls (Config.AttemptTimeout each) until its context ends,
// so nodes started together on a cluster still electing its leaders come
// up.
//
// Durability: a record is acknowledged once JetStream has stored it: with
// the file store and one replica that means written to the operating
// system (it survives a process crash; with SyncAlways on the server it also
// survives power loss); with Replicas > 1 on a cluster, stored on a quorum
// (it survives losing a minority of nodes).
package streams
