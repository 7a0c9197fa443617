package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAPICORS: preflights from the configured origins are answered
// without reaching the API (no authentication); their requests get the
// Access-Control headers and pass an open server's cross-site guard;
// other origins get nothing and are refused, as before.
func TestAPICORS(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{$}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "kds") })
	mux.HandleFunc("POST /getMedia", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "kvs") })
	mux.HandleFunc("POST /api/v1/cameras", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "api") })
	c := newAPICORS([]string{"http://app.example:3000", "HTTPS://Other.Example"}, []string{"/getMedia"}, mux)
	g := newOpenGuard("http://127.0.0.1:8080", false, slog.New(slog.DiscardHandler), c)
	g.allowOrigin = c.allows
	any := newAPICORS([]string{"*"}, nil, mux)
	for _, tc := range []struct {
		name    string
		h       http.Handler
		method  string
		path    string
		hdr     []string
		status  int
		acao    string // Access-Control-Allow-Origin wanted ("" none)
		allowed string // Access-Control-Allow-Headers wanted
	}{
		{"preflight KDS", g, "OPTIONS", "/", []string{"Origin", "http://app.example:3000", "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "authorization,content-type,x-amz-date,x-amz-target,amz-sdk-invocation-id"}, 204, "http://app.example:3000",
			"authorization,content-type,x-amz-date,x-amz-target,amz-sdk-invocation-id"},
		{"preflight KVS path, origin case", g, "OPTIONS", "/getMedia", []string{"Origin", "https://other.example", "Access-Control-Request-Method", "POST"}, 204, "https://other.example", ""},
		{"preflight from another origin", g, "OPTIONS", "/", []string{"Origin", "http://evil.example", "Access-Control-Request-Method", "POST"}, 405, "", ""},
		{"preflight of a non-API path", g, "OPTIONS", "/api/v1/cameras", []string{"Origin", "http://app.example:3000", "Access-Control-Request-Method", "POST"}, 405, "", ""},
		{"KDS call", g, "POST", "/", []string{"Origin", "http://app.example:3000", "Content-Type", "application/x-amz-json-1.1"}, 200, "http://app.example:3000", ""},
		{"KDS call from another origin", g, "POST", "/", []string{"Origin", "http://evil.example", "Content-Type", "application/x-amz-json-1.1"}, 403, "", ""},
		{"the API of Sluice is not opened", g, "POST", "/api/v1/cameras", []string{"Origin", "http://app.example:3000", "Content-Type", "application/json"}, 200, "", ""},
		{"SDK without Origin", g, "POST", "/", []string{"Content-Type", "application/x-amz-json-1.1"}, 200, "", ""},
		{"any origin", any, "OPTIONS", "/", []string{"Origin", "http://whoever.example", "Access-Control-Request-Method", "POST"}, 204, "http://whoever.example", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "http://127.0.0.1:8080"+tc.path, strings.NewReader("{}"))
			for i := 0; i < len(tc.hdr); i += 2 {
				r.Header.Set(tc.hdr[i], tc.hdr[i+1])
			}
			w := httptest.NewRecorder()
			tc.h.ServeHTTP(w, r)
			h := w.Result().Header
			if w.Code != tc.status || h.Get("Access-Control-Allow-Origin") != tc.acao || h.Get("Access-Control-Allow-Headers") != tc.allowed {
				t.Fatalf("%d, Allow-Origin %q, Allow-Headers %q; want %d, %q, %q (body %q)", w.Code, h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Headers"),
					tc.status, tc.acao, tc.allowed, w.Body.String())
			}
			if tc.acao != "" && tc.method == "POST" && !strings.Contains(h.Get("Access-Control-Expose-Headers"), "x-amzn-RequestId") {
				t.Fatalf("exposed headers %q", h.Get("Access-Control-Expose-Headers"))
			}
		})
	}
	for _, o := range []string{"*", "http://a.example", "https://a.example:8443", "https://a.example/"} {
		if err := CheckOrigin(o); err != nil {
			t.Errorf("CheckOrigin(%q): %v", o, err)
		}
	}
	for _, o := range []string{"", "a.example", "ftp://a.example", "https://a.example/path", "https://u@a.example", "https://a.example?x=1", "https://"} {
		if CheckOrigin(o) == nil {
			t.Errorf("CheckOrigin(%q) accepted", o)
		}
	}
}
