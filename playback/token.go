package playback

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Session is what a playback session URL grants: one stream, one time
// range and way of packaging, until it expires. It travels in the URL as a
// signed token, so players need no AWS signature and any node can serve it.
type Session struct {
	V                int       `json:"v"`
	Kind             string    `json:"k"`           // "hls", "dash", "clip", "share"
	Stream           string    `json:"s"`           // stream name
	Mode             string    `json:"m,omitempty"` // LIVE, LIVE_REPLAY, ON_DEMAND
	Producer         bool      `json:"p,omitempty"` // times select producer timestamps (else server)
	Start            time.Time `json:"a,omitzero"`
	End              time.Time `json:"b,omitzero"`
	Container        string    `json:"c,omitempty"` // FRAGMENTED_MP4 or MPEG_TS
	Discontinuity    string    `json:"d,omitempty"` // ALWAYS, NEVER or ON_DISCONTINUITY
	DisplayTimestamp bool      `json:"t,omitempty"` // EXT-X-PROGRAM-DATE-TIME
	MaxFragments     int       `json:"n,omitempty"`
	Expires          time.Time `json:"e"`
}

const tokenVersion = 1

var (
	// ErrTokenInvalid: the token is malformed or its signature does not
	// match (tampered, or signed by another installation).
	ErrTokenInvalid = errors.New("invalid session token")
	// ErrTokenExpired: the token was valid but its session has expired.
	ErrTokenExpired = errors.New("session token expired")
)

// Signer signs and verifies session tokens with HMAC-SHA256.
type Signer struct {
	key []byte
	now func() time.Time
}

// NewSigner returns a Signer with a secret key shared by every node (see
// fragments.Library.Secret). now defaults to time.Now.
func NewSigner(key []byte, now func() time.Time) *Signer {
	if now == nil {
		now = time.Now
	}
	return &Signer{key: key, now: now}
}

// Sign returns the token of a session: base64url(JSON) "." base64url(MAC).
func (s *Signer) Sign(sess Session) string {
	sess.V = tokenVersion
	body, err := json.Marshal(sess)
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	b := base64.RawURLEncoding.EncodeToString(body)
	return b + "." + base64.RawURLEncoding.EncodeToString(s.mac(b))
}

func (s *Signer) mac(b string) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(b))
	return h.Sum(nil)
}

// Verify checks a token and returns its session: ErrTokenInvalid when it
// was not signed by this installation or was changed, ErrTokenExpired past
// its expiry. The error message says which.
func (s *Signer) Verify(token string) (Session, error) {
	b, m, ok := strings.Cut(token, ".")
	mac, err := base64.RawURLEncoding.DecodeString(m)
	if !ok || err != nil || !hmac.Equal(mac, s.mac(b)) {
		return Session{}, fmt.Errorf("%w: the signature does not match (the URL was changed, or comes from another server)", ErrTokenInvalid)
	}
	body, err := base64.RawURLEncoding.DecodeString(b)
	var sess Session
	if err != nil || json.Unmarshal(body, &sess) != nil || sess.V != tokenVersion {
		return Session{}, fmt.Errorf("%w: unreadable session", ErrTokenInvalid)
	}
	if now := s.now(); now.After(sess.Expires) {
		return Session{}, fmt.Errorf("%w: the session expired at %s (%s ago)", ErrTokenExpired, sess.Expires.UTC().Format(time.RFC3339), now.Sub(sess.Expires).Round(time.Second))
	}
	return sess, nil
}
