package browser

import (
	"net/http"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/internal/e2e"
)

// TestClusterLiveInBrowser: a stream pushed over RTSP to node 1 of a
// three-node cluster plays as LL-HLS in hls.js (headless Chromium) from
// node 3, which does not record it.
func TestClusterLiveInBrowser(t *testing.T) {
	e2e.RequireFFmpeg(t)
	e2e.RequireBrowser(t)
	nats := e2e.StartNATSCluster(t, 3)
	nodes := e2e.StartNodes(t, nats, 3, 30*time.Second)
	pub := e2e.Publish(t, nodes[0].RTSP+"/cam-far", "libx264", "tcp", 20)
	defer pub.Process.Kill()
	src := nodes[2].URL + "/hls/cam-far/index.m3u8"
	e2e.WaitFor(t, 15*time.Second, "a live playlist on node 3", func() bool {
		st, _ := e2e.HttpGet(t, src)
		return st == http.StatusOK
	})
	e2e.CheckPlayed(t, "live LL-HLS from node 3", e2e.PlayHLS(t, src, 8), 4)
}
