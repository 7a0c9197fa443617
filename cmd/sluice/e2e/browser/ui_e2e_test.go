package browser

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	"github.com/sluice-dev/sluice/internal/e2e"
)

// TestWebUI drives the UI in headless Chromium against the binary with an
// ffmpeg RTSP publisher and a data stream, with an access key configured:
// the UI logs in first, and everything after runs on its session.
func TestWebUI(t *testing.T) {
	e2e.RequireFFmpeg(t)
	e2e.RequireTool(t, "/usr/bin/chromium")
	if _, err := os.Stat(filepath.Join(e2e.Browsertest, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("web/browsertest/node_modules is missing: run npm ci there (scripts/test.sh does): %v", err)
	}
	srv := e2e.StartServer(t, t.TempDir(), "--access-key", "AKIDUI:ui-secret-1")
	pub := e2e.Publish(t, e2e.WithUser(srv.RTSP, "AKIDUI:ui-secret-1")+"/ui-cam", "libx264", "tcp", 60)
	defer e2e.CheckFallback(t)
	defer pub.Process.Kill()
	kc := e2e.KinesisClientAs(srv.URL, "AKIDUI", "ui-secret-1")
	if _, err := kc.CreateStream(context.Background(), &kinesis.CreateStreamInput{StreamName: aws.String("events"), ShardCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	e2e.WaitStreamActive(t, kc, "events")
	time.Sleep(25 * time.Second) // 20 s of archive behind the live edge

	art := e2e.ArtifactsDir(t, "ui")
	cmd := exec.Command("node", "ui.mjs", "--base", srv.URL, "--stream", "ui-cam", "--data", "events", "--artifacts", art, "--login", "AKIDUI:ui-secret-1")
	cmd.Dir = e2e.Browsertest
	cmd.Stderr = os.Stderr
	timer := time.AfterFunc(3*time.Minute, func() { cmd.Process.Kill() })
	defer timer.Stop()
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("ui.mjs: %v\n%s", err, b)
	}
	var out struct {
		Errors     []string
		ListedLive bool
		LiveFrames int
		LiveMode   string
		Replay     struct {
			Target, CurrentTime float64
			Shown               string
		}
		Exported       bool
		ExportProgress float64
		TailSeconds    float64
		LoginRefused   bool
		Cookie         *struct {
			HTTPOnly bool `json:"httpOnly"`
			SameSite string
		}
		CookieVisibleToScript bool
		LoggedOut             bool
		AfterLogout           int
		WatchLinkFrames       int
		WatchWithoutToken     string
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	t.Logf("ui: %s", b)
	if len(out.Errors) > 0 {
		t.Fatalf("browser errors: %v", out.Errors)
	}
	if !out.ListedLive || out.LiveFrames <= 10 {
		t.Fatalf("live view: listed live %v, %d frames (%s)", out.ListedLive, out.LiveFrames, out.LiveMode)
	}
	if d := out.Replay.CurrentTime - out.Replay.Target; d < -3 || d > 10 {
		t.Fatalf("replay from 10 s back shows %.1f s away from the click", d)
	}
	shown, err := time.Parse("Showing 2006-01-02T15:04:05.000Z", out.Replay.Shown)
	if err != nil || shown.Sub(time.Unix(0, int64(out.Replay.CurrentTime*1e9))).Abs() > time.Second {
		t.Fatalf("the shown wall-clock time %q does not match currentTime %.3f", out.Replay.Shown, out.Replay.CurrentTime)
	}
	if !out.Exported || out.ExportProgress != 1 {
		t.Fatalf("export: %v, progress %v", out.Exported, out.ExportProgress)
	}
	probe := fragmentstest.FFprobeFile(t, filepath.Join(art, "export.mp4"))
	if probe.Duration < 4 || probe.Duration > 7 {
		t.Fatalf("exported a %.2f s MP4 for a 5 s range", probe.Duration)
	}
	if out.TailSeconds > 2 {
		t.Fatalf("the record showed in the tail after %.1f s", out.TailSeconds)
	}
	if !out.LoginRefused || out.Cookie == nil || !out.Cookie.HTTPOnly || out.Cookie.SameSite != "Strict" || out.CookieVisibleToScript {
		t.Fatalf("login: wrong secret refused %v, cookie %+v, visible to scripts %v", out.LoginRefused, out.Cookie, out.CookieVisibleToScript)
	}
	if out.WatchLinkFrames <= 10 || !strings.HasPrefix(out.WatchWithoutToken, "401") {
		t.Fatalf("watch link: %d frames with its token; without: %q", out.WatchLinkFrames, out.WatchWithoutToken)
	}
	if !out.LoggedOut || out.AfterLogout != 401 {
		t.Fatalf("logout: form shown %v, API after logout %d (want 401)", out.LoggedOut, out.AfterLogout)
	}
}
