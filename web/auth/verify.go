package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// verified is a request whose signature checked out.
type verified struct {
	key Key
	sig signature
	at  time.Time // the signing time
	// streaming: the body is aws-chunked and must be decoded and checked
	// chunk by chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD).
	streaming bool
}

// A SigV4 signature is checked in two steps: verifyHead before the body is
// read, verifyBody once it is (or, for a streamed media body, as it is).
//
// Two rules beyond the signature's own: a JSON API's body must be signed
// (UNSIGNED-PAYLOAD, which AWS allows only for S3-style and streaming
// media bodies, would let a captured request be replayed with any body
// for 15 minutes); and a KDS request must sign X-Amz-Target (else a
// captured or presigned request could be replayed as another action).
// signedHead is a request whose signature parses, is current, is scoped
// to this server and names a known key: all that can be checked before
// the body is read.
type signedHead struct {
	sig signature
	at  time.Time
	key Key
}

// verifyHead checks everything of r's signature but the body's hash, so
// that a request from nobody is refused before its body is read.
func (v *Verifier) verifyHead(r *http.Request, op Operation) (signedHead, *failure) {
	service := serviceKVS
	if op.api == apiKDS {
		service = serviceKDS
	}
	q := r.URL.Query()
	header := r.Header.Get("Authorization")
	presigned := q.Has("X-Amz-Algorithm") || q.Has("X-Amz-Signature") || q.Has("X-Amz-Credential")
	var sig signature
	var f *failure
	switch {
	case header != "" && presigned:
		return signedHead{}, fail(ErrInvalidSig, "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.")
	case header != "":
		sig, f = parseAuthorization(header, r.Header.Get("X-Amz-Date") != "" || r.Header.Get("Date") != "")
	case presigned:
		sig, f = parsePresigned(q)
	default:
		return signedHead{}, fail(ErrMissingToken, msgMissingToken)
	}
	if f != nil {
		return signedHead{}, f
	}
	at, amzDate, f := requestTime(r, sig.presigned)
	if f != nil {
		return signedHead{}, f
	}
	if d := at.Format(scopeDateFormat); d != sig.scope.date {
		return signedHead{}, fail(ErrInvalidSig, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", sig.scope.date, d, amzDate)
	}
	if f := v.checkTime(at, sig); f != nil {
		return signedHead{}, f
	}
	if sig.scope.region != v.cfg.Region {
		return signedHead{}, fail(ErrInvalidSig, "Credential should be scoped to a valid region, not '%s'.", truncate(sig.scope.region, 64))
	}
	if sig.scope.service != service {
		return signedHead{}, fail(ErrInvalidSig, "Credential should be scoped to correct service: '%s'.", service)
	}
	key, ok := v.keySet().Lookup(sig.scope.keyID)
	if !ok {
		return signedHead{}, fail(ErrUnrecognized, msgUnrecognized)
	}
	if op.api == apiKDS && !slices.Contains(sig.signedHeaders, "x-amz-target") {
		return signedHead{}, fail(ErrIncomplete, "X-Amz-Target must be among the signed headers.")
	}
	return signedHead{sig: sig, at: at, key: key}, nil
}

// verifyBody finishes the check of a signedHead with the body (read when
// bodyRead; else streamed, signed per chunk or not at all).
func (v *Verifier) verifyBody(r *http.Request, op Operation, h signedHead, body []byte, bodyRead bool) (verified, *failure) {
	sig, at, key := h.sig, h.at, h.key
	hashes, f := payloadHashes(r, sig.presigned, body, bodyRead)
	if f != nil {
		return verified{}, f
	}
	if !op.mediaBody {
		hashes = slices.DeleteFunc(hashes, func(h string) bool { return h == unsignedPayload })
		if len(hashes) == 0 {
			return verified{}, fail(ErrIncomplete, "%s is not accepted for %s: sign the body's SHA-256.", unsignedPayload, op.Action)
		}
	}
	for _, h := range hashes {
		if subtle.ConstantTimeCompare([]byte(recompute(r, sig, at, key, h)), []byte(sig.sig)) == 1 {
			return verified{key: key, sig: sig, at: at, streaming: h == streamingPayload}, nil
		}
	}
	return verified{}, fail(ErrInvalidSig, msgMismatch)
}

// checkTime refuses a request signed more than MaxSkew away from now, or a
// presigned one past its X-Amz-Expires.
func (v *Verifier) checkTime(at time.Time, sig signature) *failure {
	now := v.cfg.Now().UTC()
	f := func(t time.Time) string { return t.Format(amzDateFormat) }
	if at.After(now.Add(MaxSkew)) {
		return fail(ErrInvalidSig, "Signature not yet current: %s is still later than %s (%s + 15 min.)", f(at), f(now.Add(MaxSkew)), f(now))
	}
	if sig.presigned {
		if end := at.Add(sig.expires); now.After(end) {
			return fail(ErrInvalidSig, "Signature expired: %s is now earlier than %s (%s - %d sec.)", f(at), f(now.Add(-sig.expires)), f(now), int64(sig.expires/time.Second))
		}
		return nil
	}
	if at.Before(now.Add(-MaxSkew)) {
		return fail(ErrInvalidSig, "Signature expired: %s is now earlier than %s (%s - 15 min.)", f(at), f(now.Add(-MaxSkew)), f(now))
	}
	return nil
}

// payloadHashes are the payload hashes the signature may have been
// computed with, in the order to try.
func payloadHashes(r *http.Request, presigned bool, body []byte, bodyRead bool) ([]string, *failure) {
	bodyHash := func() string {
		s := sha256.Sum256(body)
		return hex.EncodeToString(s[:])
	}
	claimed := r.Header.Get("X-Amz-Content-Sha256")
	if presigned {
		if c := r.URL.Query().Get("X-Amz-Content-Sha256"); c != "" {
			claimed = c
		} else if claimed == "" {
			// Presigned URLs of S3 sign UNSIGNED-PAYLOAD; those of other
			// services the hash of the (usually empty) body.
			if bodyRead {
				return []string{unsignedPayload, bodyHash()}, nil
			}
			return []string{unsignedPayload}, nil
		}
	}
	switch {
	case claimed == unsignedPayload:
		return []string{unsignedPayload}, nil
	case claimed == streamingPayload && !presigned:
		return []string{streamingPayload}, nil
	case claimed == "" && bodyRead:
		return []string{bodyHash()}, nil
	case claimed == "":
		return nil, fail(ErrIncomplete, "A streamed body needs the x-amz-content-sha256 header (%s or %s).", unsignedPayload, streamingPayload)
	case len(claimed) == 64 && strings.Trim(strings.ToLower(claimed), "0123456789abcdef") == "":
		if !bodyRead {
			return nil, fail(ErrIncomplete, "A streamed body cannot be checked against a payload hash; sign it with %s or %s.", unsignedPayload, streamingPayload)
		}
		if subtle.ConstantTimeCompare([]byte(strings.ToLower(claimed)), []byte(bodyHash())) != 1 {
			return nil, fail(ErrInvalidSig, "The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
		return []string{strings.ToLower(claimed)}, nil
	}
	return nil, fail(ErrIncomplete, "Unsupported x-amz-content-sha256 value '%s': use a hex SHA-256, %s or %s.", truncate(claimed, 64), unsignedPayload, streamingPayload)
}

// recompute signs a copy of r, restricted to the headers the client
// signed, with aws-sdk-go-v2's signer and returns the signature.
//
// The copy keeps each signed header under its lower-case name: the SDK's
// signer skips a few headers it never signs itself (User-Agent, Expect…)
// by their canonical names only, and other clients (the KVS producer SDK)
// do sign them. Host and Content-Length come from the request's fields,
// where the signer takes them; X-Amz-Date from the signing time.
func recompute(r *http.Request, sig signature, at time.Time, key Key, payloadHash string) string {
	cp := &http.Request{
		Method: r.Method,
		URL:    &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery},
		Host:   r.Host,
		Header: http.Header{},
	}
	for _, h := range sig.signedHeaders {
		switch h {
		case "host":
			continue
		case "content-length":
			cp.ContentLength = r.ContentLength
			continue
		case "x-amz-date":
			if !sig.presigned {
				continue // the signer sets it from the signing time
			}
		}
		vals := r.Header.Values(h)
		if h == "transfer-encoding" {
			vals = r.TransferEncoding
		}
		if len(vals) == 0 {
			vals = []string{""}
		}
		cp.Header[h] = vals
	}
	creds := aws.Credentials{AccessKeyID: key.ID, SecretAccessKey: key.Secret}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableHeaderHoisting = true })
	ctx := context.Background()
	if sig.presigned {
		q := cp.URL.Query()
		q.Del("X-Amz-Signature")
		cp.URL.RawQuery = q.Encode()
		u, _, err := signer.PresignHTTP(ctx, creds, cp, payloadHash, sig.scope.service, sig.scope.region, at)
		if err != nil {
			return ""
		}
		pu, err := url.Parse(u)
		if err != nil {
			return ""
		}
		return pu.Query().Get("X-Amz-Signature")
	}
	if err := signer.SignHTTP(ctx, creds, cp, payloadHash, sig.scope.service, sig.scope.region, at); err != nil {
		return ""
	}
	_, computed, _ := strings.Cut(cp.Header.Get("Authorization"), "Signature=")
	return computed
}
