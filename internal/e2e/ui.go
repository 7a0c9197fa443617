package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ArtifactsDir is where browser tests leave screenshots for humans
// (SLUICE_ARTIFACTS, default ./artifacts at the repository root; not
// committed).
func ArtifactsDir(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("SLUICE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(Root, "artifacts")
	}
	dir = filepath.Join(dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// WithUser puts user:password into an rtsp:// URL.
func WithUser(rtspURL, userinfo string) string {
	return strings.Replace(rtspURL, "rtsp://", "rtsp://"+userinfo+"@", 1)
}

// CheckFallback runs the live view with WebRTC off (no WHEP): the stream
// page falls back by itself to LL-HLS and plays.
func CheckFallback(t *testing.T) {
	if t.Failed() {
		return
	}
	srv := StartServer(t, t.TempDir(), "--webrtc-addr", "")
	pub := Publish(t, srv.RTSP+"/ui-cam", "libx264", "tcp", 30)
	defer pub.Process.Kill()
	time.Sleep(6 * time.Second)
	cmd := exec.Command("node", "ui.mjs", "--base", srv.URL, "--stream", "ui-cam", "--data", "none", "--artifacts", ArtifactsDir(t, "ui"), "--only", "live")
	cmd.Dir = Browsertest
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("ui.mjs: %v\n%s", err, b)
	}
	var out struct {
		Errors     []string
		LiveFrames int
		LiveMode   string
		LiveLag    float64
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	t.Logf("fallback: %s", b)
	if len(out.Errors) > 0 || out.LiveMode != "Live (LL-HLS)" || out.LiveFrames <= 10 {
		t.Fatalf("without WebRTC the live view did not fall back to LL-HLS: %s", b)
	}
}
