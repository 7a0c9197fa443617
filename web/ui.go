package web

import (
	"embed"
	"io/fs"
	"net/http"
)

// uiFiles is the web UI: plain ES modules and CSS, no build step.
//
//go:embed ui
var uiFiles embed.FS

// uiHandler serves the UI under /ui/ (and redirects / there for browsers).
func uiHandler() http.Handler {
	sub, err := fs.Sub(uiFiles, "ui")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.StripPrefix("/ui/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; media-src 'self' blob:; img-src 'self' data: blob:; connect-src 'self'")
		files.ServeHTTP(w, r)
	})
}
