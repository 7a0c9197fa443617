package security

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/internal/e2e"
)

// TestDoors runs the binary with access keys and TLS and checks every door
// that is not SigV4: RTSP and RTSPS (ffmpeg with no, wrong, read-only and
// writer credentials), WHIP and WHEP (bearer tokens), the /hls/ URLs
// (minted tokens bound to one stream, expiring), Sluice's API and
// /metrics; and the AWS CLI over HTTPS.
func TestDoors(t *testing.T) {
	e2e.RequireFFmpeg(t)
	dir := t.TempDir()
	keys := e2e.WriteKeys(t, dir, `
- id: AKIDADMIN
  secret: admin-secret-1
  streams: ["*"]
  actions: ["*"]
- id: AKIDREADER
  secret: reader-secret-1
  streams: ["cam-*"]
  actions: [read]
- id: AKIDWRITER
  secret: writer-secret-1
  streams: ["cam-*"]
  actions: [read, write]
`)
	cert, key := e2e.SelfSigned(t, dir)
	rtspsPort := e2e.FreePort(t)
	srv := e2e.StartServer(t, filepath.Join(dir, "data"), "--access-keys-file", keys, "--tls-cert", cert, "--tls-key", key,
		"--rtsps-addr", fmt.Sprintf("127.0.0.1:%d", rtspsPort))
	if !strings.HasPrefix(srv.URL, "https://") {
		t.Fatalf("server URL %s", srv.URL)
	}
	admin, reader, writer := e2e.TokenOf(t, "AKIDADMIN:admin-secret-1"), e2e.TokenOf(t, "AKIDREADER:reader-secret-1"), e2e.TokenOf(t, "AKIDWRITER:writer-secret-1")

	// RTSP: refused without credentials, with a wrong secret, with a
	// read-only key; a writer publishes.
	for _, c := range []struct{ name, userinfo string }{
		{"no credentials", ""}, {"wrong secret", "AKIDWRITER:nope@"}, {"read-only key", "AKIDREADER:reader-secret-1@"},
	} {
		if ok, out := e2e.PublishFor(t, strings.Replace(srv.RTSP, "rtsp://", "rtsp://"+c.userinfo, 1)+"/cam-rtsp", 2); ok {
			t.Fatalf("RTSP publish with %s succeeded: %s", c.name, out)
		}
	}
	live := e2e.Publish(t, e2e.WithUser(srv.RTSP, "AKIDWRITER:writer-secret-1")+"/cam-rtsp", "libx264", "tcp", 30)
	defer live.Process.Kill()
	// RTSPS: the same over TLS.
	if ok, out := e2e.PublishFor(t, fmt.Sprintf("rtsps://AKIDWRITER:writer-secret-1@127.0.0.1:%d/cam-tls", rtspsPort), 5); !ok {
		t.Fatalf("RTSPS publish with the writer key: %s\n%s", out, srv.Log.String())
	}
	if ok, _ := e2e.PublishFor(t, fmt.Sprintf("rtsps://127.0.0.1:%d/cam-tls2", rtspsPort), 2); ok {
		t.Fatal("RTSPS publish without credentials succeeded")
	}

	// Sluice's API: no credentials 401; a key sees only its streams.
	if st, body := e2e.DoorCall(t, "GET", srv.URL+"/api/v1/streams", "", "", ""); st != 401 {
		t.Fatalf("API without credentials: %d %s", st, body)
	}
	if st, body := e2e.DoorCall(t, "POST", srv.URL+"/api/v1/streams", admin, "application/json", `{"name":"other"}`); st != 201 {
		t.Fatalf("admin creates a stream: %d %s", st, body)
	}
	if st, body := e2e.DoorCall(t, "POST", srv.URL+"/api/v1/streams", writer, "application/json", `{"name":"cam-new"}`); st != 403 {
		t.Fatalf("writer creates a stream: %d %s", st, body)
	}
	st, body := e2e.DoorCall(t, "GET", srv.URL+"/api/v1/streams", reader, "", "")
	if st != 200 || !strings.Contains(body, `"cam-tls"`) || strings.Contains(body, `"other"`) {
		t.Fatalf("reader's list: %d %s", st, body)
	}
	var tl struct {
		Ranges []struct{ Start, End time.Time }
	}
	st, body = e2e.DoorCall(t, "GET", srv.URL+"/api/v1/streams/cam-tls/timeline", reader, "", "")
	if err := json.Unmarshal([]byte(body), &tl); st != 200 || err != nil || len(tl.Ranges) == 0 {
		t.Fatalf("RTSPS-published stream's timeline: %d %s", st, body)
	}
	if st, _ := e2e.DoorCall(t, "GET", srv.URL+"/api/v1/streams/other", reader, "", ""); st != 403 {
		t.Fatalf("reader describes another stream: %d", st)
	}
	if st, _ := e2e.DoorCall(t, "GET", srv.URL+"/metrics", "", "", ""); st != 401 {
		t.Fatalf("metrics without credentials: %d", st)
	}
	if st, _ := e2e.DoorCall(t, "GET", srv.URL+"/metrics", admin, "", ""); st != 200 {
		t.Fatalf("metrics with the admin token: %d", st)
	}

	// WHIP and WHEP: 401 without or with a wrong token, 403 for a key
	// without the action; a good token gets past the door (the offer is
	// not a real one, so the endpoint itself answers 400).
	const sdp = "application/sdp"
	for _, c := range []struct {
		path, token string
		want        int
	}{
		{"/whep/cam-rtsp", "", 401},
		{"/whep/cam-rtsp", e2e.TokenOf(t, "AKIDREADER:wrong"), 401},
		{"/whep/cam-rtsp", "st.garbage.garbage", 401},
		{"/whep/other", reader, 403},
		{"/whep/cam-rtsp", reader, 400},
		{"/whip/cam-whip", "", 401},
		{"/whip/cam-whip", reader, 403},
		{"/whip/cam-whip", writer, 400},
	} {
		if st, body := e2e.DoorCall(t, "POST", srv.URL+c.path, c.token, sdp, "not an offer"); st != c.want {
			t.Fatalf("POST %s with token %.12q: %d (want %d) %s", c.path, c.token, st, c.want, body)
		}
	}

	// Minted tokens: one stream, read only, expiring; carried in the path
	// of the /hls/ URLs.
	var minted struct {
		Token, HLS_URL, WHEP_URL string
	}
	st, body = e2e.DoorCall(t, "POST", srv.URL+"/api/v1/tokens", reader, "application/json", `{"stream":"cam-rtsp","access":"read","ttl_seconds":60}`)
	if err := json.Unmarshal([]byte(body), &minted); st != 201 || err != nil || minted.HLS_URL == "" {
		t.Fatalf("minting a token: %d %s", st, body)
	}
	if st, _ := e2e.DoorCall(t, "POST", srv.URL+"/api/v1/tokens", reader, "application/json", `{"stream":"cam-rtsp","access":"write"}`); st != 400 {
		t.Fatalf("a read-only key minted a write token: %d", st)
	}
	if st, _ := e2e.DoorCall(t, "POST", srv.URL+"/api/v1/tokens", minted.Token, "application/json", `{"stream":"cam-rtsp","access":"read"}`); st != 403 {
		t.Fatalf("a minted token minted a token: %d", st)
	}
	e2e.WaitFor(t, 20*time.Second, "the live playlist with the minted token", func() bool {
		st, body := e2e.DoorCall(t, "GET", minted.HLS_URL, "", "", "")
		return st == 200 && strings.Contains(body, "#EXTINF")
	})
	other := strings.Replace(minted.HLS_URL, "/hls/cam-rtsp/", "/hls/cam-tls/", 1)
	if st, body := e2e.DoorCall(t, "GET", other, "", "", ""); st != 403 {
		t.Fatalf("a token of cam-rtsp on cam-tls: %d %s", st, body)
	}
	if st, _ := e2e.DoorCall(t, "GET", srv.URL+"/hls/cam-rtsp/index.m3u8", "", "", ""); st != 401 {
		t.Fatalf("/hls/ without a token: %d", st)
	}
	if st, _ := e2e.DoorCall(t, "POST", srv.URL+"/whip/cam-rtsp", minted.Token, sdp, "x"); st != 403 {
		t.Fatalf("a read token on WHIP: %d", st)
	}
	st, body = e2e.DoorCall(t, "POST", srv.URL+"/api/v1/tokens", admin, "application/json", `{"stream":"cam-rtsp","access":"read","ttl_seconds":1}`)
	if err := json.Unmarshal([]byte(body), &minted); st != 201 || err != nil {
		t.Fatalf("minting a 1 s token: %d %s", st, body)
	}
	time.Sleep(1100 * time.Millisecond)
	if st, body := e2e.DoorCall(t, "GET", minted.HLS_URL, "", "", ""); st != 401 || !strings.Contains(body, "expired") {
		t.Fatalf("an expired token: %d %s", st, body)
	}

	// The UI session over HTTPS: a Secure, HttpOnly, SameSite=Strict
	// cookie; a state-changing request with it needs the CSRF token.
	resp, err := e2e.InsecureClient.Post(srv.URL+"/api/v1/login", "application/json",
		strings.NewReader(`{"access_key_id":"AKIDADMIN","secret_access_key":"admin-secret-1"}`))
	if err != nil {
		t.Fatal(err)
	}
	var sess struct {
		CSRF string `json:"csrf_token"`
	}
	json.NewDecoder(resp.Body).Decode(&sess)
	resp.Body.Close()
	cookies := resp.Cookies()
	if resp.StatusCode != 200 || len(cookies) != 1 || !cookies[0].Secure || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode || sess.CSRF == "" {
		t.Fatalf("login over HTTPS: %d %+v", resp.StatusCode, cookies)
	}
	withCookie := func(csrf string) int {
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/streams", strings.NewReader(`{"name":"cam-ui"}`))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(cookies[0])
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		resp, err := e2e.InsecureClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := withCookie(""); st != 403 {
		t.Fatalf("a cookie-authenticated POST without the CSRF token: %d", st)
	}
	if st := withCookie(sess.CSRF); st != 201 {
		t.Fatalf("a cookie-authenticated POST with the CSRF token: %d", st)
	}

	// The AWS CLI over HTTPS with SigV4.
	e2e.RequireTool(t, e2e.AWSCLI)
	cmd := exec.Command(e2e.AWSCLI, "--endpoint-url", srv.URL, "--no-verify-ssl", "--output", "json", "kinesisvideo", "describe-stream", "--stream-name", "cam-rtsp")
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDREADER", "AWS_SECRET_ACCESS_KEY=reader-secret-1", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "PYTHONWARNINGS=ignore")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), `"StreamName": "cam-rtsp"`) {
		t.Fatalf("aws kinesisvideo describe-stream over HTTPS: %v\n%s", err, out)
	}

	if log := srv.Log.String(); strings.Contains(log, "secret-1") {
		t.Fatalf("a secret is in the log")
	}
}

