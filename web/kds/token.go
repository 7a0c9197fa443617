package kds

import (
	"encoding/base64"
	"encoding/json"
	"time"
)

// tokenTTL is how long a NextToken stays valid, as Kinesis documents.
const tokenTTL = 300 * time.Second

// pageToken is the content of a NextToken: where the next page starts and
// what it pages over. It is not secret; a tampered token pages from
// somewhere else in the caller's own streams.
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

func (h *Handler) encodeToken(t pageToken) *string {
	t.Issued = h.cfg.Now().UnixMilli()
	b, _ := json.Marshal(t) // plain data: cannot fail
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
}

// decodeToken reads a NextToken: InvalidArgumentException if it is not
// one of ours, ExpiredNextTokenException if older than tokenTTL.
func (h *Handler) decodeToken(s string) (pageToken, error) {
	var t pageToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &t) != nil || t.Issued == 0 {
		return pageToken{}, newError(errInvalid, "Invalid NextToken.")
	}
	if age := h.cfg.Now().Sub(time.UnixMilli(t.Issued)); age > tokenTTL {
		return pageToken{}, newError(errExpiredToken, "The NextToken has expired: it was issued %d seconds ago and is valid for %d seconds.", int64(age.Seconds()), int64(tokenTTL.Seconds()))
	}
	return t, nil
}
