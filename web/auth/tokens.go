package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Bearer tokens are the credentials of the doors that are not signed with
// SigV4: WHIP, WHEP, the /hls/ URLs and Sluice's own API. There are two
// kinds, told apart by their prefix:
//
//   - "sk.<key ID>.<mac>": a key's derived token, HMAC-SHA256 of a fixed
//     label under the key's secret. It never expires and carries the key's
//     whole policy; it changes only when the secret does. DeriveToken
//     computes it (so does `sluice token`).
//   - "st.<claims>.<mac>": a minted token, for one stream and one access
//     class (read or write), expiring, signed with the server's token
//     secret (Config.TokenSecret). Verifier.Mint issues it for a key that
//     may already do what it grants; it is checked again against the key's
//     current policy when used, so removing the key revokes its tokens.
//
// Both are URL-safe (base64url without padding), so they may travel in a
// URL path where a header cannot be set (an HLS player).
const (
	derivedPrefix = "sk."
	mintedPrefix  = "st."
	derivedLabel  = "sluice bearer token v1"
	// MaxTokenTTL bounds a minted token's life.
	MaxTokenTTL = 7 * 24 * time.Hour
	// DefaultTokenTTL is a minted token's life when none is asked for.
	DefaultTokenTTL = time.Hour
	maxTokenLen     = 2048
)

var b64 = base64.RawURLEncoding

// Errors of bearer tokens; the message of the error wrapping one says why.
var (
	ErrTokenInvalid = errors.New("invalid token")
	ErrTokenExpired = errors.New("token expired")
)

// DeriveToken is the derived bearer token of the key id with secret.
func DeriveToken(id, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(derivedLabel))
	return derivedPrefix + id + "." + b64.EncodeToString(m.Sum(nil))
}

// Grant is what a bearer token allows beyond its key's policy: nothing
// more, only less. A zero Grant (a derived token, a UI session) limits
// nothing.
type Grant struct {
	// Stream is the one stream a minted token is for; "" for any.
	Stream string
	// Class is the one class of actions a minted token allows; "" for any.
	Class Class
	// Expires is when a minted token stops working; zero for never.
	Expires time.Time
}

// allows reports whether the grant covers action on stream.
func (g Grant) allows(action, stream string) bool {
	if g.Stream != "" && g.Stream != stream {
		return false
	}
	return g.Class == "" || classOf(action) == g.Class
}

// Mint issues a token for key limited to one stream and one class, valid
// for ttl (DefaultTokenTTL when 0, at most MaxTokenTTL). The key must
// already allow the class on the stream.
func (v *Verifier) Mint(key Key, stream string, class Class, ttl time.Duration) (string, time.Time, error) {
	if ttl == 0 {
		ttl = DefaultTokenTTL
	}
	if ttl < time.Second || ttl > MaxTokenTTL {
		return "", time.Time{}, fmt.Errorf("a token's life must be between 1s and %s, got %s", MaxTokenTTL, ttl)
	}
	if class != ClassRead && class != ClassWrite {
		return "", time.Time{}, fmt.Errorf("a token grants %q or %q, not %q", ClassRead, ClassWrite, class)
	}
	if err := ValidStreamName(stream); err != nil {
		return "", time.Time{}, err
	}
	if !v.Open() && !key.Allows(representative[class], stream) {
		return "", time.Time{}, fmt.Errorf("key %s may not %s stream %q, so it cannot grant it", key.ID, class, stream)
	}
	exp := v.cfg.Now().Add(ttl).Truncate(time.Second)
	return v.seal(mintedPrefix, purposeToken, claims{Key: key.ID, Stream: stream, Class: class, Expires: exp.Unix()}), exp, nil
}

// representative is the action a key must allow on a stream to mint a
// token of a class for it: what WHEP/HLS (read) and WHIP (write) do.
var representative = map[Class]string{ClassRead: "kinesisvideo:GetMedia", ClassWrite: "kinesisvideo:PutMedia"}

// Bearer checks a bearer token and returns its key and grant. The error
// wraps ErrTokenInvalid or ErrTokenExpired and says why.
func (v *Verifier) Bearer(token string) (Key, Grant, error) {
	if len(token) > maxTokenLen {
		return Key{}, Grant{}, fmt.Errorf("%w: longer than %d bytes", ErrTokenInvalid, maxTokenLen)
	}
	switch {
	case strings.HasPrefix(token, derivedPrefix):
		rest := token[len(derivedPrefix):]
		i := strings.LastIndexByte(rest, '.')
		if i < 0 {
			return Key{}, Grant{}, fmt.Errorf("%w: malformed", ErrTokenInvalid)
		}
		key, found := v.keySet().Lookup(rest[:i])
		if !found {
			return Key{}, Grant{}, fmt.Errorf("%w: unknown access key", ErrTokenInvalid)
		}
		if !macEqual(DeriveToken(key.ID, key.Secret), token) {
			return Key{}, Grant{}, fmt.Errorf("%w: it does not match the key's secret", ErrTokenInvalid)
		}
		return key, Grant{}, nil
	case strings.HasPrefix(token, mintedPrefix):
		key, c, err := v.unseal(mintedPrefix, purposeToken, token)
		if err != nil {
			return Key{}, Grant{}, err
		}
		return key, Grant{Stream: c.Stream, Class: c.Class, Expires: time.Unix(c.Expires, 0)}, nil
	}
	return Key{}, Grant{}, fmt.Errorf("%w: not a Sluice token (they start with %q or %q)", ErrTokenInvalid, derivedPrefix, mintedPrefix)
}