// TestReloadOnHangup: SIGHUP re-reads the keys file and the TLS
// certificate; a file that does not load leaves the old keys in use.
func TestReloadOnHangup(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys.yaml")
	rewriteKeys := func(body string) {
		if err := os.WriteFile(keys, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rewriteKeys("- {id: AKIDOLD, secret: old-secret-1, streams: ['*'], actions: ['*']}\n")
	cert, key := e2e.SelfSigned(t, dir)
	srv := e2e.StartServer(t, filepath.Join(dir, "data"), "--access-keys-file", keys, "--tls-cert", cert, "--tls-key", key)
	serial := func() string {
		c, err := tls.Dial("tcp", strings.TrimPrefix(srv.URL, "https://"), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	oldTok, newTok := e2e.TokenOf(t, "AKIDOLD:old-secret-1"), e2e.TokenOf(t, "AKIDNEW:new-secret-1")
	status := func(tok string) int {
		st, _ := e2e.DoorCall(t, "GET", srv.URL+"/api/v1/streams", tok, "", "")
		return st
	}
	if status(oldTok) != 200 || status(newTok) != 401 {
		t.Fatalf("before the reload: old key %d, new key %d", status(oldTok), status(newTok))
	}
	before := serial()
	hangup := func(logLine string) {
		t.Helper()
		n := strings.Count(srv.Log.String(), logLine)
		if err := srv.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		e2e.WaitFor(t, 10*time.Second, "the reload's log line", func() bool { return strings.Count(srv.Log.String(), logLine) > n })
	}

	// A keys file that does not parse: logged, the old key still works.
	rewriteKeys("- {id: AKIDNEW, secret: [not a string]}\n")
	hangup("reload failed")
	if status(oldTok) != 200 {
		t.Fatal("a failed reload dropped the old key")
	}

	rewriteKeys("- {id: AKIDNEW, secret: new-secret-1, streams: ['*'], actions: ['*']}\n")
	newDir := t.TempDir()
	newCert, newKey := e2e.SelfSigned(t, newDir)
	for from, to := range map[string]string{newCert: cert, newKey: key} {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	hangup("reloaded")
	if status(oldTok) != 401 || status(newTok) != 200 {
		t.Fatalf("after the reload: old key %d, new key %d", status(oldTok), status(newTok))
	}
	if after := serial(); after == before {
		t.Fatalf("the certificate was not reloaded (serial %s)", after)
	}
}
