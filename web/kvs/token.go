package kvs

import (
	"encoding/base64"
	"encoding/json"
)

// tokenVersion is the version of the NextToken documents of this build.
const tokenVersion = 1

// A NextToken is opaque to clients: standard padded base64 (what both
// models' NextToken patterns allow) of a JSON document that carries its
// format version and the operation it belongs to, and otherwise names the
// last item returned, so that paging stays consistent while items come and
// go. Each operation defines its document as a struct embedding tokenHead.
type tokenHead struct {
	V  int    `json:"v"`
	Op string `json:"op"`
}

// encodeToken returns the NextToken of doc, whose head is filled in.
func encodeToken(op string, doc interface{ head() *tokenHead }) string {
	*doc.head() = tokenHead{V: tokenVersion, Op: op}
	b, err := json.Marshal(doc)
	if err != nil {
		panic("kvs: encoding a NextToken: " + err.Error()) // plain structs of strings and numbers
	}
	return base64.StdEncoding.EncodeToString(b)
}

// decodeToken reads a NextToken of operation op into doc; a token that is
// not one, or belongs to another operation, is InvalidArgumentException.
func decodeToken(op, token string, doc interface{ head() *tokenHead }) error {
	b, err := base64.StdEncoding.DecodeString(token)
	if err == nil {
		err = json.Unmarshal(b, doc)
	}
	if h := doc.head(); err != nil || h.V != tokenVersion || h.Op != op {
		return newError(errInvalid, "NextToken %.64q is not a token of %s from this server.", token, op)
	}
	return nil
}

func (h *tokenHead) head() *tokenHead { return h }
