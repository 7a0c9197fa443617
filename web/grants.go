package web

import (
	"context"
	"fmt"

	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/web/auth"
)

// keyPolicies answers whether an access key still exists and allows an
// action on a stream (*auth.Verifier implements it). Playback session
// URLs and links are checked with it on every use, so that removing a
// key, or narrowing its policy, revokes what it minted.
type keyPolicies interface {
	Allowed(keyID, action, stream string) bool
	// ActAs returns ctx acting as the key, limited to class on stream,
	// for the API handler that serves a link (GetClip authorizes as the
	// link's key); ok is false when the key no longer exists.
	ActAs(ctx context.Context, keyID, stream string, class auth.Class) (context.Context, bool)
}

// mintAction is the action a key needs to mint a session of each kind
// (KVS GetHLSStreamingSessionURL and GetDASHStreamingSessionURL; links of
// POST /api/v1/streams/{name}/links, which needs the HLS action), and so
// to keep using it.
var mintAction = map[string]string{
	"hls":  "kinesisvideo:GetHLSStreamingSessionURL",
	"dash": "kinesisvideo:GetDASHStreamingSessionURL",
	"clip": "kinesisvideo:GetHLSStreamingSessionURL",
}

// policies is v as keyPolicies; nil (nothing to check) when there is no
// Verifier.
func policies(v *auth.Verifier) keyPolicies {
	if v == nil {
		return nil
	}
	return v
}

// checkGrant refuses a verified session whose key no longer allows it (a
// nil kp checks nothing). The error wraps playback.ErrTokenInvalid and
// says why.
func checkGrant(kp keyPolicies, sess playback.Session) error {
	if kp == nil || kp.Allowed(sess.Key, mintAction[sess.Kind], sess.Stream) {
		return nil
	}
	if sess.Key == "" {
		return fmt.Errorf("%w: it was issued without an access key (by an older version, or while the server was open); ask for a new one", playback.ErrTokenInvalid)
	}
	return fmt.Errorf("%w: access key %s, which issued it, no longer exists or may no longer read stream %q", playback.ErrTokenInvalid, sess.Key, sess.Stream)
}
