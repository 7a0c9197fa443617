package auth_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/web/auth"
)

// guardRig serves two guarded routes (read on /watch/{stream}, write on
// /publish/{stream}) plus the login endpoints, with a clock the test moves.
type guardRig struct {
	t   *testing.T
	v   *auth.Verifier
	srv *httptest.Server
	now atomic.Int64 // Unix seconds
}

var (
	gAdmin = auth.Key{ID: "AKIDADMIN", Secret: "admin-secret", Policy: auth.FullAccess()}
	gCam   = auth.Key{ID: "AKIDCAM", Secret: "cam-secret", Policy: auth.Policy{Streams: []string{"cam-*"}, Actions: []string{"read"}}}
)

func newGuardRig(t *testing.T, limit auth.FailureLimit) *guardRig {
	g := &guardRig{t: t}
	g.now.Store(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC).Unix())
	g.v = auth.New(auth.Config{Keys: []auth.Key{gAdmin, gCam}, Logger: quietLogger(), FailureLimit: limit,
		TokenSecret: []byte("token-secret"), Now: func() time.Time { return time.Unix(g.now.Load(), 0) }})
	mux := http.NewServeMux()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok "+auth.KeyID(r.Context())) })
	stream := func(r *http.Request) string { return r.PathValue("stream") }
	mux.Handle("GET /watch/{stream}", g.v.Guard("kinesisvideo:GetMedia", stream, ok))
	mux.Handle("GET /watch/{stream}/t/{token}", g.v.Guard("kinesisvideo:GetMedia", stream, ok))
	mux.Handle("POST /publish/{stream}", g.v.Guard("kinesisvideo:PutMedia", stream, ok))
	mux.HandleFunc("POST /login", g.v.Login(""))
	mux.HandleFunc("GET /session", g.v.Session)
	g.srv = httptest.NewServer(mux)
	t.Cleanup(g.srv.Close)
	return g
}

