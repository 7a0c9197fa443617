// Package video owns the lifecycle of video streams: what happens to a
// stream, its camera and its media from creation to deletion, wherever
// the request comes from (the KVS API, /api/v1, the UI).
//
//   - Registry and index: fragments.Library (streams, fragment index).
//   - Cameras: a stream may pull one camera (kept with the stream in the
//     Library; the node that pulls it holds its lease, see cmd/sluice).
//   - Recording: one node at a time records a stream (ingest.Recorder with
//     its Owner, a lease per stream).
//   - Deletion (Streams.Delete): the stream's camera is removed first
//     (otherwise a pull with auto-create could make the stream again),
//     then the registry entry (the index can no longer be read or
//     appended to), then the media under the stream's prefix, at once.
//   - Retention (Sweeper): fragments past their stream's retention, init
//     segments nothing needs, orphans, and the media of deleted streams
//     that a failed purge left.
package video
