package auth

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// SameOrigin reports whether origin (an Origin header) is the request's
// own: its Host over http or https (behind a TLS proxy the browser's
// scheme is not the connection's), or the origin of publicURL (the base
// URL clients reach the server at; "" for none). "null" and anything
// that is not an http(s) origin are foreign.
func SameOrigin(origin string, r *http.Request, publicURL string) bool {
	origin = withPort(strings.ToLower(origin))
	if !strings.HasPrefix(origin, "http://") && !strings.HasPrefix(origin, "https://") {
		return false
	}
	if u, err := url.Parse(publicURL); publicURL != "" && err == nil && u.Host != "" &&
		origin == withPort(strings.ToLower(u.Scheme+"://"+u.Host)) {
		return true
	}
	host := strings.ToLower(r.Host)
	return host != "" && (origin == withPort("http://"+host) || origin == withPort("https://"+host))
}

// withPort returns the origin scheme://host:port with the scheme's default
// port made explicit, or origin unchanged when it does not parse.
func withPort(origin string) string {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		return origin
	}
	if u.Port() != "" {
		return u.Scheme + "://" + u.Host
	}
	port := "80"
	if u.Scheme == "https" {
		port = "443"
	}
	return u.Scheme + "://" + net.JoinHostPort(u.Hostname(), port)
}
