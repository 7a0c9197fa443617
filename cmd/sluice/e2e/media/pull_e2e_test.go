package media

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/ingest/rtsp/rtsptest"
	"github.com/sluice-dev/sluice/internal/e2e"
)

// TestPullCamera: sluice pulls a fake IP camera (GStreamer, digest auth)
// given with --camera; the camera dies and comes back, sluice reconnects
// by itself, and the outage is a gap in the archive. A second camera added
// through the API is pulled too. Passwords appear nowhere.
func TestPullCamera(t *testing.T) {
	e2e.RequireTool(t, e2e.AWSCLI)
	const password = "s3cret-Pa55"
	cam := rtsptest.StartFakeCam(t, "--auth", "digest", "--user", "admin", "--password", password)
	open := rtsptest.StartFakeCam(t)
	dir := t.TempDir()
	srv := e2e.StartServer(t, dir, "--camera", "gate="+cam.URL("admin:"+password)+"#tcp")

	e2e.WaitCameraState(t, srv, "gate", "streaming")
	time.Sleep(5 * time.Second)
	cam.Kill()
	e2e.WaitCameraState(t, srv, "gate", "backoff")
	down := time.Now()
	time.Sleep(3 * time.Second)
	cam.Start()
	e2e.WaitCameraState(t, srv, "gate", "streaming")
	up := time.Now()
	if up.Sub(down) > 15*time.Second {
		t.Fatalf("reconnection took %v", up.Sub(down))
	}
	time.Sleep(5 * time.Second)

	// The archive has media before and after the outage, with a gap.
	listed := e2e.ListFragments(t, srv.URL, "gate")
	gaps := 0
	for i := 1; i < len(listed); i++ {
		prevEnd := listed[i-1].ProducerTimestamp.Add(time.Duration(listed[i-1].FragmentLengthInMilliseconds) * time.Millisecond)
		if gap := listed[i].ProducerTimestamp.Sub(prevEnd); gap > 2*time.Second {
			gaps++
		} else if gap < -time.Millisecond {
			t.Errorf("fragment %d starts %v before the previous one ends", i, -gap)
		}
	}
	if len(listed) < 4 || gaps != 1 {
		t.Fatalf("%d fragments with %d gaps; want fragments before and after one outage: %+v", len(listed), gaps, listed)
	}

	// A camera added through the API.
	resp, err := http.Post(srv.URL+"/api/v1/cameras", "application/json",
		strings.NewReader(`{"stream":"lobby","url":"`+open.URL("")+`","transport":"udp"}`))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("adding a camera: %v %v", resp.Status, err)
	}
	e2e.WaitCameraState(t, srv, "lobby", "streaming")
	_, raw := e2e.GetCameras(t, srv)
	if strings.Contains(raw, password) {
		t.Fatalf("the camera list shows the password: %s", raw)
	}
	req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/api/v1/cameras/lobby", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("removing a camera: %v %v", resp.Status, err)
	}

	// Deleting a pulled camera's stream through the KVS API stops the
	// camera (before the registry entry goes: a camera still pulled
	// would make the stream again) and removes its media.
	if _, before := e2e.Archived(t, dir, "gate"); len(before) == 0 {
		t.Fatal("gate has nothing archived")
	}
	var d struct{ StreamInfo struct{ StreamARN string } }
	e2e.RunAWS(t, srv.URL, &d, "kinesisvideo", "describe-stream", "--stream-name", "gate")
	e2e.RunAWS(t, srv.URL, nil, "kinesisvideo", "delete-stream", "--stream-arn", d.StreamInfo.StreamARN)
	if list, raw := e2e.GetCameras(t, srv); len(list.Cameras) != 0 {
		t.Fatalf("cameras after their streams were deleted: %s", raw)
	}
	e2e.WaitFor(t, 10*time.Second, "the deleted stream gone", func() bool {
		st, _ := e2e.HttpGet(t, srv.URL+"/api/v1/streams/gate")
		return st == http.StatusNotFound
	})
	if _, frags := e2e.Archived(t, dir, "gate"); len(frags) != 0 {
		t.Fatalf("%d fragments of the deleted stream left in the archive", len(frags))
	}
	srv.Stop(t)
	if strings.Contains(srv.Log.String(), password) {
		t.Fatal("the server log shows the camera password")
	}

}
