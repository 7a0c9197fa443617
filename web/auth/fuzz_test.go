package auth

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseAuthorization: the parser never panics, and what it accepts is
// well formed (five-part scope, sorted lower-case headers with host, a
// 64-digit hex signature).
func FuzzParseAuthorization(f *testing.F) {
	for _, c := range authorizationCases {
		f.Add(c.h)
	}
	f.Fuzz(func(t *testing.T, h string) {
		s, fl := parseAuthorization(h, true)
		if fl != nil {
			if fl.name != ErrIncomplete {
				t.Fatalf("%q: %s", h, fl.name)
			}
			return
		}
		if s.scope.keyID == "" || len(s.sig) != 64 || !contains(s.signedHeaders, "host") {
			t.Fatalf("%q accepted as %+v", h, s)
		}
		for i, x := range s.signedHeaders {
			if x != strings.ToLower(x) || (i > 0 && s.signedHeaders[i-1] >= x) {
				t.Fatalf("%q: headers %q", h, s.signedHeaders)
			}
		}
	})
}

// FuzzValidStreamName: an accepted name is safe as a path element and a
// log field.
func FuzzValidStreamName(f *testing.F) {
	for _, c := range streamNameCases {
		f.Add(c.name)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidStreamName(s) != nil {
			return
		}
		if s == "" || s == "." || s == ".." || len(s) > MaxStreamNameLen ||
			strings.ContainsAny(s, "/\\\x00\n\r\t") {
			t.Fatalf("%q accepted", s)
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("%q accepted with control U+%04X", s, r)
			}
		}
	})
}

// FuzzBearer: checking a token never panics, and only tokens made with a
// key's secret or the token secret are accepted (a mutated valid token is
// refused unless the mutation left it the same token).
func FuzzBearer(f *testing.F) {
	key := Key{ID: "AKIDFUZZ", Secret: "fuzz-secret-1", Policy: FullAccess()}
	v := New(Config{Keys: []Key{key}, TokenSecret: []byte("fuzz-token-secret")})
	minted, _, err := v.Mint(key, "cam", ClassRead, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	derived := DeriveToken(key.ID, key.Secret)
	for _, s := range []string{minted, derived, "", "sk.", "st.", "st..", "sk.AKIDFUZZ.", "st.e30.AAAA", strings.Repeat("st.", 1000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		k, g, err := v.Bearer(tok)
		if err != nil {
			return
		}
		if k.ID != key.ID || tok != minted && tok != derived {
			t.Fatalf("%q accepted as %s %+v", tok, k.ID, g)
		}
	})
}
