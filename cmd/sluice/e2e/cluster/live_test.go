package cluster

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/internal/e2e"
)

// partURI matches the URI of an #EXT-X-PART line.
var partURI = regexp.MustCompile(`#EXT-X-PART:[^\n]*URI="([^"]+)"`)

// get fetches u and returns the status and body.
func get(t *testing.T, u string) (int, []byte) {
	t.Helper()
	c := &http.Client{Timeout: 20 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestClusterLiveFromAnyNode: a camera pushed over RTSP to node 1 plays
// as LL-HLS from node 3, which does not record it: its playlist lists
// the parts of the open fragment, advances while the publisher goes on,
// and its parts and init segment decode.
func TestClusterLiveFromAnyNode(t *testing.T) {
	e2e.RequireFFmpeg(t)
	nats := e2e.StartNATSCluster(t, 3)
	nodes := e2e.StartNodes(t, nats, 3, readyWithin)
	pub := e2e.Publish(t, nodes[0].RTSP+"/cam-live", "libx264", "tcp", 20)
	defer pub.Process.Kill()

	playlist := nodes[2].URL + "/hls/cam-live/index.m3u8"
	var first []string
	e2e.WaitFor(t, 15*time.Second, "an LL-HLS playlist with parts on node 3", func() bool {
		st, body := get(t, playlist)
		if st != http.StatusOK {
			return false
		}
		for _, m := range partURI.FindAllStringSubmatch(string(body), -1) {
			first = append(first, m[1])
		}
		return len(first) > 0
	})
	// The playlist advances on node 3 while node 1 records.
	e2e.WaitFor(t, 10*time.Second, "node 3's playlist to list a newer part", func() bool {
		_, body := get(t, playlist)
		ms := partURI.FindAllStringSubmatch(string(body), -1)
		return len(ms) > 0 && ms[len(ms)-1][1] != first[len(first)-1]
	})
	_, body := get(t, playlist)
	if strings.Contains(string(body), "#EXT-X-ENDLIST") {
		t.Fatalf("node 3's live playlist ended:\n%s", body)
	}
	// The init segment and the newest part decode.
	mapURI := regexp.MustCompile(`#EXT-X-MAP:URI="([^"]+)"`).FindStringSubmatch(string(body))
	ms := partURI.FindAllStringSubmatch(string(body), -1)
	if mapURI == nil || len(ms) == 0 {
		t.Fatalf("no map or parts:\n%s", body)
	}
	base := nodes[2].URL + "/hls/cam-live/"
	var media []byte
	for _, u := range []string{mapURI[1], ms[len(ms)-1][1]} {
		st, b := get(t, base+u)
		if st != http.StatusOK || len(b) == 0 {
			t.Fatalf("GET %s on node 3: %d (%d bytes)", u, st, len(b))
		}
		media = append(media, b...)
	}
	f := filepath.Join(t.TempDir(), "part.mp4")
	if err := os.WriteFile(f, media, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-count_packets", "-select_streams", "v", "-show_entries", "stream=codec_name,nb_read_packets", "-of", "csv=p=0", f).Output()
	if err != nil || !strings.HasPrefix(strings.TrimSpace(string(out)), "h264,") {
		t.Fatalf("ffprobe of node 3's init + newest part: %q %v", out, err)
	}
	t.Logf("node 3 serves node 1's live stream: %d parts listed, newest part %s", len(ms), strings.TrimSpace(fmt.Sprint(string(out))))

	// Every node knows who records it.
	_, cl := get(t, nodes[2].URL+"/api/v1/cluster")
	var view struct {
		Nodes []struct {
			Name      string
			Recording []string
		}
	}
	if err := json.Unmarshal(cl, &view); err != nil || len(view.Nodes) != 3 || view.Nodes[0].Name != "node1" || fmt.Sprint(view.Nodes[0].Recording) != "[cam-live]" {
		t.Errorf("node 3's /api/v1/cluster does not show node1 recording cam-live: %s", cl)
	}
	_, list := get(t, nodes[2].URL+"/api/v1/streams")
	if !strings.Contains(string(list), `"recorded_by":"node1"`) {
		t.Errorf("node 3's stream list does not name node1: %s", list)
	}
	// A push of the same stream to another node is refused while node 1
	// records it.
	if ok, out := e2e.PublishFor(t, nodes[1].RTSP+"/cam-live", 2); ok {
		t.Fatalf("a second publisher of cam-live on node 2 was accepted: %s", out)
	} else if !strings.Contains(out, "453") {
		t.Errorf("node 2 refused the second publisher without a 453: %s", out)
	}
}

// TestClusterNewestMediaFromAnyNode: a camera pushed to node 1 is read
// back through node 3, which does not record it, up to its newest
// fragments: GetMedia following it live, a clip to now (across the seam
// between the archive and the live edge), a clip of the past and
// GetMediaForFragmentList; then an ON_DEMAND HLS session on node 2 holds
// every fragment node 1 listed.
func TestClusterNewestMediaFromAnyNode(t *testing.T) {
	e2e.RequireFFmpeg(t)
	e2e.RequireTool(t, e2e.AWSCLI)
	nats := e2e.StartNATSCluster(t, 3)
	nodes := e2e.StartNodes(t, nats, 3, readyWithin)
	began := time.Now()
	e2e.MediaAcross(t, nodes[0].RTSP, nodes[2].URL, "cam-media")

	listed := e2e.ListFragments(t, nodes[0].URL, "cam-media")
	var total time.Duration
	for _, f := range listed {
		total += time.Duration(f.FragmentLengthInMilliseconds) * time.Millisecond
	}
	u := e2e.SessionURL(t, nodes[1].URL, "cam-media", "--playback-mode", "ON_DEMAND",
		"--hls-fragment-selector", e2e.Selector("SERVER_TIMESTAMP", began.Add(-2*time.Second), time.Now().Add(2*time.Second)))
	dur, packets := e2e.ProbeTimeline(t, u)
	if d := dur - total.Seconds(); d < -0.2 || d > 0.2 || float64(packets["video"]) < 25*(total.Seconds()-0.2) {
		t.Fatalf("ON_DEMAND on node 2: %.2f s, %v packets; node 1 lists %d fragments, %v", dur, packets, len(listed), total)
	}
	t.Logf("ON_DEMAND on node 2: %.2f s, %d video packets; node 1 lists %d fragments, %v", dur, packets["video"], len(listed), total)
}
