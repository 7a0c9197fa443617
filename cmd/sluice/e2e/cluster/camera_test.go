package cluster

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/ingest/rtsp/rtsptest"
	"github.com/sluice-dev/sluice/internal/e2e"
)

// Timings of the camera test, as parameters.
const (
	leaseTTL       = "3s"             // --lease-ttl of the nodes
	window         = 20 * time.Second // the span whose fragments must add up to it once
	failoverWithin = 10 * time.Second // another node pulls the camera after its puller died
)

// puller is the index of the one node that pulls stream, or -1 while none
// does; it fails the test if two do.
func puller(t *testing.T, nodes []e2e.Node, stream string) int {
	t.Helper()
	at := -1
	for i, n := range nodes {
		if n.Server == nil {
			continue // killed
		}
		list, _ := e2e.GetCameras(t, n.Server)
		for _, c := range list.Cameras {
			if c.Stream == stream && c.State == "streaming" {
				if at >= 0 {
					t.Fatalf("camera %s pulled by %s and %s", stream, nodes[at].Name, n.Name)
				}
				at = i
			}
		}
	}
	return at
}

// TestClusterCameraPulledOnce: a camera added through two nodes is pulled
// by one (its fragments in a window add up to the window once); when that
// node is SIGKILLed another pulls it within failoverWithin, and the archive
// shows one gap and no overlap.
func TestClusterCameraPulledOnce(t *testing.T) {
	e2e.RequireTool(t, e2e.AWSCLI)
	nats := e2e.StartNATSCluster(t, 3)
	nodes := e2e.StartNodes(t, nats, 3, readyWithin, "--lease-ttl", leaseTTL)
	cam := rtsptest.StartFakeCam(t)
	body := `{"stream":"gate","url":"` + cam.URL("") + `","transport":"tcp"}`
	for i, want := range []int{http.StatusCreated, http.StatusOK} {
		resp, err := http.Post(nodes[i].URL+"/api/v1/cameras", "application/json", strings.NewReader(body))
		if err != nil || resp.StatusCode != want {
			t.Fatalf("adding the camera through %s: %v %v, want %d", nodes[i].Name, resp, err, want)
		}
		resp.Body.Close()
	}
	var at int
	e2e.WaitFor(t, 15*time.Second, "one node pulling the camera", func() bool { at = puller(t, nodes, "gate"); return at >= 0 })
	t0 := time.Now()
	e2e.WaitFor(t, window+15*time.Second, "the window to pass, still pulled once", func() bool {
		puller(t, nodes, "gate") // fails on a second puller
		return time.Since(t0) > window+4*time.Second
	})
	var sum time.Duration
	for _, f := range e2e.ListFragments(t, nodes[(at+1)%3].URL, "gate") {
		if !f.ServerTimestamp.Before(t0.Add(2*time.Second)) && f.ServerTimestamp.Before(t0.Add(2*time.Second+window)) {
			sum += time.Duration(f.FragmentLengthInMilliseconds) * time.Millisecond
		}
	}
	if sum < window-3*time.Second || sum > window+3*time.Second {
		t.Fatalf("fragments received in a %v window add up to %v (recorded more than once, or not at all)", window, sum)
	}
	t.Logf("camera pulled by %s alone: %v of fragments in a %v window", nodes[at].Name, sum, window)

	killed := time.Now()
	nodes[at].Kill()
	nodes[at].Server = nil
	var next int
	e2e.WaitFor(t, failoverWithin, "another node pulling the camera", func() bool { next = puller(t, nodes, "gate"); return next >= 0 })
	t.Logf("%s killed; %s pulls the camera %v later", nodes[at].Name, nodes[next].Name, time.Since(killed).Round(100*time.Millisecond))
	resumed := time.Now()
	e2e.WaitFor(t, 20*time.Second, "fragments after the failover", func() bool {
		for _, f := range e2e.ListFragments(t, nodes[next].URL, "gate") {
			if f.ServerTimestamp.After(resumed.Add(4 * time.Second)) {
				return true
			}
		}
		return false
	})
	listed := e2e.ListFragments(t, nodes[next].URL, "gate")
	gaps := 0
	for i := 1; i < len(listed); i++ {
		prevEnd := listed[i-1].ProducerTimestamp.Add(time.Duration(listed[i-1].FragmentLengthInMilliseconds) * time.Millisecond)
		if gap := listed[i].ProducerTimestamp.Sub(prevEnd); gap > 2*time.Second {
			gaps++
		} else if gap < -time.Millisecond {
			t.Errorf("fragment %d starts %v before the previous one ends: two nodes recorded at once", i, -gap)
		}
	}
	if gaps != 1 {
		t.Fatalf("%d gaps in %d fragments, want the one of the failover", gaps, len(listed))
	}
}
