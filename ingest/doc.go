// Package ingest takes media in and records it. Front ends (ingest/rtsp
// for RTSP push and camera pull, ingest/webrtc for WHIP) depacketize what
// they receive into access units and feed a Session; the Recorder behind a
// Session cuts fragments (package fragments), stores their bytes (package
// storage), indexes them (the fragment index on the stream core) and keeps
// the live edge in memory for playback.
package ingest
