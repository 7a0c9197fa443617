package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// CheckOrigin validates one entry of Config.CORSOrigins: "*", or a web
// origin, "scheme://host[:port]" (http or https, no path, query or
// user), as browsers send it in the Origin header.
func CheckOrigin(o string) error {
	if o == "*" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q is not an origin: want \"*\" or scheme://host[:port], e.g. https://app.example.com", o)
	}
	return nil
}

// corsExposed are the response headers a page's SDK reads: request IDs
// and error types (AWS's names), and those of HTTP caching.
const corsExposed = "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, x-amz-request-id, x-amz-id-2, " +
	"x-amzn-Remapped-Content-Length, Content-Length, Content-Type, Date, ETag"

// apiCORS answers the AWS APIs (Kinesis Data Streams at "/", Kinesis Video
// Streams at its paths) to web pages of the configured origins: the
// preflight (OPTIONS with Access-Control-Request-Method), without
// authentication, as browsers send it; and the Access-Control headers on
// every answer. A request from another origin, or without one, passes
// through untouched (the browser then refuses the answer to its page).
// An approved preflight lets every page of that origin send requests
// signed with whatever keys it holds: "*" is an explicit choice.
type apiCORS struct {
	any     bool
	origins map[string]bool
	paths   map[string]bool
	next    http.Handler
}

func newAPICORS(origins []string, paths []string, next http.Handler) *apiCORS {
	c := &apiCORS{origins: map[string]bool{}, paths: map[string]bool{"/": true}, next: next}
	for _, o := range origins {
		if o == "*" {
			c.any = true
			continue
		}
		c.origins[strings.TrimSuffix(strings.ToLower(o), "/")] = true
	}
	for _, p := range paths {
		c.paths[p] = true
	}
	return c
}

// allows reports whether a page of origin may call the APIs.
func (c *apiCORS) allows(origin string) bool {
	return origin != "" && (c.any || c.origins[strings.ToLower(origin)])
}

func (c *apiCORS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if !c.paths[r.URL.Path] || !c.allows(origin) {
		c.next.ServeHTTP(w, r)
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Methods", "POST, GET, OPTIONS")
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			h.Set("Access-Control-Allow-Headers", req) // the SDKs' x-amz-*, amz-sdk-*, authorization, content-type
		}
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h.Set("Access-Control-Expose-Headers", corsExposed)
	c.next.ServeHTTP(w, r)
}
