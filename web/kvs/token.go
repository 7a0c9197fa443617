package kvs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
)

// tokenVersion is the version of the NextToken documents of this build.
const tokenVersion = 1

// A NextToken is opaque to clients: standard padded base64 (what both
// models' NextToken patterns allow) of a sealed JSON document that carries its
// format version and the operation it belongs to, and otherwise names the
// last item returned, so that paging stays consistent while items come and
// go. Each operation defines its document as a struct embedding tokenHead.
type tokenHead struct {
	V  int    `json:"v"`
	Op string `json:"op"`
}

// Sealer seals and opens values for the caller of ctx: a sealed value
// opens only for the same caller and purpose, and not once altered.
// *auth.Verifier is one.
type Sealer interface {
	Seal(ctx context.Context, purpose string, payload []byte) []byte
	Unseal(ctx context.Context, purpose string, sealed []byte) ([]byte, bool)
}

// encodeToken returns the NextToken of doc, whose head is filled in,
// sealed for the caller of ctx (Config.Tokens).
func (h *Handler) encodeToken(ctx context.Context, op string, doc interface{ head() *tokenHead }) string {
	*doc.head() = tokenHead{V: tokenVersion, Op: op}
	b, err := json.Marshal(doc)
	if err != nil {
		panic("kvs: encoding a NextToken: " + err.Error()) // plain structs of strings and numbers
	}
	if h.cfg.Tokens != nil {
		b = h.cfg.Tokens.Seal(ctx, "kinesisvideo:"+op, b)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// decodeToken reads a NextToken of operation op into doc; a token that is
// not one this server gave this caller for op is InvalidArgumentException.
func (h *Handler) decodeToken(ctx context.Context, op, token string, doc interface{ head() *tokenHead }) error {
	b, err := base64.StdEncoding.DecodeString(token)
	if err == nil && h.cfg.Tokens != nil {
		var ok bool
		if b, ok = h.cfg.Tokens.Unseal(ctx, "kinesisvideo:"+op, b); !ok {
			err = errBadSeal
		}
	}
	if err == nil {
		err = json.Unmarshal(b, doc)
	}
	if h := doc.head(); err != nil || h.V != tokenVersion || h.Op != op {
		return newError(errInvalid, "NextToken %.64q is not a token of %s from this server for this caller.", token, op)
	}
	return nil
}

// errBadSeal: a NextToken whose seal does not open.
var errBadSeal = errors.New("bad seal")

func (h *tokenHead) head() *tokenHead { return h }
