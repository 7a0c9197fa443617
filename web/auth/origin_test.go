package auth

import (
	"net/http/httptest"
	"testing"
)

func TestSameOrigin(t *testing.T) {
	for _, tc := range []struct {
		host, origin, public string
		want                 bool
	}{
		{"127.0.0.1:8080", "http://127.0.0.1:8080", "", true},
		{"127.0.0.1:8080", "HTTP://127.0.0.1:8080", "", true},
		{"127.0.0.1:8080", "https://127.0.0.1:8080", "", true}, // a TLS proxy on the same port is ours
		{"localhost", "http://localhost:80", "", true},
		{"localhost", "https://localhost", "", true},
		{"localhost:8080", "http://localhost:8081", "", false},
		{"localhost:8080", "http://evil.example", "", false},
		{"localhost:8080", "null", "", false},
		{"localhost:8080", "http://localhost:8080/path", "", false},
		{"127.0.0.1:8080", "https://sluice.example", "https://sluice.example/", true},
		{"127.0.0.1:8080", "https://sluice.example:443", "https://sluice.example", true},
		{"127.0.0.1:8080", "http://sluice.example", "https://sluice.example", false},
		{"", "http://", "", false},
	} {
		r := httptest.NewRequest("POST", "/", nil)
		r.Host = tc.host
		if got := SameOrigin(tc.origin, r, tc.public); got != tc.want {
			t.Errorf("SameOrigin(%q, Host %q, public %q) = %v, want %v", tc.origin, tc.host, tc.public, got, tc.want)
		}
	}
}
