// Package rtsptest runs a fake IP camera for tests: a GStreamer RTSP server
// (testdata/fakecam.py, run with Debian's /usr/bin/python3) serving an
// H.264 test pattern, optionally behind basic or digest auth.
package rtsptest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// FakeCam is a GStreamer RTSP server (testdata/fakecam.py) playing an
// IP camera: H.264 at rtsp://127.0.0.1:Port/cam.
type FakeCam struct {
	t    testing.TB
	Port int
	args []string
	cmd  *exec.Cmd
}

var gstCheck = sync.OnceValue(func() error {
	out, err := exec.Command("/usr/bin/python3", "-c",
		"import gi; gi.require_version('GstRtspServer', '1.0'); gi.require_version('GstRtsp', '1.0'); from gi.repository import GstRtspServer").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
})

// RequireGStreamer fails (in CI) or skips the test without GStreamer's
// RTSP server and Python bindings.
func RequireGStreamer(t testing.TB) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("/usr/bin/python3 is required in CI: %v", err)
		}
		t.Skipf("/usr/bin/python3 not installed: %v", err)
	}
	if err := gstCheck(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("GStreamer RTSP server for python3 is required in CI: %v", err)
		}
		t.Skipf("GStreamer RTSP server for python3 not installed: %v", err)
	}
}

// freePort returns a TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// StartFakeCam starts a camera on a free port; args go to fakecam.py
// (e.g. "--auth", "digest", "--user", "u", "--password", "p"). It is
// killed at the test's cleanup.
func StartFakeCam(t testing.TB, args ...string) *FakeCam {
	t.Helper()
	RequireGStreamer(t)
	c := &FakeCam{t: t, Port: freePort(t), args: args}
	c.Start()
	t.Cleanup(c.Kill)
	return c
}

// Start runs the camera process (again, after Kill) and waits until it
// listens.
func (c *FakeCam) Start() {
	c.t.Helper()
	var err error
	for attempt := 0; attempt < 20; attempt++ { // the port may linger after a kill
		if err = c.startOnce(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("fake camera: %v", err)
}

func (c *FakeCam) startOnce() error {
	args := append([]string{script(), "--port", fmt.Sprint(c.Port), "--max-seconds", "120"}, c.args...)
	cmd := exec.Command("/usr/bin/python3", args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "ready" {
				ready <- true
				return
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if ok {
			c.cmd = cmd
			return nil
		}
	case <-time.After(15 * time.Second):
	}
	cmd.Process.Kill()
	cmd.Wait()
	return fmt.Errorf("did not start on port %d", c.Port)
}

// Kill stops the camera with SIGKILL, as a power cut would.
func (c *FakeCam) Kill() {
	if c.cmd != nil {
		c.cmd.Process.Kill()
		c.cmd.Wait()
		c.cmd = nil
	}
}

// URL is the camera's URL with the given userinfo ("" for none).
func (c *FakeCam) URL(userinfo string) string {
	if userinfo != "" {
		userinfo += "@"
	}
	return fmt.Sprintf("rtsp://%s127.0.0.1:%d/cam", userinfo, c.Port)
}

// script is the path of fakecam.py beside this file.
func script() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", "fakecam.py")
}
