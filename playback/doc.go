// Package playback serves recorded and live video back: it reads a
// stream's fragments from the archive (index on the stream core, bytes in
// storage) and from the live edge (fragments.Hub) as one timeline, with no
// gap or duplicate at the seam, and packages them for players: HLS and
// LL-HLS (playback/hls), DASH, MP4 clips and Matroska for the KVS media
// APIs. Session URLs carry signed, expiring tokens (token.go).
package playback
