package rtsp

import (
	"errors"
	"fmt"
	"github.com/sluice-dev/sluice/ingest/rtsp/rtsptest"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"
	"go.uber.org/goleak"
)

// testPuller returns a Puller with fast timings for tests.
func testPuller(t *testing.T, rec Recorder) (*Puller, *logBuffer) {
	t.Helper()
	logger, logs := testLogger(t)
	p := NewPuller(PullerConfig{ReadTimeout: 2 * time.Second, BackoffMin: 100 * time.Millisecond, BackoffMax: 500 * time.Millisecond, Logger: logger}, rec)
	t.Cleanup(p.Close)
	return p, logs
}

// waitState waits until the camera of stream is in state.
func waitState(t *testing.T, p *Puller, stream, state string, timeout time.Duration) CameraStatus {
	t.Helper()
	var last CameraStatus
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, st := range p.List() {
			if st.Stream == stream {
				last = st
				if st.State == state {
					return st
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("camera %s not %s within %v: %+v", stream, state, timeout, last)
	return last
}

// checkPulledVideo waits for a second of video from a pulled session.
func checkPulledVideo(t *testing.T, sess *fakeSession) {
	t.Helper()
	if len(sess.tracks) != 1 {
		t.Fatalf("tracks %+v", sess.tracks)
	}
	if c, ok := sess.tracks[0].Codec.(*mp4.CodecH264); !ok || sess.tracks[0].ClockRate != 90000 {
		t.Fatalf("track %#v", sess.tracks[0])
	} else if len(c.SPS) == 0 {
		t.Errorf("no SPS from the camera's SDP")
	}
	waitFor(t, 5*time.Second, func() bool { return sess.count(0) >= 25 })
	units, _ := sess.snapshot()
	for i, u := range units[0][:25] {
		if h264Pictures(u.Data) != 1 {
			t.Fatalf("unit %d: NAL types %v", i, h264Types(u.Data))
		}
	}
	checkMonotonic(t, "pulled video", units[0][:25])
}

// TestPullerReconnects pulls a camera without auth over TCP, kills the
// camera, restarts it on the same port: the puller closes the session and
// opens a new one by itself.
func TestPullerReconnects(t *testing.T) {
	t.Parallel()
	cam := rtsptest.StartFakeCam(t)
	rec := newFakeRecorder()
	p, _ := testPuller(t, rec)
	if err := p.Add(Camera{Stream: "lobby", URL: cam.URL(""), Transport: "tcp"}); err != nil {
		t.Fatal(err)
	}
	first := rec.waitOpen(t, 10*time.Second)
	if first.stream != "lobby" || first.src.Kind != "rtsp-pull" || first.src.Transport != "tcp" || first.src.Remote != fmt.Sprintf("127.0.0.1:%d", cam.Port) {
		t.Errorf("session %s from %+v", first.stream, first.src)
	}
	checkPulledVideo(t, first)
	st := waitState(t, p, "lobby", StateStreaming, time.Second)
	if st.Transport != "tcp" || st.URL != cam.URL("") || st.LastError != "" {
		t.Errorf("status %+v", st)
	}

	cam.Kill()
	first.waitClosed(t, 5*time.Second)
	st = waitState(t, p, "lobby", StateBackoff, 5*time.Second)
	if st.LastError == "" {
		t.Errorf("no error after the camera died: %+v", st)
	}
	time.Sleep(time.Second) // a few failed attempts while the camera is down
	restarted := time.Now()
	cam.Start()
	second := rec.waitOpen(t, 10*time.Second)
	t.Logf("reconnected %v after the camera came back", time.Since(restarted).Round(time.Millisecond))
	checkPulledVideo(t, second)
	waitState(t, p, "lobby", StateStreaming, time.Second)

	p.Remove("lobby")
	second.waitClosed(t, time.Second)
	if n := len(p.List()); n != 0 {
		t.Errorf("%d cameras after Remove", n)
	}
	first.check(t)
	second.check(t)
	if n := len(rec.all()); n != 2 {
		t.Errorf("%d sessions, want 2", n)
	}
}

// TestPullerAuth pulls cameras behind Digest (UDP) and Basic (automatic
// transport) authentication.
func TestPullerAuth(t *testing.T) {
	t.Parallel()
	digest := rtsptest.StartFakeCam(t, "--auth", "digest", "--user", "admin", "--password", "d1gest-pw")
	basic := rtsptest.StartFakeCam(t, "--auth", "basic", "--user", "viewer", "--password", "b@sic pw")
	rec := newFakeRecorder()
	p, logs := testPuller(t, rec)
	if err := p.Add(Camera{Stream: "digest", URL: digest.URL("admin:d1gest-pw"), Transport: "udp"}); err != nil {
		t.Fatal(err)
	}
	if err := p.Add(Camera{Stream: "basic", URL: basic.URL("viewer:b%40sic%20pw")}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		sess := rec.waitOpen(t, 10*time.Second)
		checkPulledVideo(t, sess)
		want := map[string]string{"digest": "udp", "basic": "udp"}[sess.stream]
		if sess.src.Transport != want {
			t.Errorf("%s: transport %q, want %q", sess.stream, sess.src.Transport, want)
		}
	}
	list := p.List()
	if len(list) != 2 || list[0].Stream != "basic" || list[0].URL != basic.URL("viewer") || list[0].Transport != "auto" ||
		list[1].URL != digest.URL("admin") || list[1].Transport != "udp" {
		t.Errorf("list %+v", list)
	}
	for _, secret := range []string{"d1gest-pw", "b@sic pw", "b%40sic%20pw", "b@sic%20pw"} {
		if strings.Contains(fmt.Sprint(list), secret) || strings.Contains(logs.String(), secret) {
			t.Errorf("password %q in status or logs", secret)
		}
	}
}

// TestPullerWrongPassword checks that a refused camera backs off with a
// redacted error, and that the password appears nowhere: logs, errors,
// status.
func TestPullerWrongPassword(t *testing.T) {
	t.Parallel()
	const password = "Tr0ub4dor&3-wrong"
	cam := rtsptest.StartFakeCam(t, "--auth", "digest", "--user", "admin", "--password", "right")
	rec := newFakeRecorder()
	p, logs := testPuller(t, rec)
	url := cam.URL("admin:" + strings.ReplaceAll(password, "&", "%26"))
	if err := p.Add(Camera{Stream: "door", URL: url, Transport: "tcp"}); err != nil {
		t.Fatal(err)
	}
	st := waitState(t, p, "door", StateBackoff, 5*time.Second)
	time.Sleep(time.Second) // a few more attempts
	st = p.List()[0]
	if !strings.Contains(st.LastError, "401") || st.URL != cam.URL("admin") {
		t.Errorf("status %+v", st)
	}
	var errs []error
	errs = append(errs, p.Add(Camera{Stream: "door", URL: url}))                                            // duplicate
	errs = append(errs, p.Add(Camera{Stream: "bad url", URL: url}))                                         // bad name
	errs = append(errs, p.Add(Camera{Stream: "door2", URL: "rtsp://admin:" + password + "@127.0.0.1:x/"}))  // bad port
	errs = append(errs, p.Add(Camera{Stream: "door3", URL: "http://admin:" + password + "@127.0.0.1/"}))    // bad scheme
	errs = append(errs, p.Add(Camera{Stream: "door4", URL: "rtsp://admin:" + password + "%zz@127.0.0.1/"})) // bad escape
	errs = append(errs, p.Add(Camera{Stream: "door5", URL: url, Transport: password}))                      // bad transport
	if !errors.Is(errs[0], ErrCameraExists) {
		t.Errorf("duplicate: %v", errs[0])
	}
	for i, err := range errs {
		if err == nil {
			t.Errorf("Add %d accepted", i)
		} else if strings.Contains(err.Error(), "Tr0ub4dor") {
			t.Errorf("Add %d: password in error: %v", i, err)
		}
	}
	everything := logs.String() + fmt.Sprintf("%+v", p.List())
	for _, secret := range []string{password, "Tr0ub4dor", "Tr0ub4dor%263-wrong"} {
		if strings.Contains(everything, secret) {
			t.Errorf("password %q leaked:\n%s", secret, everything)
		}
	}
	if !strings.Contains(logs.String(), "rtsp://admin@127.0.0.1") {
		t.Errorf("logs do not name the camera:\n%s", logs)
	}
	if n := len(rec.all()); n != 0 {
		t.Errorf("%d sessions opened", n)
	}
}

// TestPullerCloseLeaks closes a puller with a streaming camera and one in
// backoff: the session is closed and no goroutine is left.
func TestPullerCloseLeaks(t *testing.T) {
	cam := rtsptest.StartFakeCam(t)
	ignore := goleak.IgnoreCurrent()
	rec := newFakeRecorder()
	logger, _ := testLogger(t)
	p := NewPuller(PullerConfig{ReadTimeout: 2 * time.Second, BackoffMin: 100 * time.Millisecond, BackoffMax: 500 * time.Millisecond, Logger: logger}, rec)
	if err := p.Add(Camera{Stream: "up", URL: cam.URL(""), Transport: "tcp"}); err != nil {
		t.Fatal(err)
	}
	if err := p.Add(Camera{Stream: "down", URL: fmt.Sprintf("rtsp://127.0.0.1:%d/cam", freePort(t))}); err != nil {
		t.Fatal(err)
	}
	sess := rec.waitOpen(t, 10*time.Second)
	waitFor(t, 5*time.Second, func() bool { return sess.count(0) > 0 })
	waitState(t, p, "down", StateBackoff, 5*time.Second)
	p.Close()
	p.Close()
	sess.waitClosed(t, time.Second)
	sess.check(t)
	if err := p.Add(Camera{Stream: "late", URL: cam.URL("")}); !errors.Is(err, ErrClosed) {
		t.Errorf("Add after Close: %v", err)
	}
	goleak.VerifyNone(t, ignore)
}

func TestPullerConfig(t *testing.T) {
	t.Parallel()
	p := NewPuller(PullerConfig{ReadTimeout: -1, BackoffMin: time.Second, BackoffMax: time.Millisecond}, newFakeRecorder())
	err := p.Add(Camera{Stream: "x", URL: "rtsp://127.0.0.1/x"})
	if err == nil || !strings.Contains(err.Error(), "PullerConfig.ReadTimeout") || !strings.Contains(err.Error(), "PullerConfig.BackoffMax") {
		t.Errorf("bad config: %v", err)
	}
	p.Close()
}
