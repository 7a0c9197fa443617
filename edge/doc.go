// Package edge serves the live edge of every stream from every node: a
// node with viewers of a stream that another node records mirrors that
// node's fragments.Hub for the stream into its own hub, so that LL-HLS
// (playback/hls), KVS LIVE sessions and GetMedia read it unchanged; and
// (Config.Relay) that node's relay of access units into its own relay,
// so that WHEP viewers read it unchanged.
//
// Mechanism (NATS core, no JetStream: the live edge is ephemeral, and the
// archive and the index already are durable):
//
//   - A viewer's read of a stream the node does not record (fragments.Hub
//     View, through Hub.OnView) makes the node join it: it subscribes to
//     sluice.live.<s>.feed, then requests sluice.live.<s>.join. The node
//     that records the stream (any node whose hub has a live session of it
//     that it did not mirror) answers with a snapshot of its live edge:
//     the session, every fragment's metadata with its init segment, and
//     the bytes of the open fragment's parts and of the newest closed
//     fragment. No answer means the stream is not live anywhere (that
//     answer is remembered for NotLiveTTL).
//   - The recording node publishes the changes of its hub for the stream
//     on the feed subject (session start and end, each part with its
//     bytes, fragment closes, fragment numbers once indexed) while some
//     node is interested: a join or a keep message on sluice.live.<s>.keep
//     (sent every Interest/3 while the mirroring node has readers) extends
//     the interest to Interest from now. Without interest it publishes
//     nothing: a stream with no remote viewers costs the recorder nothing
//     but a map lookup per hub change.
//   - The mirroring node applies the snapshot and then the feed in order,
//     idempotently (by session, fragment and part index). A gap (a part it
//     lacks the predecessors of, a session it has not seen: a recorder
//     that started publishing without a join, a dropped message) makes it
//     join again. A stream it mirrors that has had no reader for Idle is
//     dropped: subscription closed, the mirrored state forgotten.
//   - Stale state: a stream the node recorded earlier (its hub holds an
//     ended session) is replaced by the newer session of the snapshot; a
//     live playlist whose stream has no publisher here ends (ENDLIST).
//
// Access units (WHEP) follow the same pattern on their own subjects,
// sluice.live.<s>.units, .ujoin, .ukeep and .ukey, so that a node with
// only HLS viewers receives no units and one with only WHEP viewers no
// parts:
//
//   - A subscription (relay.Relay.OnSubscribe) of a stream that has no
//     publisher here joins; the recorder answers with its feed's position
//     (an epoch, random per feed, and a sequence number), the session's
//     tracks (mediacommon's codec structs as JSON) and its current group
//     of pictures. The mirror publishes the session in its relay with
//     those tracks and writes the group of pictures, so that the viewer
//     starts at a keyframe, as on the recording node.
//   - The feed publishes every relay event (units, session starts and
//     ends) numbered in its epoch; a unit costs one message of its size
//     plus about 200 bytes. A mirror applies them in order, skips what
//     its snapshot held, and joins again on a gap or a new epoch (another
//     recorder, after a failover); the feed skips a number when the relay
//     dropped units for it, so that mirrors resume at a keyframe.
//   - A mirror viewer's keyframe request (its decoder lost references)
//     goes to the recorder on .ukey and on to its source (a PLI to a WHIP
//     browser).
//   - A mirror stops when the relay has had no subscriber of the stream
//     for Idle, or when this node starts recording the stream itself.
//
// <s> is the stream name in unpadded base64url (names may hold dots,
// which would split NATS subject tokens). Messages are versioned by the
// header Sluice-Edge (1); metadata travels as JSON in the header
// Sluice-Edge-Meta and part bytes as the body, so a part costs one
// message of its own size plus about 300 bytes. A part larger than the
// connection's maximum payload (NATS default 1 MiB) is not sent: mirrors
// see a gap and list the fragment once closed (from the archive).
//
// Why not an HTTP proxy to the recording node: it needs the recorder's
// address (a lease holder's advertised URL), one request per viewer
// request crossing nodes (blocking playlist reloads and part requests
// held open on the recorder), and its own per-viewer fan-out; NATS core
// gives one subscription per mirroring node, whatever its viewer count,
// and needs no addresses. See BENCHMARKS.md for the measured delay.
package edge
