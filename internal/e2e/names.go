package e2e

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// HostileNames would reach outside their stream if used as paths: every
// one contains "evil", so any file or directory named after one is found.
var HostileNames = []string{
	"../evil", "../../evil", "..\\evil", "evil/../../x", "a/../../../evil", "/evil", "evil/",
	"evil\x00.mp4", "evil\n", "evil\r\nX-Injected: 1", "\u202eevil", "evil\u200b",
	"%2e%2e%2fevil", strings.Repeat("evil", 70), ".", "..", "evil\\..\\..",
}

func Post(t *testing.T, u, contentType, body string) int {
	t.Helper()
	resp, err := http.Post(u, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Announce sends one RTSP ANNOUNCE of an H.264 track for path (already
// escaped) and returns the status code.
func Announce(t *testing.T, host, path string) int {
	t.Helper()
	c, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	sdp := "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=0\r\n"
	fmt.Fprintf(c, "ANNOUNCE rtsp://%s/%s RTSP/1.0\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s", host, path, len(sdp), sdp)
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return 0 // the server closed the connection: refused
	}
	var code int
	if _, err := fmt.Sscanf(line, "RTSP/1.0 %d", &code); err != nil {
		t.Fatalf("RTSP answer %q", line)
	}
	return code
}
