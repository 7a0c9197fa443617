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

// redactURL returns u without its password; the user name is kept, e.g.
// rtsp://admin@192.0.2.1/stream.
func redactURL(u *base.URL) string {
	c := *(*url.URL)(u)
	if c.User != nil {
		c.User = url.User(c.User.Username())
	}
	return c.String()
}

// secrets are the forms in which a camera password could show up in text
// (error messages of libraries, echoed URLs): as is, URL-escaped, and in
// a Basic Authorization header.
type secrets []string

func newSecrets(u *base.URL) secrets {
	if u.User == nil {
		return nil
	}
	pass, ok := u.User.Password()
	if !ok || pass == "" {
		return nil
	}
	user := u.User.Username()
	s := secrets{
		pass,
		url.PathEscape(pass),
		url.QueryEscape(pass),
		strings.TrimPrefix(url.UserPassword("", pass).String(), ":"),
		base64.StdEncoding.EncodeToString([]byte(user + ":" + pass)),
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
