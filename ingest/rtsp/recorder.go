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
	// publisher), ingest.ErrNoTracks, others.
	Open(ctx context.Context, stream string, src ingest.Source, tracks []fragments.Track) (ingest.Session, error)
}
