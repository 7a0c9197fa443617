package main

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// hostileNames would reach outside their stream if used as paths: every
// one contains "evil", so any file or directory named after one is found.
var hostileNames = []string{
	"../evil", "../../evil", "..\\evil", "evil/../../x", "a/../../../evil", "/evil", "evil/",
	"evil\x00.mp4", "evil\n", "evil\r\nX-Injected: 1", "\u202eevil", "evil\u200b",
	"%2e%2e%2fevil", strings.Repeat("evil", 70), ".", "..", "evil\\..\\..",
}

// TestHostileNames sends stream names built to escape the archive through
// every door that takes one (the KVS and KDS APIs, Sluice's API, RTSP
// ANNOUNCE, WHIP, WHEP, /hls/) and checks that each is refused and that
// nothing was created outside the data directory, nor anything named
// after them inside it.
func TestHostileNames(t *testing.T) {
	parent := t.TempDir()
	data := filepath.Join(parent, "data")
	srv := startServer(t, data)
	kc := kinesisClient(srv.url)
	rtspHost := strings.TrimPrefix(srv.rtsp, "rtsp://")

	for _, name := range hostileNames {
		q := fmt.Sprintf("%.24q", name)
		_, err := kc.CreateStream(context.Background(), &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(1)})
		if err == nil {
			t.Errorf("KDS CreateStream %s succeeded", q)
		}
		if st := post(t, srv.url+"/createStream", "application/json", fmt.Sprintf(`{"StreamName":%q,"DataRetentionInHours":24}`, name)); st < 400 || st >= 500 {
			t.Errorf("KVS createStream %s: %d", q, st)
		}
		if st := post(t, srv.url+"/api/v1/streams", "application/json", fmt.Sprintf(`{"name":%q}`, name)); st != 400 {
			t.Errorf("POST /api/v1/streams %s: %d", q, st)
		}
		esc := url.PathEscape(name)
		for _, p := range []string{"/whip/", "/whep/"} {
			if st := post(t, srv.url+p+esc, "application/sdp", "v=0\r\n"); st < 400 || st >= 500 {
				t.Errorf("POST %s%s: %d", p, q, st)
			}
		}
		if st, _ := httpGet(t, srv.url+"/hls/"+esc+"/index.m3u8"); st < 400 || st >= 500 {
			t.Errorf("GET /hls/%s/index.m3u8: %d", q, st)
		}
		if st := announce(t, rtspHost, esc); st < 400 || st >= 500 {
			t.Errorf("RTSP ANNOUNCE %s: %d", q, st)
		}
	}

	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "data" {
		t.Fatalf("created beside the data directory: %v", entries)
	}
	err = filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.Contains(strings.ToLower(d.Name()), "evil") {
			t.Errorf("created %s", path)
		}
		if d.Type()&fs.ModeSymlink != 0 {
			t.Errorf("symlink %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := httpGet(t, srv.url+"/healthz"); st != 200 {
		t.Fatalf("healthz after the hostile names: %d", st)
	}
}

func post(t *testing.T, u, contentType, body string) int {
	t.Helper()
	resp, err := http.Post(u, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// announce sends one RTSP ANNOUNCE of an H.264 track for path (already
// escaped) and returns the status code.
func announce(t *testing.T, host, path string) int {
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
