package dash

import (
	"net/http"

	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/playback/hls"
)

// Handler serves the manifests of DASH sessions; their media
// (getMP4InitFragment.mp4, getMP4MediaFragment.mp4) is served by
// hls.Server.ServeSession like that of HLS sessions.
type Handler struct {
	hls *hls.Server
}

// New returns a Handler listing fragments through h.
func New(h *hls.Server) *Handler { return &Handler{hls: h} }

// ServeManifest serves getDASHManifest.mpd of a verified session; token
// goes into the media URLs.
func (d *Handler) ServeManifest(w http.ResponseWriter, r *http.Request, sess playback.Session, token string) {
	win, err := d.hls.Window(r.Context(), sess)
	if err != nil {
		d.hls.Fail(w, r, err)
		return
	}
	seg, init := hls.SessionLinks(token, false)
	b, err := Manifest(win, sess, Links{Segment: seg, Init: init}, d.hls.Now())
	if err != nil {
		d.hls.Fail(w, r, err)
		return
	}
	hls.Write(w, hls.TypeDASH, "no-cache", b)
}
