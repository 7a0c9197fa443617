package rtsp

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeCam is a GStreamer RTSP server (testdata/fakecam.py) playing an
// IP camera: H.264 at rtsp://127.0.0.1:port/cam.
type fakeCam struct {
	t    *testing.T
	port int
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

// requireGStreamer fails (in CI) or skips the test without GStreamer's
// RTSP server and Python bindings.
func requireGStreamer(t *testing.T) {
	t.Helper()
	requireTool(t, "/usr/bin/python3")
	if err := gstCheck(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("GStreamer RTSP server for python3 is required in CI: %v", err)
		}
		t.Skipf("GStreamer RTSP server for python3 not installed: %v", err)
	}
}

// freePort returns a TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startFakeCam starts a camera on a free port; args go to fakecam.py
// (e.g. "--auth", "digest", "--user", "u", "--password", "p").
func startFakeCam(t *testing.T, args ...string) *fakeCam {
	t.Helper()
	requireGStreamer(t)
	c := &fakeCam{t: t, port: freePort(t), args: args}
	c.start()
	t.Cleanup(c.kill)
	return c
}

// start runs the camera process and waits until it listens.
func (c *fakeCam) start() {
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

func (c *fakeCam) startOnce() error {
	args := append([]string{"testdata/fakecam.py", "--port", fmt.Sprint(c.port), "--max-seconds", "60"}, c.args...)
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
	return fmt.Errorf("did not start on port %d", c.port)
}

// kill stops the camera with SIGKILL, as a power cut would.
func (c *fakeCam) kill() {
	if c.cmd != nil {
		c.cmd.Process.Kill()
		c.cmd.Wait()
		c.cmd = nil
	}
}

// url is the camera's URL with the given userinfo ("" for none).
func (c *fakeCam) url(userinfo string) string {
	if userinfo != "" {
		userinfo += "@"
	}
	return fmt.Sprintf("rtsp://%s127.0.0.1:%d/cam", userinfo, c.port)
}
