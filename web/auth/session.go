package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// The web UI logs in with an access key ID and secret and then holds a
// session cookie:
//
//   - SessionCookie is "ss.<claims>.<mac>", signed with the token secret,
//     HttpOnly, SameSite=Strict, Path=/, Secure when Config.SecureCookies;
//     it expires after Config.SessionTTL and is checked against the key's
//     current policy on every request.
//   - Every state-changing request made with the cookie (any method but
//     GET, HEAD, OPTIONS) must carry CSRFHeader with the session's CSRF
//     token, an HMAC of the cookie that only pages of this origin can
//     learn (from the login answer or GET /api/v1/session, which are not
//     readable cross-origin).
const (
	SessionCookie = "sluice_session"
	CSRFHeader    = "X-CSRF-Token"
	sessionPrefix = "ss."
	maxLoginBody  = 4 << 10
)

// sessionClaims is the signed body of a session cookie.
type sessionClaims struct {
	Key     string `json:"k"`
	Expires int64  `json:"e"` // Unix seconds
}

// SessionInfo is the answer of the login and session endpoints.
type SessionInfo struct {
	// Open: no keys are configured; everyone is let in without login.
	Open bool `json:"open"`
	// AccessKeyID is the logged-in key.
	AccessKeyID string `json:"access_key_id,omitempty"`
	// CSRFToken goes in the X-CSRF-Token header of state-changing requests.
	CSRFToken string    `json:"csrf_token,omitempty"`
	Expires   time.Time `json:"expires,omitzero"`
}

// session checks a session cookie value; it returns the key and the
// cookie's expiry.
func (v *Verifier) session(value string) (Key, time.Time, error) {
	enc, mac, ok := strings.Cut(strings.TrimPrefix(value, sessionPrefix), ".")
	if !strings.HasPrefix(value, sessionPrefix) || !ok || !macEqual(v.mac("session", enc), mac) {
		return Key{}, time.Time{}, fmt.Errorf("%w: the session cookie is not one this server signed (log in again)", ErrTokenInvalid)
	}
	var c sessionClaims
	body, err := b64.DecodeString(enc)
	if err == nil {
		err = json.Unmarshal(body, &c)
	}
	if err != nil {
		return Key{}, time.Time{}, fmt.Errorf("%w: malformed session cookie", ErrTokenInvalid)
	}
	exp := time.Unix(c.Expires, 0)
	if !v.cfg.Now().Before(exp) {
		return Key{}, time.Time{}, fmt.Errorf("%w: the session ended at %s (log in again)", ErrTokenExpired, exp.UTC().Format(time.RFC3339))
	}
	key, found := v.keySet().Lookup(c.Key)
	if !found {
		return Key{}, time.Time{}, fmt.Errorf("%w: the session's access key no longer exists", ErrTokenInvalid)
	}
	return key, exp, nil
}

// csrf is the CSRF token of a session cookie value.
func (v *Verifier) csrf(cookie string) string { return v.mac("csrf", cookie) }

// Login serves POST /api/v1/login: a JSON body {"access_key_id",
// "secret_access_key"}; on success it sets the session cookie and answers
// SessionInfo. Wrong credentials are 401 and count towards the address's
// failure limit (429 with Retry-After once blocked).
func (v *Verifier) Login(w http.ResponseWriter, r *http.Request) {
	if v.Open() {
		writeJSON(w, http.StatusOK, SessionInfo{Open: true})
		return
	}
	if blocked, until := v.lim.blocked(r.RemoteAddr); blocked {
		v.tooMany(w, until)
		return
	}
	var in struct {
		ID     string `json:"access_key_id"`
		Secret string `json:"secret_access_key"`
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxLoginBody))
	if err == nil {
		err = json.Unmarshal(body, &in)
	}
	if err != nil || in.ID == "" || in.Secret == "" {
		writeError(w, http.StatusBadRequest, "the body must be JSON {\"access_key_id\": ..., \"secret_access_key\": ...}")
		return
	}
	key, ok := v.Authenticate(in.ID, in.Secret)
	if !ok {
		v.refused(w, r, "login", "", fmt.Errorf("%w: wrong access key ID or secret", ErrTokenInvalid))
		return
	}
	exp := v.cfg.Now().Add(v.cfg.SessionTTL).Truncate(time.Second)
	claims, _ := json.Marshal(sessionClaims{Key: key.ID, Expires: exp.Unix()})
	enc := b64.EncodeToString(claims)
	value := sessionPrefix + enc + "." + v.mac("session", enc)
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: value, Path: "/", Expires: exp, MaxAge: int(v.cfg.SessionTTL.Seconds()),
		HttpOnly: true, Secure: v.cfg.SecureCookies || r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
	v.log.Info("ui login", "key", key.ID, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, SessionInfo{AccessKeyID: key.ID, CSRFToken: v.csrf(value), Expires: exp})
}

// Logout serves POST /api/v1/logout: it clears the session cookie. (A
// signed cookie stays valid until it expires if someone kept a copy;
// sessions are short for that reason.)
func (v *Verifier) Logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: v.cfg.SecureCookies || r.TLS != nil, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}

// Session serves GET /api/v1/session: SessionInfo for the request's
// cookie, 401 without a valid one (the UI then shows its login form).
func (v *Verifier) Session(w http.ResponseWriter, r *http.Request) {
	if v.Open() {
		writeJSON(w, http.StatusOK, SessionInfo{Open: true})
		return
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		writeError(w, http.StatusUnauthorized, "not logged in")
		return
	}
	key, exp, err := v.session(c.Value)
	if err != nil {
		writeError(w, http.StatusUnauthorized, err.Error())
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, SessionInfo{AccessKeyID: key.ID, CSRFToken: v.csrf(c.Value), Expires: exp})
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers {"error": msg}, the shape of Sluice's own API errors.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// errNoCredentials: a guarded request carried no credentials at all.
var errNoCredentials = errors.New("no credentials: log in, or send Authorization: Bearer <token>")
