// Package hls serves a stream's fragments as HTTP Live Streaming (RFC 8216)
// and Low-Latency HLS (RFC 8216bis): media playlists over the live edge
// (fragments.Hub) and over the archive (playback.Source), the init
// segments, fragments and parts they name, and MPEG-TS segments made from
// the fMP4 fragments.
//
// Two families of playlists:
//
//   - Live edge (Server.ServeLive): /hls/<stream>/index.m3u8 is LL-HLS
//     (EXT-X-PART for the parts of the newest segments, EXT-X-PRELOAD-HINT,
//     blocking playlist reload with _HLS_msn/_HLS_part); plain.m3u8 is the
//     same window without parts for older players; replay.m3u8 is a VOD
//     playlist of a server-time range. Media sequence numbers come from a
//     per-stream counter kept by the Server (liveState): a fragment keeps its
//     number from the moment it is first listed (open) through its closing,
//     and a publisher reconnecting continues the count after an
//     EXT-X-DISCONTINUITY. The counter is seeded from the clock, so that a
//     restarted server never numbers below what it numbered before.
//
//   - Kinesis Video Streams sessions (Server.ServeSession): a signed
//     playback.Session names the stream, playback mode and packaging.
//     ON_DEMAND is a VOD playlist of a time range; LIVE_REPLAY an EVENT
//     playlist that grows from the range's start and ends once its end has
//     passed; LIVE a sliding window of the newest fragments whose media
//     sequence numbers are the fragments' positions in the stream's index
//     (the index record's JetStream sequence), so every node agrees on them.
//     A session reads only the fragments it grants: those of its time
//     range, or for LIVE those from its bound on (Session.Since, set at
//     creation with LiveSince: the oldest fragment its first playlist
//     could list); a FragmentNumber outside is refused 403.
//
// Segments are named by a fragment reference (ref.go): its fragment number
// once archived, else "<session>.<index>.<producer ms>", which stays valid
// when the fragment leaves the live edge for the archive. Playlists are
// sent with Cache-Control: no-cache; segments, parts and init segments are
// immutable under their URLs and may be cached.
package hls
