package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// TokenPathValue is the name of the path wildcard Guard reads a bearer
// token from, for URLs that players fetch without headers
// (/hls/{stream}/t/{token}/{file}: relative URIs in the playlists carry
// the token along).
const TokenPathValue = "token"

// Guard protects a door that is not signed with SigV4 (WHIP, WHEP, the
// /hls/ URLs, Sluice's own API). A request is let in with, in this order:
//
//  1. Authorization: Bearer <token> (a derived or minted token);
//  2. a token in the path wildcard TokenPathValue;
//  3. the UI session cookie, plus the CSRF header on state-changing
//     methods.
//
// Then the key's policy must allow action on the request's stream (stream
// returns it, "" for an action on no stream in particular, nil for
// none), and a minted token's grant must cover both. An open Verifier
// lets everything in.
//
// Answers: 401 with WWW-Authenticate: Bearer when credentials are missing,
// invalid or expired (the message says which); 403 when they are good but
// not for this; 429 with Retry-After instead of 401 from an address past
// its failure limit. Good credentials are served even then: tokens and
// cookies are MACs, which cannot be guessed at any rate (as with SigV4).
// Failures are counted per address and the key ID a token names. Bodies
// are JSON {"error": "..."}.
func (v *Verifier) Guard(action string, stream func(*http.Request) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v.Open() {
			next.ServeHTTP(w, r)
			return
		}
		name := ""
		if stream != nil {
			name = stream(r)
		}
		key, grant, err := v.credentials(r)
		if err != nil {
			v.refused(w, r, action, name, attemptedKeyID(r), err)
			return
		}
		if !key.Allows(action, name) || !grant.allows(action, name) {
			what := "stream " + strconv.Quote(truncate(name, 256))
			if name == "" {
				what = "any stream"
			}
			v.log.Info("request refused", "action", action, "key", key.ID, "remote", r.RemoteAddr, "stream", truncate(name, 256), "reason", "policy")
			writeError(w, http.StatusForbidden, fmt.Sprintf("key %s may not perform %s on %s", key.ID, action, what))
			return
		}
		ctx := withKey(r.Context(), key, grant)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// errCSRF: a cookie-authenticated state-changing request without the
// session's CSRF token.
var errCSRF = errors.New("missing or wrong " + CSRFHeader + " header (a state-changing request made with the session cookie must carry the token from /api/v1/session)")

// credentials finds and checks the request's credentials.
func (v *Verifier) credentials(r *http.Request) (Key, Grant, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return Key{}, Grant{}, fmt.Errorf("%w: the Authorization scheme must be Bearer", ErrTokenInvalid)
		}
		return v.Bearer(strings.TrimSpace(token))
	}
	if token := r.PathValue(TokenPathValue); token != "" {
		return v.Bearer(token)
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return Key{}, Grant{}, errNoCredentials
	}
	key, _, err := v.session(c.Value)
	if err != nil {
		return Key{}, Grant{}, err
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		if !macEqual(r.Header.Get(CSRFHeader), v.csrf(c.Value)) {
			return Key{}, Grant{}, errCSRF
		}
	}
	return key, Grant{}, nil
}

// attemptedKeyID is the key ID a request's bearer token names (a derived
// token's; "" for others): failures are counted per address and key.
func attemptedKeyID(r *http.Request) string {
	token := r.PathValue(TokenPathValue)
	if h := r.Header.Get("Authorization"); h != "" {
		_, token, _ = strings.Cut(h, " ")
		token = strings.TrimSpace(token)
	}
	if rest, ok := strings.CutPrefix(token, derivedPrefix); ok {
		if i := strings.LastIndexByte(rest, '.'); i > 0 {
			return truncate(rest[:i], 128)
		}
	}
	return ""
}

// refused answers a request whose credentials failed, counting the
// failure against the address and the key ID tried (a missing credential
// does not count).
func (v *Verifier) refused(w http.ResponseWriter, r *http.Request, action, stream, keyID string, err error) {
	if errors.Is(err, errCSRF) {
		v.log.Info("request refused", "action", action, "remote", r.RemoteAddr, "reason", "csrf")
		writeError(w, http.StatusForbidden, err.Error())
		return
	}
	if !errors.Is(err, errNoCredentials) {
		if blocked, until := v.lim.failKey(r.RemoteAddr, keyID); blocked {
			v.tooMany(w, until)
			return
		}
	}
	v.log.Info("request refused", "action", action, "remote", r.RemoteAddr, "stream", truncate(stream, 256), "reason", err.Error())
	w.Header().Set("WWW-Authenticate", `Bearer realm="sluice"`)
	writeError(w, http.StatusUnauthorized, err.Error())
}

// tooMany answers 429 until the address's block ends.
func (v *Verifier) tooMany(w http.ResponseWriter, until time.Time) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(until.Sub(v.cfg.Now()).Seconds()+0.5))))
	writeError(w, http.StatusTooManyRequests, msgThrottled)
}

// grantKey keys the authorized key and grant of a guarded request.
type grantKey struct{}

type authorized struct {
	key   Key
	grant Grant
}

// Allowed reports whether the credentials of the guarded request of ctx
// allow action on stream: handlers use it to filter lists. A context that
// did not pass through Guard's checks (an open Verifier) allows all.
func Allowed(ctx context.Context, action, stream string) bool {
	a, ok := ctx.Value(grantKey{}).(authorized)
	return !ok || a.key.Allows(action, stream) && a.grant.allows(action, stream)
}

// Caller is the key and grant of the guarded request of ctx, if any.
func Caller(ctx context.Context) (Key, Grant, bool) {
	a, ok := ctx.Value(grantKey{}).(authorized)
	return a.key, a.grant, ok
}

// AdminOnly lets a request that Guard let in through only when its key
// holds the admin class on every stream (actions "admin" or "*", streams
// "*") and no minted token narrows it; others are answered 403. It guards
// what names every stream, such as /metrics. A request that did not pass
// through Guard's checks (an open Verifier) passes.
func AdminOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := r.Context().Value(grantKey{}).(authorized)
		if ok && !(a.key.holdsClass(ClassAdmin) && a.key.allStreams() && a.grant.Stream == "" && a.grant.Class == "") {
			writeError(w, http.StatusForbidden, fmt.Sprintf("key %s may not do this: it names every stream, so it needs the admin class on all streams", a.key.ID))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// holdsClass reports whether the key's actions include the class c
// itself (or "*"), not only some actions of it.
func (k Key) holdsClass(c Class) bool {
	for _, p := range k.Policy.Actions {
		if p == "*" || strings.EqualFold(p, string(c)) {
			return true
		}
	}
	return false
}
