// Package rtsp is the RTSP front end of ingest (RFC 2326), built on
// gortsplib v4. It has two halves that feed the same Recorder:
//
//   - Server accepts publishers (encoders, ffmpeg, OBS, cameras that push)
//     doing ANNOUNCE + SETUP + RECORD at rtsp://host:port/<stream>, over
//     TCP (interleaved) and UDP.
//   - Puller pulls from IP cameras (DESCRIBE + SETUP + PLAY), keeps them
//     connected, and reconnects with capped exponential backoff.
//
// Both turn the RTP packets of each supported track into access units
// (fragments.Unit) with the format's RTP decoder, timestamp them with
// gortsplib's per-session PTS decoder (all tracks share one start) and
// the producer's wall clock from RTCP sender reports, and write them to
// an ingest.Session, which they close exactly once when the peer goes
// away.
//
// Supported codecs: H.264, H.265, AAC (RFC 3640 mpeg4-generic, and
// RFC 6416 MP4A-LATM with out-of-band config), Opus, and G.711 (PCMU,
// PCMA), which is converted to 16-bit big-endian LPCM. Other tracks are
// dropped with a log line; a publisher or camera offering none is refused.
//
// Credentials never leave this package: camera URLs are redacted in
// status, logs and errors. All RTSP code of the project stays in this
// package, so that a move to gortsplib v5 touches nothing else.
package rtsp
