// Package rtsp is the RTSP front end of ingest (RFC 2326), built on
// gortsplib v4. It has two halves that feed the same Recorder:
//
//   - Server accepts publishers (encoders, ffmpeg, OBS, cameras that push)
//     doing ANNOUNCE + SETUP + RECORD at rtsp://host:port/<stream>, over
//     TCP (interleaved) and UDP. ServerConfig.Authenticate is the one
//     place where publishers' credentials are checked.
//   - Puller pulls from IP cameras (DESCRIBE + SETUP + PLAY, Basic and
//     Digest auth from the URL), keeps them connected, and reconnects with
//     capped exponential backoff.
//
// Both turn the RTP packets of each supported track into access units
// (fragments.Unit) with the format's RTP decoder, timestamp them with
// gortsplib's per-session PTS decoder (all tracks share one start) and
// the producer's wall clock from RTCP sender reports, and write them to
// an ingest.Session, which they close exactly once when the peer goes
// away (TEARDOWN, connection loss, read timeout, Close).
//
// Supported codecs: H.264, H.265, AAC (RFC 3640 mpeg4-generic, and
// RFC 6416 MP4A-LATM with out-of-band config), Opus, and G.711 (PCMU,
// PCMA), which is converted to 16-bit big-endian LPCM. Other tracks are
// dropped with a log line naming their codec; a publisher offering none
// is refused at ANNOUNCE with 415 and a message naming what it offered,
// a camera offering none is retried with backoff.
//
// Refusals carry their reason in the RTSP reason phrase, which clients
// show: 400 (bad stream name), 401 (Authenticate), 404
// (ingest.ErrUnknownStream), 415 (no supported track), 453 (another
// node records the stream: ingest.OwnedElsewhereError, naming it), 455
// (ingest.ErrBusy), 500 (anything else; details only in the log). A
// session that the recorder ends by itself (this node lost the stream's
// ownership) closes the publisher's connection, or the camera's.
//
// Bad input is never fatal: undecodable packets are counted and logged at
// debug level, a decoder panic is recovered. Camera passwords never leave
// this package: URLs are redacted and error texts scrubbed in status,
// logs and errors. All RTSP code of the project stays here, so that a
// move to gortsplib v5 touches nothing else.
package rtsp
