// Package remux repackages stored fMP4 (one init segment and fragments of
// one or more moof+mdat pairs, as package fragments writes them) for
// players and for the Kinesis Video Streams media APIs:
//
//   - TS: MPEG-TS of whole fragments, for HLS segments (RFC 8216).
//   - Clip: a fragmented MP4 of a time range, written to an io.Writer as
//     the fragments are read, never held whole in memory.
//   - Matroska: the Matroska (MKV) stream of GetMedia and
//     GetMediaForFragmentList as KVS writes it: each fragment one EBML
//     document (header, Segment of unknown size, Tracks, the fragment's
//     tags, its Cluster), so the stream can be cut and joined at any
//     fragment. Written with github.com/at-wat/ebml-go.
//
// Parse gives the tracks and samples underneath, with absolute decode and
// presentation times.
//
// Fragments in the form package fragments writes are read by a
// hand-written reader that slices samples out of the fragment's bytes
// without reflection or per-sample allocation; any other form (boxes,
// versions or flags it does not know) is read by mediacommon's fmp4, with
// the same result (FuzzMoofReader checks that they agree). Clips write
// their moof boxes by hand too, byte for byte as mediacommon would, and
// the sample payloads straight from the fragment's bytes.
//
// # Time
//
// Fragment media times (tfdt) are absolute: the producer's wall clock in
// each track's timescale. The writers keep that one timeline:
//
//   - TS times are the absolute time in 90 kHz modulo 2^33 (the PTS/DTS
//     width), so the same instant has the same TS time in every segment
//     of a stream whichever request made it; consecutive segments
//     concatenate without a jump (except at the 2^33 wrap, every 26.5 h,
//     which players handle as the standard wrap).
//   - Matroska cluster timecodes are absolute milliseconds since the Unix
//     epoch (TimecodeScale 1 ms), as KVS writes them.
//   - Clips are rebased: time 0 is the decode time of the clip's first
//     video keyframe, and a jump of more than MaxGap between fragments
//     (between publishing sessions) is closed.
//
// Clip and Matroska take each fragment's start time on the caller's clock
// (the index's producer or server timestamp) and place its samples by
// their offsets from its first sample, so a range on the server clock
// works like one on the producer clock.
//
// # Codecs
//
// TS carries H.264 and H.265 (length-prefixed NAL units become Annex-B,
// with the parameter sets of the init segment before each keyframe and an
// access unit delimiter), AAC (ADTS) and Opus. AV1, VP9 and LPCM tracks
// have no MPEG-TS mapping that HLS players read and are left out of TS
// output (the other tracks remain). Clips and Matroska carry every codec
// package fragments stores.
package remux
