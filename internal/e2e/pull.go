package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

type CameraList struct {
	Cameras []struct {
		Stream, URL, State, LastError string
	}
}

func GetCameras(t *testing.T, srv *Server) (CameraList, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + "/api/v1/cameras")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out CameraList
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return out, string(b)
}

func WaitCameraState(t *testing.T, srv *Server, stream, state string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		list, _ := GetCameras(t, srv)
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
