package rtsp

import (
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/pion/rtcp"
	"go.uber.org/goleak"

	"github.com/sluice-dev/sluice/ingest"
)

func TestServerConfig(t *testing.T) {
	t.Parallel()
	s := NewServer(ServerConfig{}, newFakeRecorder())
	if err := s.checkConfig(); err != nil {
		t.Fatal(err)
	}
	if c := s.cfg; c.Addr != ":8554" || c.UDPRTPAddr != ":8000" || c.UDPRTCPAddr != ":8001" || c.ReadTimeout != 10*time.Second || c.WriteQueueSize != 256 {
		t.Errorf("defaults: %+v", c)
	}
	s = NewServer(ServerConfig{Addr: "nonsense", WriteQueueSize: 3, UDPRTPAddr: "127.0.0.1:8001", UDPRTCPAddr: "127.0.0.1:8003", ReadTimeout: -1}, newFakeRecorder())
	err := s.Start()
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, key := range []string{"ServerConfig.Addr", "ServerConfig.WriteQueueSize", "ServerConfig.ReadTimeout", "UDPRTPAddr \"127.0.0.1:8001\": port must be even", "ServerConfig.UDPRTCPAddr"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s: %v", key, err)
		}
	}
	s.Close()
	s = NewServer(ServerConfig{UDPRTPAddr: "127.0.0.1:0", UDPRTCPAddr: "127.0.0.1:1"}, newFakeRecorder())
	if err := s.Start(); err == nil || !strings.Contains(err.Error(), "must be empty") {
		t.Errorf("port 0 with an RTCP address: %v", err)
	}
}

func TestServerRecorderErrors(t *testing.T) {
	t.Parallel()
	rec := newFakeRecorder()
	rec.setOpenErr("unknown", ingest.ErrUnknownStream)
	rec.setOpenErr("busy", ingest.ErrBusy)
	rec.setOpenErr("notracks", ingest.ErrNoTracks)
	rec.setOpenErr("broken", errors.New("disk on fire at /secret/path"))
	s := startServer(t, ServerConfig{}, rec)
	for _, tc := range []struct {
		stream string
		code   int
		msg    string
	}{
		{"unknown", 404, `unknown stream "unknown"`},
		{"busy", 455, `stream "busy" already has a publisher`},
		{"notracks", 415, "no track"},
		{"broken", 500, "internal error"},
	} {
		_, err := startPublisher(t, publishURL(s, tc.stream), gortsplib.TransportTCP)
		if statusCode(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %d with %q", tc.stream, err, tc.code, tc.msg)
		}
		if err != nil && strings.Contains(err.Error(), "/secret/path") {
			t.Errorf("%s: internal error leaked to the client: %v", tc.stream, err)
		}
	}
	checkServerWorks(t, s, rec, "fine")
}

func TestServerDisableUDP(t *testing.T) {
	t.Parallel()
	rec := newFakeRecorder()
	s := startServer(t, ServerConfig{DisableUDP: true}, rec)
	if _, err := startPublisher(t, publishURL(s, "udp"), gortsplib.TransportUDP); statusCode(err) != 461 {
		t.Errorf("UDP publish with UDP off: %v", err)
	}
	checkServerWorks(t, s, rec, "tcp")
}

