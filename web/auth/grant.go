package auth

import (
	"context"
	"net/http"
	"time"
)

// Grants made from a credential (playback session URLs, clip and share
// links) outlive the request that minted them. They carry the minting
// key's ID, which is checked again on every use with Allowed, and expire
// no later than the credential they were minted with (CredentialExpiry).

// Allowed reports whether the access key keyID still exists and its
// current policy allows action on stream. An open Verifier (no keys)
// allows everything; with keys, an unknown or empty keyID allows nothing.
func (v *Verifier) Allowed(keyID, action, stream string) bool {
	if v.Open() {
		return true
	}
	key, found := v.keySet().Lookup(keyID)
	return found && key.Allows(action, stream)
}

// CredentialExpiry is when the credentials of a request that Guard let in
// stop working: a minted token's or UI session's expiry; zero for those
// that do not expire (a key's derived token) and for requests without
// valid credentials. It looks at them in Guard's order.
func (v *Verifier) CredentialExpiry(r *http.Request) time.Time {
	if r.Header.Get("Authorization") != "" || r.PathValue(TokenPathValue) != "" {
		_, grant, err := v.credentials(r)
		if err != nil {
			return time.Time{}
		}
		return grant.Expires
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return time.Time{}
	}
	_, exp, err := v.session(c.Value)
	if err != nil {
		return time.Time{}
	}
	return exp
}

// ActAs returns ctx acting as the access key keyID, limited to class on
// stream (a grant, as of a minted token), for Authorize: the door of a
// capability that a key minted (a clip link) serves it as that key and no
// more. ok is false when the key no longer exists. An open Verifier
// returns ctx unchanged.
func (v *Verifier) ActAs(ctx context.Context, keyID, stream string, class Class) (context.Context, bool) {
	if v.Open() {
		return ctx, true
	}
	key, found := v.keySet().Lookup(keyID)
	if !found {
		return ctx, false
	}
	return withKey(ctx, key, Grant{Stream: stream, Class: class}), true
}
