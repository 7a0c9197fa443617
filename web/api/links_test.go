package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/web/auth"
)

// A link is bound to the key that made it and never outlives the
// credential it was made with: a minted token, a UI session.
func TestLinksNeverOutliveTheirCredential(t *testing.T) {
	viewer := auth.Key{ID: "viewer", Secret: "viewer-secret", Policy: auth.Policy{Streams: []string{"cam"}, Actions: []string{"read"}}}
	now := time.Now()
	v := auth.New(auth.Config{Keys: []auth.Key{viewer}, Logger: slog.New(slog.DiscardHandler), TokenSecret: []byte("t"),
		Now: func() time.Time { return now }})
	signer := playback.NewSigner([]byte("k"), nil)
	r := newAuthRig(t, v, signer)
	if _, err := r.lib.Create(bg, fragments.StreamSpec{Name: "cam", RetentionHours: 24}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if s, err := r.lib.Describe(bg, "cam"); err == nil && s.Status == "ACTIVE" {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("stream cam: %+v, %v", s, err)
		}
	}
	minted, mintedExp, err := v.Mint(viewer, "cam", auth.ClassRead, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	login := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/login", strings.NewReader(`{"access_key_id":"viewer","secret_access_key":"viewer-secret"}`))
	req.Header.Set("Content-Type", "application/json")
	v.Login("")(login, req)
	var session auth.SessionInfo
	if err := json.Unmarshal(login.Body.Bytes(), &session); err != nil || len(login.Result().Cookies()) != 1 {
		t.Fatalf("login: %d %s", login.Code, login.Body)
	}
	cookie := login.Result().Cookies()[0]
	week := 7 * 24 * time.Hour

	for _, tc := range []struct {
		name, kind string
		hdr        map[string]string
		want       time.Time // latest expiry
	}{
		{"minted token, clip", "clip", map[string]string{"Authorization": "Bearer " + minted}, mintedExp},
		{"minted token, live HLS", "hls", map[string]string{"Authorization": "Bearer " + minted}, mintedExp},
		{"UI session", "clip", map[string]string{"Cookie": cookie.Name + "=" + cookie.Value, auth.CSRFHeader: session.CSRFToken}, session.Expires},
		{"the key's own token", "clip", map[string]string{"Authorization": "Bearer " + auth.DeriveToken(viewer.ID, viewer.Secret)}, time.Now().Add(week + time.Minute)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"kind":"hls","expires_seconds":604800}`
			if tc.kind == "clip" {
				body = `{"kind":"clip","start":"` + now.Add(-time.Minute).Format(time.RFC3339) + `","end":"` + now.Format(time.RFC3339) + `","expires_seconds":604800}`
			}
			req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/api/v1/streams/cam/links", strings.NewReader(body))
			for k, v := range tc.hdr {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			var out struct {
				URL     string    `json:"url"`
				Expires time.Time `json:"expires"`
			}
			if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &out) != nil {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
			u, _ := url.Parse(out.URL)
			sess, err := signer.Verify(u.Query().Get("SessionToken"))
			if err != nil {
				t.Fatal(err)
			}
			if sess.Key != viewer.ID || sess.Expires.After(tc.want) || !out.Expires.Equal(sess.Expires) {
				t.Fatalf("link of key %q expiring %s (answered %s), want key %s expiring by %s", sess.Key, sess.Expires, out.Expires, viewer.ID, tc.want)
			}
			if tc.kind == "hls" && (sess.Mode != "LIVE" || sess.Since.IsZero()) {
				t.Fatalf("a live link without its bound: %+v", sess)
			}
		})
	}
}
