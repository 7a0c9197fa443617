package auth

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The SigV4 vocabulary.
const (
	algorithm        = "AWS4-HMAC-SHA256"
	amzDateFormat    = "20060102T150405Z"
	scopeDateFormat  = "20060102"
	scopeTerminator  = "aws4_request"
	unsignedPayload  = "UNSIGNED-PAYLOAD"
	streamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	maxPresignExpiry = 7 * 24 * time.Hour // AWS's limit: 604800 seconds
	// MaxSkew is how far a request's time may be from the server's.
	MaxSkew = 15 * time.Minute
)

// scope is a parsed credential: ID/yyyymmdd/region/service/aws4_request.
type scope struct {
	keyID, date, region, service string
}

// signature is what a request claims: who signed it, over which headers,
// when, and the signature itself.
type signature struct {
	scope         scope
	signedHeaders []string // lower case, as given
	rawSigned     string   // as given, e.g. "host;x-amz-date"
	sig           string   // hex
	presigned     bool
	expires       time.Duration // presigned only
}

// parseAuthorization parses an Authorization header value of SigV4:
//
//	AWS4-HMAC-SHA256 Credential=ID/20130524/us-east-1/kinesis/aws4_request,
//	SignedHeaders=host;x-amz-date, Signature=abc…
//
// Parameters may come in any order, separated by commas with optional
// white space. A failure is IncompleteSignatureException (malformed) or
// nil with ok false when the header is not SigV4 at all.
//
// As AWS, the parameters (and a date header, hasDate) that are missing are
// all named, followed by the header as it came.
func parseAuthorization(h string, hasDate bool) (signature, *failure) {
	alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if alg != algorithm {
		return signature{}, fail(ErrIncomplete, "Authorization header requires the %s algorithm.", algorithm)
	}
	params := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return signature{}, fail(ErrIncomplete, "Authorization header requires each component to be of the form key=value; %q is not.", truncate(part, 64))
		}
		if _, dup := params[k]; dup {
			return signature{}, fail(ErrIncomplete, "Authorization header has the %s parameter twice.", truncate(k, 32))
		}
		params[k] = v
	}
	var missing []string
	for _, k := range []string{"Credential", "Signature", "SignedHeaders"} {
		if params[k] == "" {
			missing = append(missing, "Authorization header requires '"+k+"' parameter.")
		}
	}
	if !hasDate {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return signature{}, fail(ErrIncomplete, "%s Authorization=%s", strings.Join(missing, " "), truncate(h, 512))
	}
	return buildSignature(params["Credential"], params["SignedHeaders"], params["Signature"])
}

// parsePresigned reads the X-Amz-* query parameters of a presigned request.
func parsePresigned(q url.Values) (signature, *failure) {
	var missing []string
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"} {
		if q.Get(k) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		var b strings.Builder
		for _, k := range missing {
			fmt.Fprintf(&b, "AWS query-string parameters must include '%s'. ", k)
		}
		return signature{}, fail(ErrIncomplete, "%sRe-examine the query-string parameters.", b.String())
	}
	if a := q.Get("X-Amz-Algorithm"); a != algorithm {
		return signature{}, fail(ErrIncomplete, "X-Amz-Algorithm only supports %q.", algorithm)
	}
	s, f := buildSignature(q.Get("X-Amz-Credential"), q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature"))
	if f != nil {
		return s, f
	}
	s.presigned = true
	s.expires = maxPresignExpiry
	if e := q.Get("X-Amz-Expires"); e != "" {
		n, err := strconv.ParseInt(e, 10, 64)
		if err != nil || n < 1 || time.Duration(n)*time.Second > maxPresignExpiry {
			return signature{}, fail(ErrIncomplete, "X-Amz-Expires must be a number of seconds from 1 to %d.", int64(maxPresignExpiry/time.Second))
		}
		s.expires = time.Duration(n) * time.Second
	}
	return s, nil
}

func buildSignature(cred, signed, sig string) (signature, *failure) {
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return signature{}, fail(ErrIncomplete, "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'.", truncate(cred, 128))
	}
	sc := scope{keyID: parts[0], date: parts[1], region: parts[2], service: parts[3]}
	if parts[4] != scopeTerminator {
		return signature{}, fail(ErrIncomplete, "Credential should be scoped with a valid terminator: '%s', not '%s'.", scopeTerminator, truncate(parts[4], 32))
	}
	if sc.keyID == "" {
		return signature{}, fail(ErrIncomplete, "Credential must name an access key ID.")
	}
	if _, err := time.Parse(scopeDateFormat, sc.date); err != nil {
		return signature{}, fail(ErrIncomplete, "Credential should be scoped to a valid date (yyyymmdd), not '%s'.", truncate(sc.date, 16))
	}
	if len(sig) != 64 || strings.Trim(strings.ToLower(sig), "0123456789abcdef") != "" {
		return signature{}, fail(ErrIncomplete, "Signature must be 64 hexadecimal digits.")
	}
	headers := strings.Split(signed, ";")
	for i, h := range headers {
		if h == "" || h != strings.ToLower(h) || strings.ContainsAny(h, " \t:") {
			return signature{}, fail(ErrIncomplete, "SignedHeaders must be lower-case header names separated by ';', got '%s'.", truncate(signed, 256))
		}
		if i > 0 && headers[i-1] >= h {
			return signature{}, fail(ErrIncomplete, "SignedHeaders must be sorted and distinct, got '%s'.", truncate(signed, 256))
		}
	}
	if !contains(headers, "host") {
		return signature{}, fail(ErrIncomplete, "SignedHeaders must include 'host'.")
	}
	return signature{scope: sc, signedHeaders: headers, rawSigned: signed, sig: strings.ToLower(sig)}, nil
}

// requestTime is the time a request says it was signed: X-Amz-Date (the
// query's, when presigned), else Date.
func requestTime(r *http.Request, presigned bool) (time.Time, string, *failure) {
	if presigned {
		v := r.URL.Query().Get("X-Amz-Date")
		t, err := time.Parse(amzDateFormat, v)
		if err != nil {
			return time.Time{}, "", fail(ErrIncomplete, "X-Amz-Date must be in the ISO8601 basic format yyyyMMdd'T'HHmmss'Z'.")
		}
		return t, v, nil
	}
	if v := r.Header.Get("X-Amz-Date"); v != "" {
		t, err := time.Parse(amzDateFormat, v)
		if err != nil {
			return time.Time{}, "", fail(ErrIncomplete, "X-Amz-Date must be in the ISO8601 basic format yyyyMMdd'T'HHmmss'Z'.")
		}
		return t, v, nil
	}
	if v := r.Header.Get("Date"); v != "" {
		t, err := http.ParseTime(v)
		if err != nil {
			return time.Time{}, "", fail(ErrIncomplete, "Date must be an HTTP date.")
		}
		return t.UTC(), t.UTC().Format(amzDateFormat), nil
	}
	return time.Time{}, "", fail(ErrIncomplete, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// truncate bounds client-given text echoed in messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
