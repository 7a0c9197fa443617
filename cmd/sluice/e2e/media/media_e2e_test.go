package media

import (
	"testing"

	"github.com/sluice-dev/sluice/internal/e2e"
)

// TestMediaEndToEnd publishes with ffmpeg and reads the media back with
// the AWS CLI: get-clip (a range inside the archive, and one that ends now
// across the seam of archive and live edge), get-media-for-fragment-list
// and get-media, each checked with ffprobe; with the archive on files and
// on S3 (versitygw).
func TestMediaEndToEnd(t *testing.T) {
	e2e.RequireFFmpeg(t)
	e2e.RequireTool(t, e2e.AWSCLI)
	e2e.OnEachStorage(t, e2e.MediaEndToEnd)
}