func TestServerAuthenticate(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []AuthRequest
	rec := newFakeRecorder()
	s := startServer(t, ServerConfig{Authenticate: func(req AuthRequest) error {
		mu.Lock()
		seen = append(seen, req)
		mu.Unlock()
		if req.Stream == "cam" && req.Action == ActionPublish && req.Verify("pub", "s3cret!") {
			return nil
		}
		return errors.New("bad credentials")
	}}, rec)
	last := func() AuthRequest {
		mu.Lock()
		defer mu.Unlock()
		return seen[len(seen)-1]
	}
	url := "rtsp://pub:s3cret%21@" + s.Addr().String() + "/cam"

	// no credentials: 401 with a Basic and a Digest challenge
	res := dialRaw(t, s).do("ANNOUNCE", "rtsp://"+s.Addr().String()+"/cam", sdpHeader, sdp(sdpH264))
	challenge := strings.Join(res.Header["WWW-Authenticate"], " | ")
	if res.StatusCode != 401 || !strings.Contains(challenge, "Basic") || !strings.Contains(challenge, `nonce="`) || strings.Contains(challenge, `nonce=""`) {
		t.Errorf("no credentials: %d, challenge %q", res.StatusCode, challenge)
	}

	// Basic: the hook sees the password
	basic := map[string]string{"Content-Type": "application/sdp", "Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("pub:s3cret!"))}
	if res := dialRaw(t, s).do("ANNOUNCE", "rtsp://"+s.Addr().String()+"/cam", basic, sdp(sdpH264)); res.StatusCode != 200 {
		t.Errorf("Basic: %d %s", res.StatusCode, res.StatusMessage)
	}
	if r := last(); r.User != "pub" || r.Pass != "s3cret!" || r.Remote == "" || r.Action != ActionPublish || r.Stream != "cam" {
		t.Errorf("Basic request: %+v", r)
	}

	// gortsplib's client answers the Digest challenge
	p, err := startPublisher(t, url, gortsplib.TransportTCP)
	if err != nil {
		t.Fatalf("Digest: %v", err)
	}
	sess := rec.waitOpen(t, 2*time.Second)
	p.c.Close()
	sess.waitClosed(t, 2*time.Second)
	if r := last(); r.User != "pub" || r.Pass != "" {
		t.Errorf("Digest request: %+v", r)
	}

	// so does ffmpeg
	requireTool(t, "/usr/bin/ffmpeg")
	ff := runFFmpeg(t, 15*time.Second, join(lavfiVideo(testFPS), []string{"-t", "1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "rtsp", "-rtsp_transport", "tcp", url})...)
	if ff.err != nil {
		t.Fatalf("ffmpeg with credentials: %v\n%s", ff.err, ff.stderr)
	}
	rec.waitOpen(t, 2*time.Second).waitClosed(t, 2*time.Second)

	// wrong password
	_, err = startPublisher(t, "rtsp://pub:wrong@"+s.Addr().String()+"/cam", gortsplib.TransportTCP)
	if statusCode(err) != 401 {
		t.Errorf("wrong password: %v", err)
	}
	ff = runFFmpeg(t, 15*time.Second, join(lavfiVideo(testFPS), []string{"-t", "1", "-c:v", "libx264", "-f", "rtsp", "-rtsp_transport", "tcp", "rtsp://pub:wrong@" + s.Addr().String() + "/cam"})...)
	if ff.err == nil || !strings.Contains(ff.stderr, "401") {
		t.Errorf("ffmpeg with a wrong password: %v\n%s", ff.err, ff.stderr)
	}
	if n := len(rec.all()); n != 2 {
		t.Errorf("%d sessions opened, want 2", n)
	}
}

// TestServerCloseEndsSessions closes the server under a publisher: the
// ingest session is closed once and no goroutine is left.
func TestServerCloseEndsSessions(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	rec := newFakeRecorder()
	logger, _ := testLogger(t)
	s := NewServer(ServerConfig{Addr: "127.0.0.1:0", UDPRTPAddr: "127.0.0.1:0", Logger: logger}, rec)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	var pubs []*publisher
	for _, tr := range []gortsplib.Transport{gortsplib.TransportTCP, gortsplib.TransportUDP} {
		p, err := startPublisher(t, publishURL(s, "closing-"+strings.ToLower(tr.String())), tr)
		if err != nil {
			t.Fatal(err)
		}
		pubs = append(pubs, p)
		p.writeAU(syntheticAU(0), 0)
	}
	a, b := rec.waitOpen(t, 2*time.Second), rec.waitOpen(t, 2*time.Second)
	waitFor(t, 2*time.Second, func() bool { return a.count(0) == 1 && b.count(0) == 1 })
	s.Close()
	s.Close()
	for _, sess := range []*fakeSession{a, b} {
		sess.waitClosed(t, time.Second)
		sess.check(t)
	}
	for _, p := range pubs {
		p.c.Close()
	}
	goleak.VerifyNone(t, ignore)
}

// TestServerNTP checks that units carry the producer's wall clock once an
// RTCP sender report maps RTP time to it. (ffmpeg is no good for this: it
// sends its first report before its first RTP packet, which gortsplib
// then ignores, and the next one 5 s later.)
func TestServerNTP(t *testing.T) {
	t.Parallel()
	rec := newFakeRecorder()
	s := startServer(t, ServerConfig{}, rec)
	p, err := startPublisher(t, publishURL(s, "ntp"), gortsplib.TransportTCP)
	if err != nil {
		t.Fatal(err)
	}
	defer p.c.Close()
	sess := rec.waitOpen(t, 2*time.Second)
	for i := range 10 {
		p.writeAU(syntheticAU(i), uint32(i*3600))
	}
	waitFor(t, 2*time.Second, func() bool { return sess.count(0) == 10 })
	ssrc := p.c.Stats().Session.Medias[p.media].Formats[p.media.Formats[0]].LocalSSRC
	wall := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := p.c.WritePacketRTCP(p.media, &rtcp.SenderReport{SSRC: ssrc, NTPTime: ntpTime(wall), RTPTime: 9 * 3600}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // RTCP and RTP go through the same connection; let the report land first
	for i := 10; i < 20; i++ {
		p.writeAU(syntheticAU(i), uint32(i*3600))
	}
	waitFor(t, 2*time.Second, func() bool { return sess.count(0) == 20 })
	units, _ := sess.snapshot()
	for i, u := range units[0] {
		if i < 10 {
			if !u.NTP.IsZero() {
				t.Errorf("unit %d: NTP %v before any sender report", i, u.NTP)
			}
			continue
		}
		want := wall.Add(time.Duration(i-9) * 40 * time.Millisecond)
		if d := u.NTP.Sub(want); d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("unit %d: NTP %v, want %v", i, u.NTP, want)
		}
	}
}

// ntpTime encodes t as a 64-bit NTP timestamp.
func ntpTime(t time.Time) uint64 {
	const ntpEpochOffset = 2208988800 // seconds from 1900 to 1970
	secs := uint64(t.Unix() + ntpEpochOffset)
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return secs<<32 | frac
}

// TestServerReadTimeout checks that a publisher that goes silent, its
// connection still open, is dropped after ReadTimeout.
func TestServerReadTimeout(t *testing.T) {
	t.Parallel()
	rec := newFakeRecorder()
	s := startServer(t, ServerConfig{ReadTimeout: time.Second}, rec)
	for _, tr := range []gortsplib.Transport{gortsplib.TransportTCP, gortsplib.TransportUDP} {
		p, err := startPublisher(t, publishURL(s, "silent"), tr)
		if err != nil {
			t.Fatal(err)
		}
		sess := rec.waitOpen(t, 2*time.Second)
		p.writeAU(syntheticAU(0), 0)
		start := time.Now()
		sess.waitClosed(t, 4*time.Second)
		t.Logf("%s: silent publisher dropped after %v", tr, time.Since(start).Round(10*time.Millisecond))
		p.c.Close()
		sess.check(t)
	}
}
