package rtsp

import (
	"context"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/ingest"
)

// Recorder opens recording sessions; both Server and Puller feed one.
type Recorder interface {
	// Open starts a recording session of stream with these tracks. Units
	// written to the session name a track by its index in tracks.
	// Errors: ingest.ErrUnknownStream, ingest.ErrBusy (the stream has a
	// publisher), *ingest.OwnedElsewhereError (another node records it),
	// ingest.ErrNoTracks, others.
	Open(ctx context.Context, stream string, src ingest.Source, tracks []fragments.Track) (ingest.Session, error)
}

// ender is the optional ability of an ingest.Session to end by itself
// (this node lost the stream's ownership): Ended is then closed, and the
// front end drops its publisher or camera connection.
type ender interface {
	Ended() <-chan struct{}
}

// onEnded calls stop once sess has ended, by the front end's Close (stop
// must then do no harm) or by itself.
func onEnded(sess ingest.Session, stop func()) {
	if e, ok := sess.(ender); ok {
		go func() {
			<-e.Ended()
			stop()
		}()
	}
}
