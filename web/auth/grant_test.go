package auth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/web/auth"
)

func TestAllowedFollowsKeys(t *testing.T) {
	v := auth.New(auth.Config{Keys: []auth.Key{gAdmin, gCam}, Logger: quietLogger(), TokenSecret: []byte("token-secret")})
	const hls = "kinesisvideo:GetHLSStreamingSessionURL"
	for _, tc := range []struct {
		key, stream string
		want        bool
	}{
		{gCam.ID, "cam-1", true},
		{gCam.ID, "door", false}, // not its stream
		{gAdmin.ID, "door", true},
		{"", "cam-1", false}, // a grant of no key (version 1, open server)
		{"AKIDGONE", "cam-1", false},
	} {
		if got := v.Allowed(tc.key, hls, tc.stream); got != tc.want {
			t.Errorf("Allowed(%q, %q) = %v", tc.key, tc.stream, got)
		}
	}
	if v.Allowed(gCam.ID, "kinesisvideo:PutMedia", "cam-1") {
		t.Error("a read key allowed to write")
	}
	// Removing the key revokes what it minted; a narrower policy too.
	narrower := gCam
	narrower.Policy.Streams = []string{"cam-2"}
	if err := v.SetKeys([]auth.Key{gAdmin, narrower}); err != nil {
		t.Fatal(err)
	}
	if v.Allowed(gCam.ID, hls, "cam-1") || !v.Allowed(gCam.ID, hls, "cam-2") {
		t.Error("Allowed does not follow a changed policy")
	}
	if err := v.SetKeys([]auth.Key{gAdmin}); err != nil {
		t.Fatal(err)
	}
	if v.Allowed(gCam.ID, hls, "cam-2") {
		t.Error("a removed key still allowed")
	}
	// An open server has no keys to check.
	if open := auth.New(auth.Config{Logger: quietLogger()}); !open.Allowed("", hls, "cam-1") {
		t.Error("an open server refused a grant of no key")
	}
}

func TestCredentialExpiry(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	v := auth.New(auth.Config{Keys: []auth.Key{gAdmin, gCam}, Logger: quietLogger(), TokenSecret: []byte("token-secret"),
		SessionTTL: 12 * time.Hour, Now: func() time.Time { return now }})
	minted, exp, err := v.Mint(gCam, "cam-1", auth.ClassRead, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	login := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/login", strings.NewReader(`{"access_key_id":"AKIDCAM","secret_access_key":"cam-secret"}`))
	req.Header.Set("Content-Type", "application/json")
	v.Login("")(login, req)
	cookies := login.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("login: %d %s", login.Code, login.Body)
	}

	bearer := func(tok string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		return r
	}
	inPath := httptest.NewRequest(http.MethodGet, "/", nil)
	inPath.SetPathValue(auth.TokenPathValue, minted)
	withCookie := httptest.NewRequest(http.MethodGet, "/", nil)
	withCookie.AddCookie(cookies[0])
	for _, tc := range []struct {
		name string
		r    *http.Request
		want time.Time
	}{
		{"minted token", bearer(minted), exp},
		{"minted token in the path", inPath, exp},
		{"UI session", withCookie, now.Add(12 * time.Hour)},
		{"derived token: never", bearer(auth.DeriveToken(gCam.ID, gCam.Secret)), time.Time{}},
		{"no credentials", httptest.NewRequest(http.MethodGet, "/", nil), time.Time{}},
	} {
		if got := v.CredentialExpiry(tc.r); !got.Equal(tc.want) {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
