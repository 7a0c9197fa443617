package web

import (
	"io/fs"
	"net/http"
	"strings"

	ingestwebrtc "github.com/sluice-dev/sluice/ingest/webrtc"
	"github.com/sluice-dev/sluice/web/auth"
	"github.com/sluice-dev/sluice/web/static"
)

// webrtcRoutes mounts WHIP (/whip/{stream}) and WHEP (/whep/{stream}),
// their session resources (/whip/{stream}/{id}, /whep/{stream}/{id}), and
// the minimal pages /publish/{stream} and /watch/{stream}. An offer needs
// a bearer token (or the UI session) allowing kinesisvideo:PutMedia (WHIP)
// or GetMedia (WHEP) on the stream; a session resource's URL, random and
// known only to its creator, is its own credential. The endpoints
// answer CORS requests from any origin (a page elsewhere may publish or
// watch; the Location and ETag headers are exposed to it).
func webrtcRoutes(mux *http.ServeMux, srv *ingestwebrtc.Server, v *auth.Verifier) {
	for _, e := range []struct {
		prefix, action string
		offer          http.HandlerFunc
	}{{"/whip/", "kinesisvideo:PutMedia", srv.HandleWHIP}, {"/whep/", "kinesisvideo:GetMedia", srv.HandleWHEP}} {
		mux.Handle("POST "+e.prefix+"{stream}", cors(guard(v, e.action, e.offer)))
		mux.Handle("OPTIONS "+e.prefix+"{stream}", cors(nil))
		mux.Handle("DELETE "+e.prefix+"{stream}/{id}", cors(http.HandlerFunc(srv.HandleResource)))
		mux.Handle("PATCH "+e.prefix+"{stream}/{id}", cors(http.HandlerFunc(srv.HandleResource)))
		mux.Handle("OPTIONS "+e.prefix+"{stream}/{id}", cors(nil))
	}
	mux.Handle("GET /publish/{stream}", page("publish.html"))
	mux.Handle("GET /watch/{stream}", page("watch.html"))
	mux.Handle("GET /webrtc-auth.js", page("auth.js"))
}

// cors adds the CORS headers; a nil handler answers preflight requests.
func cors(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", "*")
		hd.Set("Access-Control-Allow-Methods", "POST, DELETE, PATCH, OPTIONS")
		hd.Set("Access-Control-Allow-Headers", "Content-Type, If-Match, Authorization")
		hd.Set("Access-Control-Expose-Headers", "Location, ETag, Accept-Patch, Link")
		if h == nil {
			hd.Set("Access-Control-Max-Age", "600")
			hd.Set("Accept-Post", "application/sdp")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// page serves one embedded page (or its script); the stream is read from
// the path by the page itself.
func page(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := fs.ReadFile(static.Files(), name)
		if err != nil {
			http.Error(w, "page missing from the build", http.StatusInternalServerError)
			return
		}
		ctype := "text/html; charset=utf-8"
		if strings.HasSuffix(name, ".js") {
			ctype = "text/javascript; charset=utf-8"
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(b)
	})
}
