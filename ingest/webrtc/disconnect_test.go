package webrtc_test

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	ingestwebrtc "github.com/sluice-dev/sluice/ingest/webrtc"
)

// helperEnv names the WHIP URL a helper process publishes to.
const helperEnv = "SLUICE_TEST_WHIP_HELPER"

// TestHelperPublisher is not a test: it is the publisher process that
// TestAbruptDisconnect kills.
func TestHelperPublisher(t *testing.T) {
	url := os.Getenv(helperEnv)
	if url == "" {
		t.Skip("helper process only")
	}
	pub := newPublisher(t, clientAPI(t, nil), url, true, true)
	if pub.resp.status != 201 {
		t.Fatalf("WHIP: %d %s", pub.resp.status, pub.resp.body)
	}
	waitConnected(t, pub.pc)
	pub.send(t, 100)
	os.Stdout.WriteString("connected\n")
	time.Sleep(time.Minute) // until killed
}

// TestAbruptDisconnect kills a connected publisher (no DTLS close, no
// DELETE): the server ends its session after DisconnectTimeout, the
// recording closes, and a new publisher can take the stream.
func TestAbruptDisconnect(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		t.Skip("in the helper process")
	}
	r := newRig(t, ingestwebrtc.Config{DisconnectTimeout: 2 * time.Second})
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperPublisher$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+urlOf(r, "whip", "cam"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case l := <-lines:
		if !strings.Contains(l, "connected") {
			t.Fatalf("helper: %q", l)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("helper publisher did not connect")
	}
	waitFor(t, 5*time.Second, "the stream to be live", func() bool { return r.rel.Live("cam") })
	time.Sleep(time.Second)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	start := time.Now()
	waitFor(t, 15*time.Second, "the session of the killed publisher to end", func() bool {
		n, _ := r.srv.Sessions()
		return n == 0 && !r.rel.Live("cam")
	})
	t.Logf("session ended %v after the publisher was killed", time.Since(start).Round(100*time.Millisecond))

	pub := newPublisher(t, clientAPI(t, nil), urlOf(r, "whip", "cam"), true, false)
	defer pub.close()
	if pub.resp.status != 201 {
		t.Fatalf("a new publisher after the abrupt one: %d %q", pub.resp.status, pub.resp.body)
	}
	waitConnected(t, pub.pc)
	pub.send(t, 1)
	waitFor(t, 5*time.Second, "live again", func() bool { return r.rel.Live("cam") })
}
