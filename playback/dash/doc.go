// Package dash writes MPEG-DASH manifests (ISO/IEC 23009-1, the
// isoff-live profile) over the same fMP4 fragments and session windows as
// package hls: a static MPD for ON_DEMAND sessions (and replays that have
// ended), a dynamic one for LIVE and LIVE_REPLAY.
//
// Times are absolute: each Period's SegmentList has timescale 1000 and a
// SegmentTimeline whose S@t are the fragments' producer times in Unix
// milliseconds, which is also their media time (the fragments' tfdt are the
// producer's wall clock), with presentationTimeOffset at the Period's first
// fragment. A dynamic MPD's availabilityStartTime is the Unix epoch, so a
// Period's start is its first fragment's wall-clock time. A change of init
// segment (a new publishing session with other codec parameters) starts a
// new Period; gaps between sessions stay gaps in the timeline.
package dash
