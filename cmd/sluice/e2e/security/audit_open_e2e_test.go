package security

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/sluice-dev/sluice/internal/e2e"
)

// TestAuditOpen replays the proving requests of issue 11 against an open
// server (no access keys) and shows them refused: a web page's cross-site
// camera (SSRF), DNS rebinding, a camera outside --outbound-allow, a
// camera password in the query string, world-readable archive files. The
// AWS SDK and CLI keep working.
func TestAuditOpen(t *testing.T) {
	e2e.RequireFFmpeg(t)
	e2e.RequireTool(t, e2e.AWSCLI)
	dataDir := filepath.Join(t.TempDir(), "data")
	srv := e2e.StartServer(t, dataDir)
	host := strings.TrimPrefix(srv.URL, "http://")

	// Finding 5: a text/plain POST from a foreign page adds no camera.
	st, body := e2e.AuditCall(t, "POST", srv.URL+"/api/v1/cameras", `{"stream":"ssrf","url":"rtsp://127.0.0.1:1/x"}`,
		"Content-Type", "text/plain;charset=UTF-8", "Origin", "http://evil.example")
	if st != http.StatusForbidden || !strings.Contains(body, "Origin") {
		t.Fatalf("cross-site camera: %d %s", st, body)
	}
	st, body = e2e.AuditCall(t, "POST", srv.URL+"/api/v1/cameras", `{"stream":"ssrf","url":"rtsp://127.0.0.1:1/x"}`, "Content-Type", "text/plain")
	if st != http.StatusForbidden {
		t.Fatalf("text/plain camera without an Origin: %d %s", st, body)
	}
	if list, raw := e2e.GetCameras(t, srv); len(list.Cameras) != 0 {
		t.Fatalf("a refused camera was added: %s", raw)
	}

	// Finding 5: a rebinding Host reads and deletes nothing, on any route.
	kc := e2e.KinesisClient(srv.URL)
	ctx := context.Background()
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("audit"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatalf("the SDK in open mode: %v", err)
	}
	e2e.WaitStreamActive(t, kc, "audit")
	rebound := "attacker.example:" + strings.Split(host, ":")[1]
	for _, r := range []struct{ method, path, ctype, body string }{
		{"GET", "/api/v1/cameras", "", ""},
		{"GET", "/ui/", "", ""},
		{"GET", "/metrics", "", ""},
		{"GET", "/hls/audit/index.m3u8", "", ""},
		{"POST", "/", "application/x-amz-json-1.1", `{}`}, // with X-Amz-Target: below
		{"POST", "/listStreams", "application/json", `{}`},
		{"POST", "/whip/audit", "application/sdp", "v=0\r\n"},
	} {
		hdr := []string{"Host", rebound, "Content-Type", r.ctype}
		if r.path == "/" {
			hdr = append(hdr, "X-Amz-Target", "Kinesis_20131202.DeleteStream")
		}
		st, body := e2e.AuditCall(t, r.method, srv.URL+r.path, r.body, hdr...)
		if st != http.StatusForbidden || !strings.Contains(body, "DNS rebinding") {
			t.Fatalf("%s %s with Host %s: %d %s", r.method, r.path, rebound, st, body)
		}
	}
	if st, _ := e2e.AuditCall(t, "GET", srv.URL+"/healthz", "", "Host", rebound); st != http.StatusOK {
		t.Fatalf("healthz with another Host: %d", st)
	}
	if _, err := kc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("audit")}); err != nil {
		t.Fatalf("the stream is gone after the rebinding DeleteStream: %v", err)
	}
	var listed struct{ StreamNames []string }
	e2e.RunAWS(t, srv.URL, &listed, "kinesis", "list-streams")
	if len(listed.StreamNames) != 1 || listed.StreamNames[0] != "audit" {
		t.Fatalf("the AWS CLI in open mode: %+v", listed)
	}

	// Finding 5: a camera outside --outbound-allow (loopback in open mode).
	st, body = e2e.AuditCall(t, "POST", srv.URL+"/api/v1/cameras", `{"stream":"far","url":"rtsp://user:pw@192.0.2.10:554/live"}`, "Content-Type", "application/json")
	if st != http.StatusForbidden || !strings.Contains(body, "outside the allowed outbound networks") || strings.Contains(body, "pw@") {
		t.Fatalf("a camera at 192.0.2.10: %d %s", st, body)
	}

	// Finding 11: a password in the query string is neither listed nor
	// logged (the camera is on loopback, where nothing answers: it
	// fails, and its error is logged).
	const password = "Qpw-77814"
	camURL := fmt.Sprintf("rtsp://127.0.0.1:%d/live?channel=1&password=%s&token=%s", e2e.FreePort(t), password, password+"t")
	st, body = e2e.AuditCall(t, "POST", srv.URL+"/api/v1/cameras", `{"stream":"gate","url":"`+camURL+`","transport":"tcp"}`,
		"Content-Type", "application/json", "Origin", srv.URL)
	if st != http.StatusCreated {
		t.Fatalf("adding a loopback camera from our own origin: %d %s", st, body)
	}
	e2e.WaitCameraState(t, srv, "gate", "backoff")
	list, raw := e2e.GetCameras(t, srv)
	if strings.Contains(raw, password) || len(list.Cameras) != 1 || !strings.Contains(list.Cameras[0].URL, "password=xxxxx") {
		t.Fatalf("the camera list: %s", raw)
	}

	// Finding 13: archived media and the data directory are private.
	if ok, out := e2e.PublishFor(t, srv.RTSP+"/modes", 3); !ok {
		t.Fatalf("publishing: %s", out)
	}
	archive := filepath.Join(dataDir, "archive")
	e2e.WaitFor(t, 20*time.Second, "an archived fragment", func() bool {
		found := false
		filepath.WalkDir(archive, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.Contains(p, "modes") {
				found = true
			}
			return nil
		})
		return found
	})
	files := 0
	err := filepath.WalkDir(dataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || (p != dataDir && p != archive && !strings.HasPrefix(p, archive+string(os.PathSeparator))) {
			return err // the JetStream store has its own modes
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		} else {
			files++
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s is %#o, want %#o", p, info.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil || files == 0 {
		t.Fatalf("walking the archive: %v (%d files)", err, files)
	}

	srv.Stop(t)
	if log := srv.Log.String(); strings.Contains(log, password) || !strings.Contains(log, "gate") {
		t.Fatalf("the server log shows the camera's query password (or nothing of the camera):\n%s", log)
	}
}

