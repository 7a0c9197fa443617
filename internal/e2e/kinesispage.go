package e2e

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// KinesisPage is what kinesis.html reported of the AWS SDK's browser
// build calling a Kinesis endpoint of another origin.
type KinesisPage struct {
	Origin            string   `json:"origin"`
	RequestIDs        []string `json:"requestIds"`
	Data              []string `json:"data"`
	Failed            int      `json:"failed"`
	NotFound          string   `json:"notFound"`
	NotFoundRequestID string   `json:"notFoundRequestId"`
	Errors            []string `json:"errors"`
	Console           []string `json:"console"`
}

// BundleKinesis builds the browser bundle of @aws-sdk/client-kinesis
// (esbuild, from web/browsertest) into dir, as a page's build would.
func BundleKinesis(t *testing.T, dir string) {
	t.Helper()
	for _, f := range []string{"kinesis.html"} {
		b, err := os.ReadFile(filepath.Join(Browsertest, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(filepath.Join("node_modules", ".bin", "esbuild"), "kinesis-entry.mjs", "--bundle", "--format=iife",
		"--global-name=AWSKinesis", "--platform=browser", "--log-level=warning", "--outfile="+filepath.Join(dir, "kinesis.js"))
	cmd.Dir = Browsertest
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("esbuild: %v\n%s", err, out)
	}
}

// ServePage serves dir on a loopback listener of host ("127.0.0.1" or
// "localhost": two origins for the same server) and returns its base URL.
func ServePage(t *testing.T, dir, host string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.FileServer(http.Dir(dir)))
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return "http://" + net.JoinHostPort(host, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
}

// RunKinesisPage opens page (kinesis.html) in headless Chromium against
// endpoint and stream.
func RunKinesisPage(t *testing.T, page, endpoint, stream string) KinesisPage {
	t.Helper()
	cmd := exec.Command("node", "kinesis.mjs", "--page", page, "--endpoint", endpoint, "--stream", stream)
	cmd.Dir = Browsertest
	cmd.Stderr = os.Stderr
	timer := time.AfterFunc(90*time.Second, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kinesis.mjs: %v\n%s", err, out)
	}
	var p KinesisPage
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("kinesis.mjs output: %v\n%s", err, out)
	}
	return p
}