// call sends a request with an optional bearer token and extra headers
// and returns the status and body.
func (g *guardRig) call(c *http.Client, method, path, bearer string, hdr ...string) (int, string) {
	g.t.Helper()
	r, _ := http.NewRequest(method, g.srv.URL+path, nil)
	if bearer != "" {
		r.Header.Set("Authorization", "Bearer "+bearer)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	if c == nil {
		c = g.srv.Client()
	}
	resp, err := c.Do(r)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (g *guardRig) want(status int, bodyPart string, got int, body string) {
	g.t.Helper()
	if got != status || !strings.Contains(body, bodyPart) {
		g.t.Fatalf("want %d %q, got %d %s", status, bodyPart, got, body)
	}
}

func TestGuardBearerTokens(t *testing.T) {
	g := newGuardRig(t, auth.FailureLimit{Disabled: true})
	admin := auth.DeriveToken(gAdmin.ID, gAdmin.Secret)
	cam := auth.DeriveToken(gCam.ID, gCam.Secret)

	st, body := g.call(nil, "GET", "/watch/cam-1", "")
	g.want(401, "no credentials", st, body)
	st, body = g.call(nil, "GET", "/watch/cam-1", admin)
	g.want(200, "ok AKIDADMIN", st, body)
	st, body = g.call(nil, "GET", "/watch/cam-1", cam)
	g.want(200, "ok AKIDCAM", st, body)
	st, body = g.call(nil, "GET", "/watch/door", cam)
	g.want(403, `door`, st, body)
	st, body = g.call(nil, "POST", "/publish/cam-1", cam) // read-only key
	g.want(403, "kinesisvideo:PutMedia", st, body)
	st, body = g.call(nil, "GET", "/watch/cam-1", auth.DeriveToken(gCam.ID, "wrong"))
	g.want(401, "does not match", st, body)
	st, body = g.call(nil, "GET", "/watch/cam-1", auth.DeriveToken("AKIDNOBODY", "x"))
	g.want(401, "unknown access key", st, body)
	st, body = g.call(nil, "GET", "/watch/cam-1", "garbage")
	g.want(401, "not a Sluice token", st, body)
	st, body = g.call(nil, "GET", "/watch/cam-1", "", "Authorization", "Basic QUtJRDpzZWNyZXQ=")
	g.want(401, "must be Bearer", st, body)

	// A minted token: one stream, one class, until it expires.
	tok, exp, err := g.v.Mint(gAdmin, "cam-1", auth.ClassRead, time.Minute)
	if err != nil || !exp.Equal(time.Unix(g.now.Load(), 0).Add(time.Minute)) {
		t.Fatalf("Mint: %v %v", exp, err)
	}
	st, body = g.call(nil, "GET", "/watch/cam-1", tok)
	g.want(200, "ok AKIDADMIN", st, body)
	st, body = g.call(nil, "GET", "/watch/cam-1/t/"+tok, "") // in the path, as HLS players send it
	g.want(200, "ok AKIDADMIN", st, body)
	st, body = g.call(nil, "GET", "/watch/cam-2", tok)
	g.want(403, `cam-2`, st, body)
	st, body = g.call(nil, "POST", "/publish/cam-1", tok)
	g.want(403, "PutMedia", st, body)
	tampered := tok[:len(tok)-2] + "AA"
	if tampered == tok {
		tampered = tok[:len(tok)-2] + "BB"
	}
	st, body = g.call(nil, "GET", "/watch/cam-1", tampered)
	g.want(401, "bad signature", st, body)
	g.now.Add(61)
	st, body = g.call(nil, "GET", "/watch/cam-1", tok)
	g.want(401, "token expired", st, body)

	// A key cannot grant what it may not do; limits on life and class.
	if _, _, err := g.v.Mint(gCam, "door", auth.ClassRead, time.Minute); err == nil {
		t.Fatal("cam key minted a token for door")
	}
	if _, _, err := g.v.Mint(gCam, "cam-1", auth.ClassWrite, time.Minute); err == nil {
		t.Fatal("read-only key minted a write token")
	}
	if _, _, err := g.v.Mint(gAdmin, "cam-1", auth.ClassAdmin, time.Minute); err == nil {
		t.Fatal("minted an admin token")
	}
	if _, _, err := g.v.Mint(gAdmin, "cam-1", auth.ClassRead, auth.MaxTokenTTL+time.Second); err == nil {
		t.Fatal("minted a token beyond MaxTokenTTL")
	}
	if _, _, err := g.v.Mint(gAdmin, "../x", auth.ClassRead, time.Minute); err == nil {
		t.Fatal("minted a token for a bad stream name")
	}
	// Another server's secret does not verify.
	other := auth.New(auth.Config{Keys: []auth.Key{gAdmin}, TokenSecret: []byte("other"), Logger: quietLogger()})
	foreign, _, _ := other.Mint(gAdmin, "cam-1", auth.ClassRead, time.Hour)
	st, body = g.call(nil, "GET", "/watch/cam-1", foreign)
	g.want(401, "bad signature", st, body)
}

func TestGuardSessionAndCSRF(t *testing.T) {
	g := newGuardRig(t, auth.FailureLimit{Disabled: true})
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	login := func(id, secret string) (int, auth.SessionInfo, *http.Response) {
		resp, err := c.Post(g.srv.URL+"/login", "application/json",
			strings.NewReader(`{"access_key_id":"`+id+`","secret_access_key":"`+secret+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var info auth.SessionInfo
		_ = json.NewDecoder(resp.Body).Decode(&info)
		return resp.StatusCode, info, resp
	}
	if st, _, _ := login(gAdmin.ID, "wrong"); st != 401 {
		t.Fatalf("login with a wrong secret: %d", st)
	}
	if st, _ := g.call(c, "GET", "/session", ""); st != 401 {
		t.Fatalf("session before login: %d", st)
	}
	st, info, resp := login(gCam.ID, gCam.Secret)
	if st != 200 || info.AccessKeyID != gCam.ID || info.CSRFToken == "" {
		t.Fatalf("login: %d %+v", st, info)
	}
	ck := resp.Cookies()[0]
	if ck.Name != auth.SessionCookie || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure {
		t.Fatalf("cookie attributes: %+v", ck)
	}
	st, body := g.call(c, "GET", "/watch/cam-1", "")
	g.want(200, "ok AKIDCAM", st, body)
	st, body = g.call(c, "GET", "/session", "")
	g.want(200, info.CSRFToken, st, body)
	st, body = g.call(c, "GET", "/watch/door", "")
	g.want(403, "door", st, body)

	// State-changing requests need the CSRF token as well as the cookie.
	st, info2, _ := login(gAdmin.ID, gAdmin.Secret)
	if st != 200 {
		t.Fatal(st)
	}
	st, body = g.call(c, "POST", "/publish/cam-1", "")
	g.want(403, "X-CSRF-Token", st, body)
	st, body = g.call(c, "POST", "/publish/cam-1", "", auth.CSRFHeader, info.CSRFToken) // the old session's
	g.want(403, "X-CSRF-Token", st, body)
	st, body = g.call(c, "POST", "/publish/cam-1", "", auth.CSRFHeader, info2.CSRFToken)
	g.want(200, "ok AKIDADMIN", st, body)

	// A forged cookie is refused; the session ends after its TTL.
	jar2, _ := cookiejar.New(nil)
	forged := &http.Client{Jar: jar2}
	st, body = g.call(forged, "GET", "/watch/cam-1", "", "Cookie", auth.SessionCookie+"=ss.eyJrIjoiQUtJREFETUlOIiwiZSI6OTk5OTk5OTk5OX0.AAAA")
	g.want(401, "session cookie: invalid token: bad signature", st, body)
	g.now.Add(int64((12*time.Hour + time.Second).Seconds()))
	st, body = g.call(c, "GET", "/watch/cam-1", "")
	g.want(401, "session cookie: token expired", st, body)
}

func TestGuardFailureLimit(t *testing.T) {
	g := newGuardRig(t, auth.FailureLimit{Max: 3, Window: time.Minute, Block: time.Minute, SlowLogin: 20 * time.Millisecond})
	bad := auth.DeriveToken(gAdmin.ID, "guess")
	for i := 0; i < 3; i++ {
		st, body := g.call(nil, "GET", "/watch/cam-1", bad)
		g.want(401, "does not match", st, body)
	}
	st, body := g.call(nil, "GET", "/watch/cam-1", bad)
	g.want(429, "Too many failed", st, body)
	// Blocked: a MAC cannot be guessed, so the right token is still
	// served.
	st, body = g.call(nil, "GET", "/watch/cam-1", auth.DeriveToken(gAdmin.ID, gAdmin.Secret))
	g.want(200, "ok AKIDADMIN", st, body)
	// The block is of (address, key): another key's owner behind the
	// same address (a TLS proxy) is not refused.
	st, body = g.call(nil, "GET", "/watch/cam-1", auth.DeriveToken(gCam.ID, "guess"))
	g.want(401, "does not match", st, body)
	// The login form of the blocked key: a wrong secret is 429, the right
	// one logs in (after FailureLimit.SlowLogin).
	st, body = g.login(gAdmin.ID, "guess")
	g.want(429, "Too many failed", st, body)
	st, body = g.login(gAdmin.ID, gAdmin.Secret)
	g.want(200, gAdmin.ID, st, body)
	g.now.Add(61)
	st, body = g.call(nil, "GET", "/watch/cam-1", bad)
	g.want(401, "does not match", st, body)
}

// login posts the login form (JSON) and returns the status and body.
func (g *guardRig) login(id, secret string, hdr ...string) (int, string) {
	g.t.Helper()
	r, _ := http.NewRequest("POST", g.srv.URL+"/login", strings.NewReader(`{"access_key_id":"`+id+`","secret_access_key":"`+secret+`"}`))
	r.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := g.srv.Client().Do(r)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestLoginBlockedConcurrent: while an attacker keeps guessing a blocked
// key's secret from the owner's address, the owner still logs in, and
// guesses are taken one at a time.
func TestLoginBlockedConcurrent(t *testing.T) {
	g := newGuardRig(t, auth.FailureLimit{Max: 1, Window: time.Minute, Block: time.Minute, SlowLogin: 5 * time.Millisecond})
	for range 2 {
		g.login(gAdmin.ID, "guess")
	}
	done := make(chan int, 8)
	for range 8 {
		go func() {
			st, _ := g.login(gAdmin.ID, "guess")
			done <- st
		}()
	}
	st, body := g.login(gAdmin.ID, gAdmin.Secret)
	g.want(200, gAdmin.ID, st, body)
	for range 8 {
		if st := <-done; st != 429 {
			t.Errorf("a blocked guess: %d, want 429", st)
		}
	}
}

// TestLoginCSRF: the login takes JSON only, and not from pages of other
// origins (login CSRF).
func TestLoginCSRF(t *testing.T) {
	g := newGuardRig(t, auth.FailureLimit{Disabled: true})
	st, body := g.call(nil, "POST", "/login", "", "Content-Type", "text/plain")
	g.want(415, "application/json", st, body)
	st, body = g.call(nil, "POST", "/login", "", "Content-Type", "application/x-www-form-urlencoded")
	g.want(415, "application/json", st, body)
	st, body = g.login(gAdmin.ID, gAdmin.Secret, "Origin", "https://evil.example")
	g.want(403, "another origin", st, body)
	st, body = g.login(gAdmin.ID, gAdmin.Secret, "Origin", "null")
	g.want(403, "another origin", st, body)
	st, body = g.login(gAdmin.ID, gAdmin.Secret, "Origin", g.srv.URL)
	g.want(200, gAdmin.ID, st, body)
	st, body = g.login(gAdmin.ID, gAdmin.Secret, "Content-Type", "application/json; charset=utf-8")
	g.want(200, gAdmin.ID, st, body)
}

func TestGuardOpen(t *testing.T) {
	v := auth.New(auth.Config{Logger: quietLogger()})
	h := v.Guard("kinesisvideo:PutMedia", nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !auth.Allowed(r.Context(), "kinesisvideo:DeleteStream", "x") {
			t.Error("open: not allowed")
		}
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/", nil))
	if rec.Code != 200 {
		t.Fatalf("open guard: %d", rec.Code)
	}
}

func TestSetKeys(t *testing.T) {
	g := newGuardRig(t, auth.FailureLimit{Disabled: true})
	cam := auth.DeriveToken(gCam.ID, gCam.Secret)
	if err := g.v.SetKeys(nil); err == nil {
		t.Fatal("a reload to no keys (open) was accepted")
	}
	if err := g.v.SetKeys([]auth.Key{gAdmin, gAdmin}); err == nil {
		t.Fatal("a repeated key ID was accepted")
	}
	if err := auth.New(auth.Config{Logger: quietLogger()}).SetKeys([]auth.Key{gAdmin}); err == nil {
		t.Fatal("an open Verifier took keys")
	}
	st, body := g.call(nil, "GET", "/watch/cam-1", cam)
	g.want(200, "ok AKIDCAM", st, body)
	if err := g.v.SetKeys([]auth.Key{gAdmin}); err != nil {
		t.Fatal(err)
	}
	st, body = g.call(nil, "GET", "/watch/cam-1", cam)
	g.want(401, "unknown access key", st, body)
}

// TestAdminOnly: what names every stream (/metrics) needs the admin class
// on all streams; a read key, a stream-scoped admin and a minted token do
// not pass.
func TestAdminOnly(t *testing.T) {
	scoped := auth.Key{ID: "AKIDSCOPED", Secret: "scoped-secret", Policy: auth.Policy{Streams: []string{"cam-*"}, Actions: []string{"admin", "read"}}}
	reader := auth.Key{ID: "AKIDREAD", Secret: "read-secret", Policy: auth.Policy{Streams: []string{"*"}, Actions: []string{"read"}}}
	v := auth.New(auth.Config{Keys: []auth.Key{gAdmin, scoped, reader}, Logger: quietLogger(), FailureLimit: auth.FailureLimit{Disabled: true}})
	h := v.Guard("sluice:GetMetrics", nil, auth.AdminOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	minted, _, err := v.Mint(gAdmin, "cam-1", auth.ClassRead, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, token string
		want        int
	}{
		{"admin", auth.DeriveToken(gAdmin.ID, gAdmin.Secret), 200},
		{"read key", auth.DeriveToken(reader.ID, reader.Secret), 403},
		{"admin of some streams", auth.DeriveToken(scoped.ID, scoped.Secret), 403},
		{"minted token", minted, 403},
	} {
		r := httptest.NewRequest("GET", "/metrics", nil)
		r.Header.Set("Authorization", "Bearer "+tc.token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, w.Code, w.Body, tc.want)
		}
	}
}
