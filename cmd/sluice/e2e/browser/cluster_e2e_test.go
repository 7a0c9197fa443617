package browser

import (
	"net/http"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/internal/e2e"
)

// TestClusterLiveInBrowser: a stream pushed over RTSP to node 1 of a
// three-node cluster plays from node 3, which does not record it, as
// LL-HLS in hls.js and over WHEP in the watch page (headless Chromium).
func TestClusterLiveInBrowser(t *testing.T) {
	e2e.RequireFFmpeg(t)
	e2e.RequireBrowser(t)
	nats := e2e.StartNATSCluster(t, 3)
	nodes := e2e.StartNodes(t, nats, 3, 30*time.Second)
	pub := e2e.Publish(t, nodes[0].RTSP+"/cam-far", "libx264", "tcp", 40)
	defer pub.Process.Kill()
	src := nodes[2].URL + "/hls/cam-far/index.m3u8"
	e2e.WaitFor(t, 15*time.Second, "a live playlist on node 3", func() bool {
		st, _ := e2e.HttpGet(t, src)
		return st == http.StatusOK
	})
	t.Run("LL-HLS", func(t *testing.T) {
		e2e.CheckPlayed(t, "live LL-HLS from node 3", e2e.PlayHLS(t, src, 8), 4)
	})
	t.Run("WHEP", func(t *testing.T) {
		e2e.CheckWatched(t, "WHEP from node 3", e2e.RunPage(t, nodes[2].URL+"/watch/cam-far", 8), 320, 240)
	})
}
