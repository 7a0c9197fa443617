package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/playback/dash"
	"github.com/sluice-dev/sluice/playback/hls"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/web/auth"
)

// hlsRoutes registers the GET routes that players use: the resources of
// the KVS streaming sessions that GetHLSStreamingSessionURL and
// GetDASHStreamingSessionURL hand out (each URL carries its SessionToken),
// and the simple, stable live URLs /hls/<stream>/index.m3u8 (LL-HLS),
// plain.m3u8 and replay.m3u8 (see hls.Server.ServeLive), guarded by auth
// (a bearer token in a header or in the path, or the UI session). Without a
// playback Source and Signer nothing is registered.
//
// A session token is checked on every request: an expired or altered one,
// or one whose access key no longer exists or allows it (checkGrant), is
// answered 403 with the reason, and a token only ever reads the stream
// and fragments it was signed for (its time range; for LIVE, fragments
// from its first playlist on).
func hlsRoutes(mux *http.ServeMux, deps Deps, v *auth.Verifier) {
	if deps.Playback == nil || deps.Signer == nil {
		return
	}
	hs := hls.New(deps.Playback, hls.Config{Logger: slog.Default()})
	ds := dash.New(hs)
	kp := policies(v)
	session := func(name string, kinds ...string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			token := r.URL.Query().Get("SessionToken")
			sess, err := verifySession(deps.Signer, token, kinds)
			if err == nil {
				err = checkGrant(kp, sess)
			}
			if err != nil {
				forbid(w, err)
				return
			}
			if name == hls.PathDASHMPD {
				ds.ServeManifest(w, r, sess, token)
				return
			}
			hs.ServeSession(w, r, sess, token, name)
		}
	}
	for _, p := range []struct {
		name  string
		kinds []string
	}{
		{hls.PathMaster, []string{"hls"}},
		{hls.PathMedia, []string{"hls"}},
		{hls.PathTS, []string{"hls"}},
		{hls.PathInit, []string{"hls", "dash"}},
		{hls.PathMP4, []string{"hls", "dash"}},
		{hls.PathDASHMPD, []string{"dash"}},
	} {
		mux.HandleFunc("GET /"+p.name, session(p.name, p.kinds...))
	}
	live := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stream := r.PathValue("stream")
		if deps.Video != nil {
			if _, err := deps.Video.Describe(r.Context(), stream); err != nil {
				if errors.Is(err, streams.ErrNotFound) {
					err = fmt.Errorf("%w: no video stream %q", hls.ErrNotFound, stream)
				}
				hs.Fail(w, r, err)
				return
			}
		}
		hs.ServeLive(w, r, stream, r.PathValue("file"))
	})
	// The /t/{token}/ form carries a bearer token in the path, where the
	// playlists' relative URIs keep it for every request of the player.
	guarded := guard(v, hlsAction, live)
	mux.Handle("GET /hls/{stream}/{file}", guarded)
	mux.Handle("GET /hls/{stream}/t/{token}/{file}", guarded)
}

// hlsAction is what the /hls/ URLs need: the same as asking for an HLS
// session of the stream.
const hlsAction = "kinesisvideo:GetHLSStreamingSessionURL"

// verifySession checks a session token and that it is of one of kinds.
func verifySession(signer *playback.Signer, token string, kinds []string) (playback.Session, error) {
	if token == "" {
		return playback.Session{}, errors.New("the SessionToken parameter is missing")
	}
	sess, err := signer.Verify(token)
	if err != nil {
		return playback.Session{}, err
	}
	if !slices.Contains(kinds, sess.Kind) {
		return playback.Session{}, fmt.Errorf("this is a %s session token, not one for this resource", sess.Kind)
	}
	return sess, nil
}

// forbid answers 403 with the reason.
func forbid(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprintln(w, err)
}
