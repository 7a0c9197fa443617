package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
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
	key, c, err := v.unseal(sessionPrefix, purposeSession, value)
	if err != nil {
		return Key{}, time.Time{}, fmt.Errorf("session cookie: %w; log in again", err)
	}
	return key, time.Unix(c.Expires, 0), nil
}

// cookie is the session cookie with value, living maxAge seconds (-1:
// delete it).
func (v *Verifier) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: SessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: v.cfg.SecureCookies || r.TLS != nil, SameSite: http.SameSiteStrictMode}
}

// csrf is the CSRF token of a session cookie value.
func (v *Verifier) csrf(cookie string) string { return v.mac(purposeCSRF, cookie) }

// Login returns the handler of POST /api/v1/login for a server reached at
// publicURL (its base URL; "" for none): a JSON body {"access_key_id",
// "secret_access_key"}; on success it sets the session cookie and answers
// SessionInfo. A content type other than application/json is 415, and an
// Origin other than the server's own (SameOrigin) is 403: a cross-site
// form cannot log a browser into another key (login CSRF). Wrong
// credentials are 401 and count towards the failure limit of the
// (address, key ID); once that is blocked, each attempt for the key from
// the address waits FailureLimit.SlowLogin, one at a time, and then a
// right secret logs in while a wrong one is 429 with Retry-After.
func (v *Verifier) Login(publicURL string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			writeError(w, http.StatusUnsupportedMediaType, "the login takes Content-Type: application/json")
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" && !SameOrigin(origin, r, publicURL) {
			v.log.Info("login refused", "remote", r.RemoteAddr, "origin", truncate(origin, 256), "reason", "foreign origin")
			writeError(w, http.StatusForbidden, "a login from a page of another origin is refused")
			return
		}
		if v.Open() {
			writeJSON(w, http.StatusOK, SessionInfo{Open: true})
			return
		}
		v.login(w, r)
	}
}

func (v *Verifier) login(w http.ResponseWriter, r *http.Request) {
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
	if blocked, _ := v.lim.blockedKey(r.RemoteAddr, in.ID); blocked {
		release, err := v.lim.slowLogin(r.Context(), r.RemoteAddr, in.ID)
		if err != nil {
			return // the client left
		}
		defer release()
		if _, ok := v.Authenticate(in.ID, in.Secret); !ok {
			_, until := v.lim.failKey(r.RemoteAddr, in.ID)
			v.log.Info("request refused", "action", "login", "key", truncate(in.ID, 128), "remote", r.RemoteAddr, "reason", "blocked")
			v.tooMany(w, until)
			return
		}
	}
	key, ok := v.Authenticate(in.ID, in.Secret)
	if !ok {
		v.refused(w, r, "login", "", in.ID, fmt.Errorf("%w: wrong access key ID or secret", ErrTokenInvalid))
		return
	}
	exp := v.cfg.Now().Add(v.cfg.SessionTTL).Truncate(time.Second)
	value := v.seal(sessionPrefix, purposeSession, claims{Key: key.ID, Expires: exp.Unix()})
	http.SetCookie(w, v.cookie(r, value, int(v.cfg.SessionTTL.Seconds())))
	v.log.Info("ui login", "key", key.ID, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, SessionInfo{AccessKeyID: key.ID, CSRFToken: v.csrf(value), Expires: exp})
}

// Logout serves POST /api/v1/logout: it clears the session cookie. (A
// signed cookie stays valid until it expires if someone kept a copy;
// sessions are short for that reason.)
func (v *Verifier) Logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, v.cookie(r, "", -1))
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
