package browser

import (
	"testing"

	"github.com/sluice-dev/sluice/internal/e2e"
)

// TestHLSEndToEnd publishes with ffmpeg over RTSP and plays the stream
// back through HLS: the live LL-HLS URL in hls.js, KVS LIVE and
// LIVE_REPLAY sessions that advance while publishing goes on, then
// ON_DEMAND sessions (fMP4 and MPEG-TS) read by ffprobe and hls.js; with
// the archive on files and on S3 (versitygw).
func TestHLSEndToEnd(t *testing.T) {
	e2e.RequireFFmpeg(t)
	e2e.RequireTool(t, e2e.AWSCLI)
	e2e.RequireBrowser(t)
	e2e.OnEachStorage(t, e2e.HlsEndToEnd)
}
