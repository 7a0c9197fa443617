package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Minted tokens and session cookies are sealed claims:
// "<prefix><base64url JSON claims>.<base64url HMAC-SHA256>", the MAC taken
// under Config.TokenSecret over a purpose and the encoded claims, so that
// a value sealed for one purpose never opens as another.
const (
	purposeToken   = "token"
	purposeSession = "session"
	purposeCSRF    = "csrf"
)

// claims is the signed body of a sealed value.
type claims struct {
	Key     string `json:"k"`
	Stream  string `json:"s,omitempty"` // minted tokens
	Class   Class  `json:"c,omitempty"` // minted tokens
	Expires int64  `json:"e"`           // Unix seconds
}

// seal signs c for purpose.
func (v *Verifier) seal(prefix, purpose string, c claims) string {
	body, _ := json.Marshal(c)
	enc := b64.EncodeToString(body)
	return prefix + enc + "." + v.mac(purpose, enc)
}

// unseal checks a sealed value of purpose: its MAC, its expiry and that
// its key still exists. The error wraps ErrTokenInvalid or
// ErrTokenExpired and says why.
func (v *Verifier) unseal(prefix, purpose, value string) (Key, claims, error) {
	enc, mac, ok := strings.Cut(strings.TrimPrefix(value, prefix), ".")
	if !strings.HasPrefix(value, prefix) || !ok || !macEqual(v.mac(purpose, enc), mac) {
		return Key{}, claims{}, fmt.Errorf("%w: bad signature (altered, or signed by another server)", ErrTokenInvalid)
	}
	var c claims
	body, err := b64.DecodeString(enc)
	if err == nil {
		err = json.Unmarshal(body, &c)
	}
	if err != nil {
		return Key{}, claims{}, fmt.Errorf("%w: malformed", ErrTokenInvalid)
	}
	if exp := time.Unix(c.Expires, 0); !v.cfg.Now().Before(exp) {
		return Key{}, claims{}, fmt.Errorf("%w at %s", ErrTokenExpired, exp.UTC().Format(time.RFC3339))
	}
	key, found := v.keySet().Lookup(c.Key)
	if !found {
		return Key{}, claims{}, fmt.Errorf("%w: its access key no longer exists", ErrTokenInvalid)
	}
	return key, c, nil
}

// mac is the base64url HMAC-SHA256 of purpose and msg under the token
// secret.
func (v *Verifier) mac(purpose, msg string) string {
	m := hmac.New(sha256.New, v.tokenSecret)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(msg))
	return b64.EncodeToString(m.Sum(nil))
}

// macEqual compares two encoded MACs in constant time.
func macEqual(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }

// sealMACLen is the length of the MAC Seal appends: 128 bits of
// HMAC-SHA256, which cannot be guessed at any request rate.
const sealMACLen = 16

// Seal returns payload followed by a MAC, under the token secret (shared
// by every node), over purpose, the key ID of the caller of ctx and
// payload. The APIs seal their pagination tokens with it, so that a token
// opens only for the caller it was given to, only for its purpose, and
// not once altered. The payload is not encrypted.
func (v *Verifier) Seal(ctx context.Context, purpose string, payload []byte) []byte {
	return append(append([]byte(nil), payload...), v.sealMAC(KeyID(ctx), purpose, payload)...)
}

// Unseal checks a value sealed by Seal for the caller of ctx and purpose
// and returns its payload; ok is false for anything else.
func (v *Verifier) Unseal(ctx context.Context, purpose string, sealed []byte) (payload []byte, ok bool) {
	if len(sealed) < sealMACLen {
		return nil, false
	}
	payload, mac := sealed[:len(sealed)-sealMACLen], sealed[len(sealed)-sealMACLen:]
	if !hmac.Equal(mac, v.sealMAC(KeyID(ctx), purpose, payload)) {
		return nil, false
	}
	return payload, true
}

func (v *Verifier) sealMAC(keyID, purpose string, payload []byte) []byte {
	m := hmac.New(sha256.New, v.tokenSecret)
	m.Write([]byte("seal\x00" + purpose + "\x00" + keyID + "\x00"))
	m.Write(payload)
	return m.Sum(nil)[:sealMACLen]
}
