package web

import (
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/sluice-dev/sluice/web/auth"
)

// openGuard protects an open server (no access keys, listening on
// loopback) from web pages in a browser on the same machine, which can
// send it requests although they cannot read the answers:
//
//   - DNS rebinding: the Host header must be a loopback name or address
//     (localhost, *.localhost, 127.0.0.0/8, [::1], any port), the host of
//     the public URL, or, when anyIP (a server open to a network), any
//     address literal: a rebinding page's requests carry its own name.
//   - Cross-site requests: a state-changing request (any method but GET,
//     HEAD, OPTIONS) with an Origin other than the server's own (its
//     Host, or the public URL's origin) is refused, whatever its content
//     type; one without an Origin must have a content type that a
//     cross-site form or no-CORS fetch cannot send (not text/plain,
//     application/x-www-form-urlencoded, multipart/form-data, nor none
//     with a body), and must not be marked cross-site by Sec-Fetch-Site.
//     AWS SDKs and the CLI (application/x-amz-json-1.1, application/json,
//     no Origin), ffmpeg's WHIP (application/sdp) and the web UI
//     (same-origin fetches) pass.
//
// Refusals are 403 with the reason in the body, and logged. The health
// endpoints /healthz and /readyz are not guarded.
type openGuard struct {
	publicURL  string
	publicHost string // lower-case host of the public URL, without port
	anyIP      bool
	// allowOrigin, when set, admits state-changing requests of pages of
	// those origins (--cors-origins: the operator's choice).
	allowOrigin func(origin string) bool
	log         *slog.Logger
	next        http.Handler
}

func newOpenGuard(publicURL string, anyIP bool, log *slog.Logger, next http.Handler) *openGuard {
	g := &openGuard{publicURL: publicURL, anyIP: anyIP, log: log, next: next}
	if u, err := url.Parse(publicURL); err == nil && u.Host != "" {
		g.publicHost = strings.ToLower(u.Hostname())
	}
	return g
}

func (g *openGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
		g.next.ServeHTTP(w, r)
		return
	}
	if reason := g.refusal(r); reason != "" {
		g.log.Info("request refused", "reason", reason, "method", r.Method, "host", truncate(r.Host, 128), "origin", truncate(r.Header.Get("Origin"), 128), "remote", r.RemoteAddr)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintln(w, "refused: "+reason)
		return
	}
	g.next.ServeHTTP(w, r)
}

// refusal says why r is refused, "" if it is not.
func (g *openGuard) refusal(r *http.Request) string {
	if !g.hostAllowed(r.Host) {
		return fmt.Sprintf("no access keys are configured, so this server answers only requests addressed to a loopback name or address (localhost, 127.0.0.1, [::1]), not to Host %q (DNS rebinding protection); configure access keys, or set --public-url to the name clients use", truncate(r.Host, 128))
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return "" // reads: players of other origins may fetch /hls/ (CORS)
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		if !auth.SameOrigin(origin, r, g.publicURL) && (g.allowOrigin == nil || !g.allowOrigin(origin)) {
			return fmt.Sprintf("no access keys are configured, so state-changing requests from pages of other origins (Origin %q) are refused (cross-site request protection)", truncate(origin, 128))
		}
		return ""
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return "no access keys are configured, so cross-site requests are refused (Sec-Fetch-Site: " + site + ")"
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		if r.ContentLength != 0 {
			return "no access keys are configured, so a state-changing request with a body must name its content type (e.g. application/json) or come with an Origin of this server (cross-site request protection)"
		}
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || simpleContentType(mt) {
		return fmt.Sprintf("no access keys are configured, so a state-changing request may not use the content type %q, which any web page can send (cross-site request protection): use e.g. application/json, or send an Origin of this server", truncate(ct, 128))
	}
	return ""
}

// simpleContentType reports whether a browser sends media type mt
// cross-site without a CORS preflight (the Fetch standard's CORS-safelisted
// request content types).
func simpleContentType(mt string) bool {
	switch strings.ToLower(mt) {
	case "text/plain", "application/x-www-form-urlencoded", "multipart/form-data":
		return true
	}
	return false
}

// hostAllowed reports whether a Host header (host[:port]) names this open
// server.
func (g *openGuard) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")), ".")
	if host == "" {
		return false
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || (g.publicHost != "" && host == g.publicHost) {
		return true
	}
	a, err := netip.ParseAddr(host)
	if err != nil || a.Zone() != "" {
		return false
	}
	return a.Unmap().IsLoopback() || g.anyIP
}

// truncate cuts s to at most n bytes, for logs and messages.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
