package security

import (
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/sluice-dev/sluice/internal/e2e"
)

// TestHostileNames sends stream names built to escape the archive through
// every door that takes one (the KVS and KDS APIs, Sluice's API, RTSP
// ANNOUNCE, WHIP, WHEP, /hls/) and checks that each is refused and that
// nothing was created outside the data directory, nor anything named
// after them inside it.
func TestHostileNames(t *testing.T) {
	parent := t.TempDir()
	data := filepath.Join(parent, "data")
	srv := e2e.StartServer(t, data)
	kc := e2e.KinesisClient(srv.URL)
	rtspHost := strings.TrimPrefix(srv.RTSP, "rtsp://")

	for _, name := range e2e.HostileNames {
		q := fmt.Sprintf("%.24q", name)
		_, err := kc.CreateStream(context.Background(), &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(1)})
		if err == nil {
			t.Errorf("KDS CreateStream %s succeeded", q)
		}
		if st := e2e.Post(t, srv.URL+"/createStream", "application/json", fmt.Sprintf(`{"StreamName":%q,"DataRetentionInHours":24}`, name)); st < 400 || st >= 500 {
			t.Errorf("KVS createStream %s: %d", q, st)
		}
		if st := e2e.Post(t, srv.URL+"/api/v1/streams", "application/json", fmt.Sprintf(`{"name":%q}`, name)); st != 400 {
			t.Errorf("POST /api/v1/streams %s: %d", q, st)
		}
		esc := url.PathEscape(name)
		for _, p := range []string{"/whip/", "/whep/"} {
			if st := e2e.Post(t, srv.URL+p+esc, "application/sdp", "v=0\r\n"); st < 400 || st >= 500 {
				t.Errorf("POST %s%s: %d", p, q, st)
			}
		}
		if st, _ := e2e.HttpGet(t, srv.URL+"/hls/"+esc+"/index.m3u8"); st < 400 || st >= 500 {
			t.Errorf("GET /hls/%s/index.m3u8: %d", q, st)
		}
		if st := e2e.Announce(t, rtspHost, esc); st < 400 || st >= 500 {
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
	if st, _ := e2e.HttpGet(t, srv.URL+"/healthz"); st != 200 {
		t.Fatalf("healthz after the hostile names: %d", st)
	}
}