// TestAuditKeys replays the proving requests of issue 11 that need access
// keys: login CSRF, a lock-out by failed logins, /metrics for a read key.
func TestAuditKeys(t *testing.T) {
	dir := t.TempDir()
	keys := e2e.WriteKeys(t, dir, `
- id: AKIDADMIN
  secret: admin-secret-1
  streams: ["*"]
  actions: ["*"]
- id: AKIDREADER
  secret: reader-secret-1
  streams: ["*"]
  actions: [read]
`)
	srv := e2e.StartServer(t, filepath.Join(dir, "data"), "--access-keys-file", keys)
	login := func(id, secret string, hdr ...string) (int, string) {
		return e2e.AuditCall(t, "POST", srv.URL+"/api/v1/login", `{"access_key_id":"`+id+`","secret_access_key":"`+secret+`"}`,
			append([]string{"Content-Type", "application/json"}, hdr...)...)
	}

	// Finding 9: a cross-site form cannot log a browser in.
	if st, body := login("AKIDADMIN", "admin-secret-1", "Content-Type", "text/plain"); st != http.StatusUnsupportedMediaType {
		t.Fatalf("text/plain login: %d %s", st, body)
	}
	if st, body := login("AKIDADMIN", "admin-secret-1", "Content-Type", "application/x-www-form-urlencoded", "Origin", "http://evil.example"); st != http.StatusUnsupportedMediaType {
		t.Fatalf("form login: %d %s", st, body)
	}
	if st, body := login("AKIDADMIN", "admin-secret-1", "Origin", "http://evil.example"); st != http.StatusForbidden {
		t.Fatalf("login from another origin: %d %s", st, body)
	}
	if st, body := login("AKIDADMIN", "admin-secret-1", "Origin", srv.URL); st != http.StatusOK {
		t.Fatalf("login from our own origin: %d %s", st, body)
	}

	// Finding 14: failures block (address, key); the right secret still
	// logs in, after a short delay; another key is not blocked at all.
	blocked := false
	for i := 0; i < 20 && !blocked; i++ {
		st, body := login("AKIDADMIN", "wrong-guess")
		switch st {
		case http.StatusTooManyRequests:
			blocked = true
		case http.StatusUnauthorized:
		default:
			t.Fatalf("a wrong login: %d %s", st, body)
		}
	}
	if !blocked {
		t.Fatal("20 wrong logins were not blocked")
	}
	if st, body := login("AKIDADMIN", "wrong-guess"); st != http.StatusTooManyRequests {
		t.Fatalf("a wrong login while blocked: %d %s", st, body)
	}
	start := time.Now()
	if st, body := login("AKIDADMIN", "admin-secret-1"); st != http.StatusOK || !strings.Contains(body, "AKIDADMIN") {
		t.Fatalf("the right secret from a blocked address: %d %s", st, body)
	}
	if took := time.Since(start); took < 900*time.Millisecond {
		t.Errorf("the blocked login was not slowed down (%v)", took)
	}
	if st, body := login("AKIDREADER", "reader-secret-1"); st != http.StatusOK {
		t.Fatalf("another key from the same address: %d %s", st, body)
	}

	// Finding 8: /metrics names every stream: admin only.
	if st, body := e2e.AuditCall(t, "GET", srv.URL+"/metrics", "", "Authorization", "Bearer "+e2e.TokenOf(t, "AKIDREADER:reader-secret-1")); st != http.StatusForbidden {
		t.Fatalf("metrics with a read key: %d %s", st, body)
	}
	if st, body := e2e.AuditCall(t, "GET", srv.URL+"/metrics", "", "Authorization", "Bearer "+e2e.TokenOf(t, "AKIDADMIN:admin-secret-1")); st != http.StatusOK {
		t.Fatalf("metrics with the admin key: %d %.200s", st, body)
	}
}
