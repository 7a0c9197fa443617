// Package fragments turns access units into fMP4 (CMAF) and keeps the index
// of the fragments made.
//
// A Writer takes the access units of one publishing session (all its
// tracks), cuts them into parts of about PartDuration for the live edge, and
// into fragments that start at a video keyframe and end at the first
// keyframe after TargetDuration (or at MaxDuration whatever the keyframes).
// A fragment's bytes are its parts' bytes concatenated (moof+mdat pairs), so
// the live edge and the archive serve identical bytes. Media timestamps
// (tfdt) are absolute: the producer's wall clock in each track's timescale,
// so fragments of one stream line up on one timeline across sessions.
//
// The fragment index is a one-shard record stream per video stream on the
// stream core (package streams); it inherits the core's retention and
// replication. A fragment's number is its record's sequence number. Its
// records are a compact, versioned binary encoding (record.go); a Library
// keeps recently listed blocks of them in memory (cache.go), which is safe
// on every node because a written record never changes.
package fragments
