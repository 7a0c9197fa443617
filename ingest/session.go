package ingest

import (
	"errors"

	"github.com/sluice-dev/sluice/fragments"
)

// Source describes where a session's media comes from.
type Source struct {
	Kind      string // "rtsp-push", "rtsp-pull" or "whip"
	Remote    string // the peer's address (never credentials)
	Transport string // e.g. "tcp", "udp", "webrtc"
}

// Session is one publishing session of one stream: a front end writes the
// access units of its tracks, in arrival order per track, from one
// goroutine, and closes it when the publisher goes away.
type Session interface {
	// Write takes one access unit. It never blocks on storage.
	Write(u fragments.Unit)
	// Close flushes the last fragment (its last frame included) and ends
	// the session. It is safe to call more than once.
	Close()
}

var (
	// ErrUnknownStream is returned when publishing to a stream that does not
	// exist while automatic creation is off.
	ErrUnknownStream = errors.New("unknown stream")
	// ErrBusy is returned when a stream already has a publisher.
	ErrBusy = errors.New("stream already has a publisher")
	// ErrNoTracks is returned when none of the offered tracks can be recorded.
	ErrNoTracks = errors.New("no supported tracks")
)
