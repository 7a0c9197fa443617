package playback

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSessionTokenBinding(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := NewSigner([]byte("secret"), func() time.Time { return now })
	since := now.Add(-6 * time.Second)
	tok := s.Sign(Session{Kind: "hls", Stream: "cam", Mode: "LIVE", Key: "viewer", Since: since, Expires: now.Add(time.Minute)})
	got, err := s.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if got.V != tokenVersion || got.Key != "viewer" || !got.Since.Equal(since) {
		t.Fatalf("round trip: %+v", got)
	}

	// The key is signed: changing it breaks the signature.
	body, mac, _ := strings.Cut(tok, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(body)
	forged := strings.Replace(string(raw), `"i":"viewer"`, `"i":"admin"`, 1)
	if _, err := s.Verify(base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + mac); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("token with another key: %v", err)
	}

	// Version 1 (before keys were bound) is read as a session of no key,
	// which only an open server serves; unknown versions are refused.
	for v, want := range map[int]error{1: nil, 3: ErrTokenInvalid} {
		b, _ := json.Marshal(map[string]any{"v": v, "k": "hls", "s": "cam", "e": now.Add(time.Minute)})
		enc := base64.RawURLEncoding.EncodeToString(b)
		old := enc + "." + base64.RawURLEncoding.EncodeToString(s.mac(enc))
		got, err := s.Verify(old)
		if !errors.Is(err, want) || err == nil && (got.Key != "" || !got.Since.IsZero()) {
			t.Fatalf("version %d: %+v, %v", v, got, err)
		}
	}

	// Past its expiry: ErrTokenExpired, saying when.
	now = now.Add(time.Minute + time.Second)
	if _, err := s.Verify(tok); !errors.Is(err, ErrTokenExpired) || !strings.Contains(err.Error(), "12:01:00Z") {
		t.Fatalf("expired: %v", err)
	}
}

func TestSessionExpireBy(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	week := now.Add(7 * 24 * time.Hour)
	for _, tc := range []struct {
		name             string
		credential, want time.Time
	}{
		{"a credential that never expires", time.Time{}, week},
		{"a short-lived token", now.Add(time.Minute), now.Add(time.Minute)},
		{"a credential outliving the session", week.Add(time.Hour), week},
	} {
		sess := Session{Expires: week}
		sess.ExpireBy(tc.credential)
		if !sess.Expires.Equal(tc.want) {
			t.Errorf("%s: expires %s, want %s", tc.name, sess.Expires, tc.want)
		}
	}
}
