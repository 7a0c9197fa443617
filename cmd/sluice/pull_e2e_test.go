package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/ingest/rtsp/rtsptest"
)

type cameraList struct {
	Cameras []struct {
		Stream, URL, State, LastError string
	}
}

func getCameras(t *testing.T, srv *server) (cameraList, string) {
	t.Helper()
	resp, err := http.Get(srv.url + "/api/v1/cameras")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out cameraList
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return out, string(b)
}

func waitCameraState(t *testing.T, srv *server, stream, state string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		list, _ := getCameras(t, srv)
		for _, c := range list.Cameras {
			if c.Stream == stream && c.State == state {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("camera %s never %s: %+v", stream, state, list)
		}
	}
}

// TestPullCamera: sluice pulls a fake IP camera (GStreamer, digest auth)
// given with --camera; the camera dies and comes back, sluice reconnects
// by itself, and the outage is a gap in the archive. A second camera added
// through the API is pulled too. Passwords appear nowhere.
func TestPullCamera(t *testing.T) {
	requireTool(t, awsCLI)
	const password = "s3cret-Pa55"
	cam := rtsptest.StartFakeCam(t, "--auth", "digest", "--user", "admin", "--password", password)
	open := rtsptest.StartFakeCam(t)
	srv := startServer(t, t.TempDir(), "--camera", "gate="+cam.URL("admin:"+password)+"#tcp")

	waitCameraState(t, srv, "gate", "streaming")
	time.Sleep(5 * time.Second)
	cam.Kill()
	waitCameraState(t, srv, "gate", "backoff")
	down := time.Now()
	time.Sleep(3 * time.Second)
	cam.Start()
	waitCameraState(t, srv, "gate", "streaming")
	up := time.Now()
	if up.Sub(down) > 15*time.Second {
		t.Fatalf("reconnection took %v", up.Sub(down))
	}
	time.Sleep(5 * time.Second)

	// The archive has media before and after the outage, with a gap.
	listed := listFragments(t, srv.url, "gate")
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
	resp, err := http.Post(srv.url+"/api/v1/cameras", "application/json",
		strings.NewReader(`{"stream":"lobby","url":"`+open.URL("")+`","transport":"udp"}`))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("adding a camera: %v %v", resp.Status, err)
	}
	waitCameraState(t, srv, "lobby", "streaming")
	_, raw := getCameras(t, srv)
	if strings.Contains(raw, password) {
		t.Fatalf("the camera list shows the password: %s", raw)
	}
	req, _ := http.NewRequest(http.MethodDelete, srv.url+"/api/v1/cameras/lobby", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("removing a camera: %v %v", resp.Status, err)
	}
	srv.stop(t)
	if strings.Contains(srv.log.String(), password) {
		t.Fatal("the server log shows the camera password")
	}

}
