package main

import (
	"context"
	"log/slog"
	"os"
	"regexp"

	"github.com/sluice-dev/sluice/ingest/rtsp"
)

func newLogger(cfg config) *slog.Logger {
	level, _ := parseLevel(cfg.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(os.Stderr, opts)
	}
	return slog.New(redactingHandler{h})
}

// redactingHandler scrubs credentials from every log line whatever
// component wrote it (request paths of HLS players, errors that echo a
// URL): see redactCredentials.
type redactingHandler struct{ next slog.Handler }

func (h redactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h redactingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, redactCredentials(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = redactAttr(a)
	}
	return redactingHandler{h.next.WithAttrs(clean)}
}

func (h redactingHandler) WithGroup(name string) slog.Handler {
	return redactingHandler{h.next.WithGroup(name)}
}

// redactAttr scrubs the text of an attribute (strings, errors and other
// values that print as text; groups attribute by attribute).
func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, redactCredentials(v.String()))
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, x := range g {
			clean[i] = redactAttr(x)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, redactCredentials(x.Error()))
		case interface{ String() string }:
			return slog.String(a.Key, redactCredentials(x.String()))
		case []string:
			clean := make([]string, len(x))
			for i, s := range x {
				clean[i] = redactCredentials(s)
			}
			return slog.Any(a.Key, clean)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

var (
	// /hls/<stream>/t/<token>/index.m3u8: a bearer token in a path.
	tokenPathRe = regexp.MustCompile(`/t/[^/\s"?#]+`)
	// Authorization: Bearer <token> (or any scheme's credentials).
	authHeaderRe = regexp.MustCompile(`(?i)\b(bearer|basic|digest|aws4-hmac-sha256)\s+[^\s"]+`)
	// Sluice tokens and session cookies anywhere: sk.<id>.<mac>,
	// st.<claims>.<mac>, ss.<claims>.<mac>.
	sluiceTokenRe = regexp.MustCompile(`\bs[kts]\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]{16,}`)
	// name=value in a query string.
	queryParamRe = regexp.MustCompile(`([?&;])([^=&\s"?#]+)=([^&\s"#]*)`)
	// scheme://user:password@
	userinfoRe = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@"]*):[^@/\s"]*@`)
)

// redactCredentials returns text without the credentials it may carry:
// bearer tokens in /t/<token>/ path segments, Authorization values, Sluice
// tokens and cookies, values of credential-named query parameters (see
// rtsp.CredentialParam: password, token, SessionToken, X-Amz-Signature...)
// and userinfo passwords of URLs.
func redactCredentials(text string) string {
	text = tokenPathRe.ReplaceAllString(text, "/t/REDACTED")
	text = authHeaderRe.ReplaceAllString(text, "$1 REDACTED")
	text = sluiceTokenRe.ReplaceAllString(text, "REDACTED")
	text = queryParamRe.ReplaceAllStringFunc(text, func(m string) string {
		sub := queryParamRe.FindStringSubmatch(m)
		if rtsp.CredentialParam(sub[2]) {
			return sub[1] + sub[2] + "=REDACTED"
		}
		return m
	})
	return userinfoRe.ReplaceAllString(text, "$1@")
}
