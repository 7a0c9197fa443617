package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/web/auth"
)

// clipLink serves GET /getClip.mp4?SessionToken=...: a signed, expiring
// download link of an MP4 clip (minted by POST /api/v1/streams/{name}/links).
// The token fixes the stream and the range; the clip is made by the KVS
// GetClip operation, so both share one implementation and its limits. The
// key that minted the link must still allow it (checkGrant).
func clipLink(signer *playback.Signer, kp keyPolicies, getClip http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if signer == nil {
			http.Error(w, "clips are not served by this node", http.StatusServiceUnavailable)
			return
		}
		sess, err := signer.Verify(r.URL.Query().Get("SessionToken"))
		if err == nil && sess.Kind != "clip" {
			err = fmt.Errorf("%w: this link is not a clip link", playback.ErrTokenInvalid)
		}
		if err == nil {
			err = checkGrant(kp, sess)
		}
		if err != nil {
			code := http.StatusForbidden
			if !errors.Is(err, playback.ErrTokenExpired) && !errors.Is(err, playback.ErrTokenInvalid) {
				code = http.StatusBadRequest
			}
			http.Error(w, err.Error(), code)
			return
		}
		selector := "SERVER_TIMESTAMP"
		if sess.Producer {
			selector = "PRODUCER_TIMESTAMP"
		}
		body, _ := json.Marshal(map[string]any{
			"StreamName": sess.Stream,
			"ClipFragmentSelector": map[string]any{
				"FragmentSelectorType": selector,
				"TimestampRange": map[string]float64{
					"StartTimestamp": float64(sess.Start.UnixNano()) / 1e9,
					"EndTimestamp":   float64(sess.End.UnixNano()) / 1e9,
				},
			},
		})
		ctx := r.Context()
		if kp != nil {
			var ok bool
			if ctx, ok = kp.ActAs(ctx, sess.Key, sess.Stream, auth.ClassRead); !ok {
				http.Error(w, checkGrant(kp, sess).Error(), http.StatusForbidden)
				return
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/getClip", bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		req.Header.Set("Content-Type", "application/json")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", sess.Stream+"-"+sess.Start.UTC().Format("20060102T150405Z")+".mp4"))
		getClip.ServeHTTP(w, req)
	}
}
