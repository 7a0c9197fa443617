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
//
// A session is bound to the access key that minted it (Key): the server
// checks on every use that the key still exists and still allows reading
// the stream, so removing a key revokes its sessions and links. Its
// Expires is never later than that of the credential it was minted with
// (a minted bearer token, a UI session).
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
	// Key is the ID of the access key that minted the session; "" when
	// the server was open (no keys), and for tokens of version 1.
	Key string `json:"i,omitempty"`
	// Since is a LIVE session's lower bound: the server time of the
	// oldest fragment its first playlist could list. Its playlists and
	// media URLs never reach an older fragment. Zero: no bound (other
	// modes, bound by Start and End; version 1 tokens).
	Since time.Time `json:"f,omitzero"`
}

// Token versions. Version 2 added Key and Since. A version 1 token is
// still read, as a session of no key and no LIVE bound: the server serves
// it only while it is open (a server with access keys refuses sessions of
// no key, see Session.Key).
const (
	tokenVersion   = 2
	tokenVersionV1 = 1
)

// ExpireBy caps the session's expiry at that of the credential that
// mints it (zero: a credential that does not expire), so that a session
// never outlives its grant.
func (s *Session) ExpireBy(credential time.Time) {
	if !credential.IsZero() && credential.Before(s.Expires) {
		s.Expires = credential
	}
}

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
	if err != nil || json.Unmarshal(body, &sess) != nil || sess.V != tokenVersion && sess.V != tokenVersionV1 {
		return Session{}, fmt.Errorf("%w: unreadable session", ErrTokenInvalid)
	}
	if now := s.now(); now.After(sess.Expires) {
		return Session{}, fmt.Errorf("%w: the session expired at %s (%s ago)", ErrTokenExpired, sess.Expires.UTC().Format(time.RFC3339), now.Sub(sess.Expires).Round(time.Second))
	}
	return sess, nil
}
