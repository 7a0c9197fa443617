// Package webrtc is the WebRTC front end: WHIP publishers (RFC 9725) and
// WHEP viewers, built on pion/webrtc v4.
//
// WHIP: POST /whip/<stream> with an SDP offer. The answer takes, for the
// first audio and the first video section, one codec Sluice records:
// the publisher's first choice when it is recordable, else H.264
// (packetization-mode=1, the offered profile), then AV1, then VP9 (profile
// 0 or 2); Opus audio. Other sections and codecs (VP8, H.265 for now) are
// rejected in the answer; an offer with nothing recordable gets 422
// naming what is supported. Video-only and audio-only offers work. The
// RTP of each track is put back in order (gaps wait up to 150 ms for the
// retransmission pion's NACK interceptor asks for), depacketized with
// pion's depacketizers into access units, and written to an
// ingest.Session from Recorder.Open: the same archive, index, live edge
// and relay as RTSP. PTS: each track's RTP time from its first packet;
// the tracks' first packets are placed by the browser's RTCP sender
// reports (its wall clock for an RTP time) when every track sends one
// within 3 s of the start (browsers do: video after about 0.5 s, audio
// after about 2.5 s; the session's first units wait for them), else by
// their arrival (the RTSP path's alignment). The sender reports also give
// fragments.Unit.NTP, the producer time. After a loss, video waits for
// the next keyframe and asks for one (PLI); a PLI also goes out when no keyframe
// came for Config.KeyframeInterval (browsers send keyframes only when
// asked, and fragments are cut at keyframes) and when a live viewer
// needs one. VP9 recordings open at the first keyframe, whose header
// gives the picture size the archive needs; other recordings open when
// the offer is answered, so that an unknown stream (404) or a stream
// with a publisher (409) is refused in the answer.
//
// WHEP: POST /whep/<stream> with the viewer's offer. The viewer follows
// the stream in the relay (package ingest/relay) whatever it came in on
// (RTSP push or pull, WHIP): access units are packetized with pion's
// payloaders and sent as RTP, never re-muxed, so the delay is the
// network's. H.264 goes with packetization-mode=1 and, among the
// profiles the viewer offers, the stream's own when offered (browsers
// decode any profile); keyframes carry SPS/PPS in band. H.265, VP9 and AV1
// go when the viewer offers them (Chromium offers no H.265: then the
// video is not sent, with a note in the log). Opus passes through; G.711
// (LPCM in the relay) is re-encoded to PCMU or PCMA; AAC is never sent
// (a note in the log, never an error). Video with B-frames is not sent
// either: Chromium decodes only its keyframes over WebRTC (the viewer is
// refused, or ended when B-frames show up later, saying to use HLS). A viewer starts at once from the
// relay's cached group of pictures (sent at once with consecutive RTP
// timestamps, so the browser decodes it and shows the live picture), or
// waits for the next keyframe, asked for with a PLI when the source is
// a WHIP publisher. Viewers' PLIs and FIRs are passed on the same way.
// Each viewer has its own relay subscription and goroutine: a slow
// viewer loses pictures (its queue drops to the next keyframe) and slows
// nobody. When the publisher goes away the viewer waits Config.IdleTimeout
// for a new session of the stream with the same codecs, then ends.
//
// WHEP lives here, not in playback as DESIGN.md's table has it, on
// purpose: it shares the relay and the one pion API and ICE UDP mux with
// WHIP (one port to open for all WebRTC), and it sends what ingest
// receives, not what playback reads back from fragments.
//
// Sessions: the resource URL in Location (/whip/<stream>/<id>,
// /whep/<stream>/<id>) takes DELETE (end the session) and PATCH with
// trickle-ICE fragments (RFC 8840; candidates are added, an ICE restart
// is refused with 422). The server's answer carries all its candidates
// (it never trickles). A session ends on DELETE, ICE failure, a peer
// silent for Config.DisconnectTimeout, no connection within
// ConnectTimeout, or Server.Close; its goroutines end and its resources
// (recording, relay subscription) are released with it.
//
// Network: one pion API for every session, with an ICE UDP mux on
// Config.Addr (one port for all sessions; an unspecified host binds it on
// each local address), optional ICE-TCP on TCPAddr, 1:1 NAT public IPs,
// and STUN/TURN servers (TURN passwords never logged). mDNS is off (no
// multicast socket per session).
package webrtc
