package auth

import (
	"crypto/sha256"
	"crypto/subtle"
)

// Authenticate checks an access key ID and secret given in clear (RTSP
// Basic, a login form). The comparison takes the same time whether the ID
// exists or not and whatever the secret's length. It does not count
// failures: callers that face guessing use the address limit (RTSPAuth
// does).
func (v *Verifier) Authenticate(id, secret string) (Key, bool) {
	key, found := v.keySet().Lookup(id)
	want := key.Secret
	if !found {
		want = "\x00not a key\x00"
	}
	a, b := sha256.Sum256([]byte(secret)), sha256.Sum256([]byte(want))
	if subtle.ConstantTimeCompare(a[:], b[:]) != 1 || !found {
		return Key{}, false
	}
	return key, true
}
