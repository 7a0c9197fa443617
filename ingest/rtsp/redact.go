package rtsp

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strings"

	"github.com/bluenviron/gortsplib/v4/pkg/base"
)

// redacted replaces secrets in text.
const redacted = "xxxxx"

// credentialWords are the (lower-case) substrings of a query parameter
// name that mark its value as a credential (?password=, ?token=,
// ?X-Amz-Signature=, ?authkey=...). A substring match errs on the side of
// hiding: ?keyframe= is hidden too.
var credentialWords = []string{"pass", "pwd", "token", "key", "secret", "auth", "sig", "credential", "x-amz-"}

// CredentialParam reports whether a query parameter named name carries a
// credential (case-insensitive substring match on password, passwd, pwd,
// pass, token, key, secret, auth, signature, sig, credential, x-amz-).
func CredentialParam(name string) bool {
	name = strings.ToLower(name)
	for _, w := range credentialWords {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// RedactURL returns a camera URL fit to show or log: the userinfo
// password is removed (the user name is kept) and the value of every query
// parameter that CredentialParam names is replaced, e.g.
// rtsp://admin@192.0.2.1/live?channel=1&password=xxxxx. A URL that does
// not parse is shown as "(unparseable URL)": its parts cannot be told
// apart, so none of it is shown.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return redactURL((*base.URL)(u))
}

// redactURL is RedactURL of a parsed URL.
func redactURL(u *base.URL) string {
	c := *(*url.URL)(u)
	if c.User != nil {
		c.User = url.User(c.User.Username())
	}
	if c.RawQuery != "" {
		parts := strings.Split(c.RawQuery, "&")
		for i, p := range parts {
			name, _, hasValue := strings.Cut(p, "=")
			if n, err := url.QueryUnescape(name); err == nil {
				name = n
			}
			if hasValue && CredentialParam(name) {
				parts[i] = p[:strings.IndexByte(p, '=')+1] + redacted
			}
		}
		c.RawQuery = strings.Join(parts, "&")
	}
	return c.String()
}

// secrets are the forms in which a camera password (of the userinfo or of
// a credential query parameter) could show up in text (error messages of
// libraries, echoed URLs): as is, URL-escaped, and in a Basic
// Authorization header.
type secrets []string

func newSecrets(u *base.URL) secrets {
	var s secrets
	add := func(v string) {
		if v != "" {
			s = append(s, v, url.PathEscape(v), url.QueryEscape(v), strings.TrimPrefix(url.UserPassword("", v).String(), ":"))
		}
	}
	if u.User != nil {
		if pass, ok := u.User.Password(); ok && pass != "" {
			add(pass)
			s = append(s, base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pass)))
		}
	}
	for name, values := range (*url.URL)(u).Query() {
		if CredentialParam(name) {
			for _, v := range values {
				add(v)
			}
		}
	}
	// longest first, so that no form is left half replaced
	slices.SortFunc(s, func(a, b string) int { return len(b) - len(a) })
	return s
}

// scrub returns text with every secret replaced.
func (s secrets) scrub(text string) string {
	for _, v := range s {
		if v != "" {
			text = strings.ReplaceAll(text, v, redacted)
		}
	}
	return text
}

// errText returns err's message, scrubbed; "" for nil.
func (s secrets) errText(err error) string {
	if err == nil {
		return ""
	}
	return s.scrub(err.Error())
}
