package rtsp

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/pion/rtp"

	"github.com/sluice-dev/sluice/fragments"
)

// rawConn is a hand-driven RTSP connection.
type rawConn struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
	cseq int
}

func dialRaw(t *testing.T, s *Server) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr().String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, conn: c, br: bufio.NewReader(c)}
}

// do sends a request and returns the response.
func (r *rawConn) do(method, url string, header map[string]string, body string) *base.Response {
	r.t.Helper()
	r.cseq++
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s RTSP/1.0\r\nCSeq: %d\r\n", method, url, r.cseq)
	for k, v := range header {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	if body != "" {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n" + body)
	r.conn.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := r.conn.Write([]byte(b.String())); err != nil {
		r.t.Fatalf("%s: %v", method, err)
	}
	var res base.Response
	if err := res.Unmarshal(r.br); err != nil {
		r.t.Fatalf("%s: reading response: %v", method, err)
	}
	return &res
}

// sdp builds an SDP offer with the given media sections.
func sdp(medias ...string) string {
	s := "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	for i, m := range medias {
		s += m + fmt.Sprintf("a=control:trackID=%d\r\n", i)
	}
	return s
}

const (
	sdpVP8   = "m=video 0 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n"
	sdpKLV   = "m=application 0 RTP/AVP 97\r\na=rtpmap:97 smtpe336m/90000\r\n"
	sdpH264  = "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n"
	sdpMJPEG = "m=video 0 RTP/AVP 26\r\n"
)

var sdpHeader = map[string]string{"Content-Type": "application/sdp"}

func TestServerRefusesBadRequests(t *testing.T) {
	t.Parallel()
	rec := newFakeRecorder()
	s := startServer(t, ServerConfig{}, rec)
	base := "rtsp://" + s.Addr().String()
	for _, tc := range []struct {
		name, method, url, body string
		header                  map[string]string
		code                    int
		msg                     string
	}{
		{"options", "OPTIONS", base + "/x", "", nil, 200, ""},
		{"no usable track", "ANNOUNCE", base + "/cam", sdp(sdpVP8, sdpKLV), sdpHeader, 415, "offered VP8, KLV"},
		{"MJPEG only", "ANNOUNCE", base + "/cam", sdp(sdpMJPEG), sdpHeader, 415, "M-JPEG"},
		{"nested path", "ANNOUNCE", base + "/a/b", sdp(sdpH264), sdpHeader, 400, "invalid stream name"},
		{"empty name", "ANNOUNCE", base + "/", sdp(sdpH264), sdpHeader, 400, "empty stream name"},
		{"dot dot", "ANNOUNCE", base + "/..", sdp(sdpH264), sdpHeader, 400, "invalid stream name"},
		{"long name", "ANNOUNCE", base + "/" + strings.Repeat("a", 257), sdp(sdpH264), sdpHeader, 400, "at most 256"},
		{"bad sdp", "ANNOUNCE", base + "/cam", "hello", sdpHeader, 400, ""},
		{"describe", "DESCRIBE", base + "/cam", "", nil, 501, ""},
		{"play setup", "SETUP", base + "/cam/trackID=0", "", map[string]string{"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1"}, 501, "only accepts publishers"},
	} {
		res := dialRaw(t, s).do(tc.method, tc.url, tc.header, tc.body) // gortsplib closes after some errors
		if int(res.StatusCode) != tc.code || !strings.Contains(res.StatusMessage, tc.msg) {
			t.Errorf("%s: got %d %q, want %d with %q", tc.name, res.StatusCode, res.StatusMessage, tc.code, tc.msg)
		}
	}

	// a publisher that announces, then misbehaves
	c := dialRaw(t, s)
	if res := c.do("ANNOUNCE", base+"/cam", sdpHeader, sdp(sdpH264, sdpVP8)); res.StatusCode != 200 {
		t.Fatalf("ANNOUNCE: %d %s", res.StatusCode, res.StatusMessage)
	}
	res := c.do("SETUP", base+"/cam/trackID=0", map[string]string{"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1;mode=record"}, "")
	if res.StatusCode != 200 {
		t.Fatalf("SETUP: %d %s", res.StatusCode, res.StatusMessage)
	}
	session := map[string]string{"Session": strings.Split(res.Header["Session"][0], ";")[0]}
	if res := c.do("PAUSE", base+"/cam", session, ""); res.StatusCode != 501 {
		t.Errorf("PAUSE: %d %s", res.StatusCode, res.StatusMessage)
	}
	if res := c.do("RECORD", base+"/cam", session, ""); res.StatusCode != 400 {
		t.Errorf("RECORD with a track not set up: %d %s", res.StatusCode, res.StatusMessage)
	} // gortsplib closes the connection after that one

	if n := len(rec.all()); n != 0 {
		t.Errorf("%d sessions opened", n)
	}
	checkServerWorks(t, s, rec, "after-bad-requests")
}

func TestServerSurvivesGarbage(t *testing.T) {
	t.Parallel()
	rec := newFakeRecorder()
	s := startServer(t, ServerConfig{}, rec)
	noise := make([]byte, 64<<10)
	rand.Read(noise)
	var wg sync.WaitGroup
	for _, garbage := range [][]byte{
		noise,
		[]byte("GARBAGE\r\n\r\n"),
		[]byte("OPTIONS * RTSP/1.0\r\n\r\n"), // no CSeq
		[]byte("ANNOUNCE rtsp://x/cam RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 99999999\r\n\r\nshort"),
		append([]byte("$\x00\xff\xff"), noise[:1000]...), // interleaved frame outside a session
		[]byte("SETUP rtsp://x/cam RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP;unicast;client_port=0-1\r\n\r\n"),
		[]byte(strings.Repeat("X-Header: y\r\n", 10000)),
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", s.Addr().String())
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(time.Second))
			conn.Write(garbage)
			var buf [4096]byte
			for { // read until the server answers and closes, or the deadline
				if _, err := conn.Read(buf[:]); err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	checkServerWorks(t, s, rec, "after-garbage")
}

// checkServerWorks publishes a few frames to stream and checks that they
// are recorded.
func checkServerWorks(t *testing.T, s *Server, rec *fakeRecorder, stream string) {
	t.Helper()
	p, err := startPublisher(t, publishURL(s, stream), gortsplib.TransportTCP)
	if err != nil {
		t.Fatalf("server no longer works: %v", err)
	}
	sess := rec.waitOpen(t, 2*time.Second)
	for i := range 11 {
		p.writeAU(syntheticAU(i), uint32(i*3600))
	}
	waitFor(t, 2*time.Second, func() bool { return sess.count(0) >= 10 })
	p.c.Close()
	sess.waitClosed(t, 2*time.Second)
	sess.check(t)
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestServerSurvivesBadRTP(t *testing.T) {
	t.Parallel()
	for _, transport := range []gortsplib.Transport{gortsplib.TransportTCP, gortsplib.TransportUDP} {
		t.Run(transport.String(), func(t *testing.T) {
			rec := newFakeRecorder()
			logger, logs := testLogger(t)
			s := startServer(t, ServerConfig{Logger: logger}, rec)
			p, err := startPublisher(t, publishURL(s, "bad-rtp"), transport)
			if err != nil {
				t.Fatal(err)
			}
			defer p.c.Close()
			sess := rec.waitOpen(t, 2*time.Second)
			ts := uint32(0)
			for i := range 10 {
				p.writeAU(syntheticAU(i), ts)
				ts += 3600
			}
			noise := make([]byte, 3000)
			rand.Read(noise)
			idr := syntheticAU(0)[2]
			bad := []*rtp.Packet{
				{Header: rtp.Header{Marker: true, Timestamp: ts}, Payload: []byte{}},                                   // empty
				{Header: rtp.Header{Marker: true, Timestamp: ts}, Payload: []byte{0x1c}},                               // FU-A without its header
				{Header: rtp.Header{Marker: true, Timestamp: ts}, Payload: []byte{0x1c, 0x05, 1, 2, 3}},                // FU-A middle without start
				{Header: rtp.Header{Marker: false, Timestamp: ts}, Payload: append([]byte{0x1c, 0x85}, idr[1:500]...)}, // FU-A start...
				{Header: rtp.Header{Marker: true, Timestamp: ts + 3600}, Payload: append([]byte{0x41}, noise[:50]...)}, // ...never ended
				{Header: rtp.Header{Marker: true, Timestamp: ts}, Payload: []byte{0x18, 0xff, 0xff, 0x67}},             // STAP-A, bad length
				{Header: rtp.Header{Marker: true, Timestamp: ts}, Payload: []byte{0x1e, 1, 2, 3}},                      // reserved type 30
				{Header: rtp.Header{Marker: true, Timestamp: ts}, Payload: []byte{0x1a, 1, 2, 3}},                      // MTAP (unsupported)
			}
			for i := range 20 {
				bad = append(bad, &rtp.Packet{Header: rtp.Header{Marker: i%3 == 0, Timestamp: ts + uint32(i)}, Payload: noise[i*100 : i*100+50+i]})
			}
			for _, pkt := range bad {
				p.write(pkt)
			}
			ts += 2 * 3600
			// a lost packet in the middle of a fragmented keyframe
			pkts, err := p.enc.Encode(syntheticAU(0))
			if err != nil {
				t.Fatal(err)
			}
			for i, pkt := range pkts {
				pkt.Timestamp = ts
				if i == 2 {
					p.seq++ // lost
					continue
				}
				p.write(pkt)
			}
			ts += 3600
			// then good access units, paced, and more of them than UDP's
			// reorder buffer (64 packets) holds while it waits for the lost one
			for i := 20; i < 200; i++ {
				p.writeAU(syntheticAU(i), ts)
				ts += 3600
				time.Sleep(time.Millisecond)
			}
			waitFor(t, 3*time.Second, func() bool {
				units, _ := sess.snapshot()
				return containsAU(units[0], syntheticAU(119)) && containsAU(units[0], syntheticAU(20))
			})
			units, _ := sess.snapshot()
			if testing.Verbose() {
				for i, u := range units[0] {
					t.Logf("unit %d: pts %d NAL types %v", i, u.PTS, h264Types(u.Data))
				}
			}
			for i := 0; i < 10; i++ {
				if !equalAU(units[0][i].Data, syntheticAU(i)) {
					t.Errorf("unit %d differs from what was sent", i)
				}
			}
			p.c.Close()
			sess.waitClosed(t, 12*time.Second)
			sess.check(t)
			if !strings.Contains(logs.String(), "undecodable packet") {
				t.Errorf("no decode error logged")
			}
		})
	}
}

func containsAU(units []fragments.Unit, au [][]byte) bool {
	for _, u := range units {
		if equalAU(u.Data, au) {
			return true
		}
	}
	return false
}

func equalAU(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// TestServerPublisherKilled kills ffmpeg (SIGKILL, no TEARDOWN) while
// another publisher goes on: the killed one's session is closed, the
// other one is unaffected.
func TestServerPublisherKilled(t *testing.T) {
	t.Parallel()
	for _, transport := range []string{"tcp", "udp"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			ffmpeg := requireTool(t, "/usr/bin/ffmpeg")
			rec := newFakeRecorder()
			// UDP has no connection to lose: the read timeout ends it
			s := startServer(t, ServerConfig{ReadTimeout: 2 * time.Second}, rec)
			start := func(stream string, seconds int) *exec.Cmd {
				cmd := exec.Command(ffmpeg, join([]string{"-hide_banner", "-nostdin", "-loglevel", "error"}, lavfiVideo(testFPS),
					[]string{"-t", fmt.Sprint(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
						"-f", "rtsp", "-rtsp_transport", transport, publishURL(s, stream)})...)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
				return cmd
			}
			victim := start("victim", 20)
			a := rec.waitOpen(t, 5*time.Second)
			other := start("other", 6)
			b := rec.waitOpen(t, 5*time.Second)
			if a.stream != "victim" {
				a, b = b, a
			}
			waitFor(t, 5*time.Second, func() bool { return a.count(0) > 10 && b.count(0) > 10 })
			if err := victim.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			victim.Wait()
			killed := time.Now()
			a.waitClosed(t, 5*time.Second)
			t.Logf("%s: session closed %v after SIGKILL", transport, time.Since(killed).Round(time.Millisecond))
			before := b.count(0)
			waitFor(t, 3*time.Second, func() bool { return b.count(0) > before+10 })
			if _, closes := b.snapshot(); closes != 0 {
				t.Errorf("the other session was closed")
			}
			if err := other.Wait(); err != nil {
				t.Errorf("other ffmpeg: %v", err)
			}
			b.waitClosed(t, 3*time.Second)
			a.check(t)
			b.check(t)
		})
	}
}
