// Package relay fans the access units of live streams out to live viewers.
//
// Every publishing session (RTSP push, RTSP pull, WHIP) goes through
// ingest.Recorder, which publishes its tracks here (Relay.Publish), writes
// each access unit to the Publisher beside the fragment writer, and closes
// the Publisher when the session ends. Viewers (WHEP, in ingest/webrtc)
// Subscribe to a stream and read Events: units, and the start and end of
// publishing sessions. Units are relayed as they arrive, never re-muxed:
// what a viewer gets is what the publisher sent, with no fragment delay.
//
// Start at a keyframe: a new subscription first receives the current
// group of pictures (Event.Cached: the last video keyframe, with its
// parameter sets, and the video units after it, bounded by
// Config.GOPUnits and GOPBytes), so that its viewer can decode at once and
// show the live picture. A recorded stream's Publisher has a GOPSource
// (package ingest reads the group back from the recording's parts, which
// are in the spool) and caches nothing: its pictures are not held twice.
// Other publishers (package edge's mirrors) cache the group, within
// Config.CacheBytes for all of them. When there is no group (the session
// has not sent a keyframe yet, or it overflowed the bounds) the
// subscription waits for the next keyframe and the Publisher's keyframe
// requester, if the source can be asked (WHIP: a PLI to the browser), is
// called.
//
// Cost and isolation: Write does O(1) work plus one bounded queue push per
// subscription and never blocks on a viewer. A subscription whose queue
// (Config.QueueUnits) is full is emptied and resumes at the next keyframe:
// a slow viewer loses pictures, the publisher, the recording and the other
// viewers do not notice.
//
// Ownership: units written to a Publisher are shared, read-only, with the
// fragment writer and every subscription; nobody may modify them after
// Write.
package relay
