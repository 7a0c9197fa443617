// Package spool is the local disk between ingest and the bucket: a
// fragment's parts are appended to a spool file as they close, the file
// is synced when the fragment closes (before its index record is
// written), and it is removed only once the bucket has acknowledged the
// upload. While the bucket is down or slow, fragments wait here, indexed,
// and are read from here (Over), so that playback does not notice.
//
// Layout: <Dir>/<name>.data (the object's bytes) and <name>.meta (JSON:
// its bucket key, stream, size, and the caller's metadata), written by
// an atomic rename after the data was synced. An entry is committed once
// its meta file exists; a data file without one is the fragment that was
// open when the process stopped (Torn lists them, cut to their last whole
// top-level box, the last whole part).
//
// What a power loss can cost: the open fragment's parts written since the
// last sync (a fragment is synced when it closes, so at most one fragment
// per stream, and its whole parts survive a process crash in the page
// cache). A committed entry is on disk.
//
// Bounded: MaxBytes caps the spool. Past it, the oldest committed entries
// of the stream with the most bytes spooled are dropped first (never one
// being uploaded, never an init segment), each reported to OnDrop; when
// even dropping all of those would not make room (the rest is being
// written or uploaded), nothing is dropped and the write fails with
// ErrFull.
package spool
