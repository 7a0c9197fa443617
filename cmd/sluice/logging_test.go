package main

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// TestRedactCredentials: what must never reach a log line, and what must
// stay readable.
func TestRedactCredentials(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/hls/cam/t/sk.AKID.abcdefghijklmnopqrstuvwxyz012345/index.m3u8", "/hls/cam/t/REDACTED/index.m3u8"},
		{"GET /hls/cam/t/st.eyJrIjoiQSJ9.MACMACMACMACMACMACMAC/seg_1.m4s failed", "GET /hls/cam/t/REDACTED/seg_1.m4s failed"},
		{"Authorization: Bearer sk.AKID.abc", "Authorization: Bearer REDACTED"},
		{"token sk.AKIDADMIN.0123456789abcdefghij in text", "token REDACTED in text"},
		{"/hls/getHLSMasterPlaylist.m3u8?SessionToken=abc.def&x=1", "/hls/getHLSMasterPlaylist.m3u8?SessionToken=REDACTED&x=1"},
		{"dial rtsp://admin:hunter2@192.0.2.1/live?channel=1&password=pw9: refused", "dial rtsp://admin@192.0.2.1/live?channel=1&password=REDACTED refused"}, // a value runs to the next space,
		{"https://s3/b/k?X-Amz-Signature=f00&X-Amz-Credential=AKID%2F2026", "https://s3/b/k?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED"},
		{"stream cam-1 closed after 2.5s", "stream cam-1 closed after 2.5s"},
		{"http://127.0.0.1:8080/ui/", "http://127.0.0.1:8080/ui/"},
	} {
		if got := redactCredentials(tc.in); got != tc.want {
			t.Errorf("redactCredentials(%q)\n = %q\nwant %q", tc.in, got, tc.want)
		}
	}

	// Through the handler: message, attributes, errors, groups, With.
	var buf bytes.Buffer
	log := slog.New(redactingHandler{slog.NewTextHandler(&buf, nil)}).With("url", "rtsp://u:pw1@h/x")
	log.Error("serving /hls/c/t/sk.A.0123456789abcdef0123/x", "path", "/hls/c/t/TOKEN1/index.m3u8",
		"err", errors.New("GET /x?token=TOKEN2: 500"), slog.Group("req", "auth", "Bearer TOKEN3"))
	out := buf.String()
	for _, secret := range []string{"pw1", "0123456789abcdef0123", "TOKEN1", "TOKEN2", "TOKEN3"} {
		if strings.Contains(out, secret) {
			t.Errorf("%q in the log line: %s", secret, out)
		}
	}
}
