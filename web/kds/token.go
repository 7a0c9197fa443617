package kds

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"
)

// tokenTTL is how long a NextToken stays valid, as Kinesis documents.
const tokenTTL = 300 * time.Second

// pageToken is the content of a NextToken: where the next page starts and
// what it pages over. It is not secret, but it is sealed (Config.Tokens):
// bound to the caller who was given it, and refused when altered. The
// stream it names is authorized like a StreamName (see authorize.go).
type pageToken struct {
	Issued  int64  `json:"t"`           // unix ms
	Stream  string `json:"s,omitempty"` // ListShards, ListStreamConsumers
	Created int64  `json:"c,omitempty"` // the stream's creation, unix ms
	After   string `json:"a,omitempty"` // last item returned: stream, shard id or consumer name
	Filter  string `json:"f,omitempty"` // ListShards filter type
	FShard  string `json:"fs,omitempty"`
	FTime   int64  `json:"ft,omitempty"`
	HasTime bool   `json:"fh,omitempty"`
}

// Sealer seals and opens values for the caller of ctx: a sealed value
// opens only for the same caller and purpose, and not once altered.
// *auth.Verifier is one.
type Sealer interface {
	Seal(ctx context.Context, purpose string, payload []byte) []byte
	Unseal(ctx context.Context, purpose string, sealed []byte) ([]byte, bool)
}

// tokenPurpose is what NextTokens are sealed for.
const tokenPurpose = "kinesis:NextToken"

func (h *Handler) encodeToken(ctx context.Context, t pageToken) *string {
	t.Issued = h.cfg.Now().UnixMilli()
	b, _ := json.Marshal(t) // plain data: cannot fail
	if h.cfg.Tokens != nil {
		b = h.cfg.Tokens.Seal(ctx, tokenPurpose, b)
	}
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
}

// decodeToken reads a NextToken: InvalidArgumentException if it is not
// one this server gave this caller, ExpiredNextTokenException if older
// than tokenTTL.
func (h *Handler) decodeToken(ctx context.Context, s string) (pageToken, error) {
	var t pageToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil && h.cfg.Tokens != nil {
		var ok bool
		if b, ok = h.cfg.Tokens.Unseal(ctx, tokenPurpose, b); !ok {
			err = errBadToken
		}
	}
	if err != nil || json.Unmarshal(b, &t) != nil || t.Issued == 0 {
		return pageToken{}, newError(errInvalid, "Invalid NextToken.")
	}
	if age := h.cfg.Now().Sub(time.UnixMilli(t.Issued)); age > tokenTTL {
		return pageToken{}, newError(errExpiredToken, "The NextToken has expired: it was issued %d seconds ago and is valid for %d seconds.", int64(age.Seconds()), int64(tokenTTL.Seconds()))
	}
	return t, nil
}

// errBadToken: a NextToken whose seal does not open.
var errBadToken = errors.New("bad seal")
