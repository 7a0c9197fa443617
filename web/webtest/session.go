package webtest

import (
	"net/url"
	"testing"
)

// SessionToken returns the SessionToken parameter of a playback session
// URL or link, failing t when there is none.
func SessionToken(t testing.TB, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil || p.Query().Get("SessionToken") == "" {
		t.Fatalf("not a session URL: %q", u)
	}
	return p.Query().Get("SessionToken")
}
