package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestOpenGuard replays what a web page in a browser on the same machine
// can send an open server, and what real clients send.
func TestOpenGuard(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	quiet := slog.New(slog.DiscardHandler)
	g := newOpenGuard("http://127.0.0.1:8080", false, quiet, ok)
	lan := newOpenGuard("http://127.0.0.1:8080", true, quiet, ok)
	proxied := newOpenGuard("https://sluice.example", false, quiet, ok)
	for _, tc := range []struct {
		name   string
		g      *openGuard
		method string
		path   string
		host   string
		body   string
		hdr    []string
		want   int
	}{
		// Host: loopback names and addresses only (DNS rebinding).
		{"loopback v4", g, "GET", "/api/v1/cameras", "127.0.0.1:8080", "", nil, 200},
		{"loopback v4 other", g, "GET", "/ui/", "127.9.9.9", "", nil, 200},
		{"localhost", g, "GET", "/ui/", "localhost:8080", "", nil, 200},
		{"sub.localhost", g, "GET", "/ui/", "App.Localhost.:8080", "", nil, 200},
		{"v6 loopback", g, "GET", "/ui/", "[::1]:8080", "", nil, 200},
		{"rebinding name", g, "GET", "/api/v1/cameras", "attacker.example:8080", "", nil, 403},
		{"rebinding localhost suffix", g, "GET", "/", "localhost.attacker.example", "", nil, 403},
		{"lan address", g, "GET", "/", "192.168.1.5:8080", "", nil, 403},
		{"lan address, open to a network", lan, "GET", "/", "192.168.1.5:8080", "", nil, 200},
		{"name, open to a network", lan, "GET", "/", "nas.example:8080", "", nil, 403},
		{"public URL host", proxied, "GET", "/", "sluice.example", "", nil, 200},
		{"no host", g, "GET", "/", "", "", nil, 403},
		{"rebinding KDS", g, "POST", "/", "attacker.example", "{}", []string{"Content-Type", "application/x-amz-json-1.1"}, 403},
		{"healthz", g, "GET", "/healthz", "attacker.example", "", nil, 200},
		{"readyz", g, "GET", "/readyz", "attacker.example", "", nil, 200},
		// State-changing requests: simple content types need our Origin.
		{"text/plain cross-site camera", g, "POST", "/api/v1/cameras", "127.0.0.1:8080", `{"stream":"x"}`, []string{"Content-Type", "text/plain", "Origin", "http://evil.example"}, 403},
		{"text/plain, no Origin", g, "POST", "/api/v1/cameras", "127.0.0.1:8080", `{}`, []string{"Content-Type", "text/plain;charset=UTF-8"}, 403},
		{"form", g, "POST", "/api/v1/cameras", "127.0.0.1:8080", `a=b`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 403},
		{"multipart", g, "POST", "/api/v1/cameras", "127.0.0.1:8080", `a`, []string{"Content-Type", "multipart/form-data; boundary=x"}, 403},
		{"no content type with a body", g, "POST", "/api/v1/cameras", "127.0.0.1:8080", `{}`, nil, 403},
		{"json from another origin", g, "POST", "/api/v1/cameras", "127.0.0.1:8080", `{}`, []string{"Content-Type", "application/json", "Origin", "http://localhost:3000"}, 403},
		{"null origin", g, "POST", "/api/v1/cameras", "127.0.0.1:8080", `{}`, []string{"Content-Type", "application/json", "Origin", "null"}, 403},
		{"cross-site fetch metadata", g, "POST", "/api/v1/cameras", "127.0.0.1:8080", `{}`, []string{"Content-Type", "application/json", "Sec-Fetch-Site", "cross-site"}, 403},
		{"foreign origin GET (a player)", g, "GET", "/hls/cam/index.m3u8", "127.0.0.1:8080", "", []string{"Origin", "http://evil.example"}, 200},
		{"foreign origin DELETE", g, "DELETE", "/whip/cam/1", "127.0.0.1:8080", "", []string{"Origin", "http://evil.example"}, 403},
		{"text/plain from our own page", g, "POST", "/api/v1/cameras", "127.0.0.1:8080", `{}`, []string{"Content-Type", "text/plain", "Origin", "http://127.0.0.1:8080"}, 200},
		{"UI fetch", g, "POST", "/api/v1/cameras", "localhost:8080", `{}`, []string{"Content-Type", "application/json", "Origin", "http://localhost:8080", "Sec-Fetch-Site", "same-origin"}, 200},
		{"proxied UI fetch", proxied, "POST", "/api/v1/cameras", "127.0.0.1:8080", `{}`, []string{"Content-Type", "application/json", "Origin", "https://sluice.example"}, 200},
		// Real clients: SDKs and the CLI, ffmpeg's WHIP, a DELETE.
		{"KDS SDK", g, "POST", "/", "127.0.0.1:8080", `{}`, []string{"Content-Type", "application/x-amz-json-1.1"}, 200},
		{"KDS CBOR", g, "POST", "/", "127.0.0.1:8080", `{}`, []string{"Content-Type", "application/x-amz-cbor-1.1"}, 200},
		{"KVS CLI", g, "POST", "/deleteStream", "127.0.0.1:8080", `{}`, []string{"Content-Type", "application/json"}, 200},
		{"WHIP", g, "POST", "/whip/cam", "127.0.0.1:8080", `v=0`, []string{"Content-Type", "application/sdp"}, 200},
		{"WHIP DELETE", g, "DELETE", "/whip/cam/1", "127.0.0.1:8080", ``, nil, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			r.Host = tc.host
			for i := 0; i+1 < len(tc.hdr); i += 2 {
				r.Header.Set(tc.hdr[i], tc.hdr[i+1])
			}
			w := httptest.NewRecorder()
			tc.g.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("%s %s Host %q: %d %s, want %d", tc.method, tc.path, tc.host, w.Code, w.Body, tc.want)
			}
			if w.Code == 403 && !strings.Contains(w.Body.String(), "no access keys") {
				t.Errorf("403 without a reason: %s", w.Body)
			}
		})
	}
}
