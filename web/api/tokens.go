package api

import (
	"net/http"
	"net/url"
	"time"

	"github.com/sluice-dev/sluice/web/auth"
)

// tokenJSON is the answer of POST /api/v1/tokens.
type tokenJSON struct {
	Token   string    `json:"token"`
	Stream  string    `json:"stream"`
	Access  string    `json:"access"`
	Expires time.Time `json:"expires"`
	// URLs that take the token: the WHIP or WHEP endpoint (send it as
	// Authorization: Bearer) and, for read, the live HLS playlist with
	// the token in its path (for players that cannot set headers).
	WHIP string `json:"whip_url,omitempty"`
	WHEP string `json:"whep_url,omitempty"`
	HLS  string `json:"hls_url,omitempty"`
}

// createToken serves POST /api/v1/tokens: {"stream", "access": "read" |
// "write", "ttl_seconds"} mints a short-lived bearer token for one stream
// (auth.Verifier.Mint). A request authenticated by a minted token cannot
// mint another (it would outlive its grant).
func (h *Handler) createToken(w http.ResponseWriter, r *http.Request) {
	if h.d.Auth == nil {
		writeError(w, http.StatusServiceUnavailable, "tokens are not served by this node")
		return
	}
	var in struct {
		Stream     string `json:"stream"`
		Access     string `json:"access"`
		TTLSeconds int64  `json:"ttl_seconds"`
	}
	if !decode(w, r, &in) {
		return
	}
	key, grant, _ := auth.Caller(r.Context())
	if grant != (auth.Grant{}) {
		writeError(w, http.StatusForbidden, "a minted token cannot mint tokens; use a key's own credentials")
		return
	}
	tok, exp, err := h.d.Auth.Mint(key, in.Stream, auth.Class(in.Access), time.Duration(in.TTLSeconds)*time.Second)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	out := tokenJSON{Token: tok, Stream: in.Stream, Access: in.Access, Expires: exp}
	base, name := h.d.PublicURL, url.PathEscape(in.Stream)
	if in.Access == string(auth.ClassWrite) {
		out.WHIP = base + "/whip/" + name
	} else {
		out.WHEP = base + "/whep/" + name
		out.HLS = base + "/hls/" + name + "/t/" + tok + "/index.m3u8"
	}
	writeJSON(w, http.StatusCreated, out)
}
