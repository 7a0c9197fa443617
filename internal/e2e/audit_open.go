package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// AuditCall sends a request with extra headers (name, value pairs; "Host"
// sets the Host header; empty values are not sent) and returns the status
// and body.
func AuditCall(t *testing.T, method, url, body string, hdr ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		switch {
		case hdr[i+1] == "":
		case hdr[i] == "Host":
			req.Host = hdr[i+1]
		default:
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := InsecureClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
