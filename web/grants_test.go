package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/web/auth"
	"github.com/sluice-dev/sluice/web/webtest"
)

// A session URL is bound to the key that signed GetHLSStreamingSessionURL:
// narrowing the key's policy or removing the key refuses it at once.
func TestSessionURLFollowsItsKey(t *testing.T) {
	admin := auth.Key{ID: "AKADMIN", Secret: "admin-secret", Policy: auth.FullAccess()}
	viewer := auth.Key{ID: "AKID", Secret: "test-secret", Policy: auth.Policy{Streams: []string{"a"}, Actions: []string{"read"}}}
	v := auth.New(auth.Config{Keys: []auth.Key{admin, viewer}, Logger: slog.New(slog.DiscardHandler), TokenSecret: []byte("t")})
	r := newSessionRigAuth(t, v)
	start := time.Now().Add(-10 * time.Second)
	r.record(t, "a", start)
	out, err := r.am.GetHLSStreamingSessionURL(bg, onDemand("a", start.Add(-time.Second), time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	master := aws.ToString(out.HLSStreamingSessionURL)
	if sess, err := r.signer.Verify(webtest.SessionToken(t, master)); err != nil || sess.Key != viewer.ID {
		t.Fatalf("the session names key %q (%v), want %s", sess.Key, err, viewer.ID)
	}
	want := func(status int, why string) {
		t.Helper()
		if got, _, body := get(t, master); got != status || !strings.Contains(string(body), why) {
			t.Fatalf("want %d %q, got %d %s", status, why, got, body)
		}
	}
	want(http.StatusOK, "#EXTM3U")

	narrower := viewer
	narrower.Policy.Streams = []string{"b"}
	for _, step := range []struct {
		keys   []auth.Key
		status int
		why    string
	}{
		{[]auth.Key{admin, narrower}, http.StatusForbidden, `access key AKID, which issued it, no longer exists or may no longer read stream "a"`},
		{[]auth.Key{admin, viewer}, http.StatusOK, "#EXTM3U"},
		{[]auth.Key{admin}, http.StatusForbidden, "access key AKID, which issued it, no longer exists"},
	} {
		if err := v.SetKeys(step.keys); err != nil {
			t.Fatal(err)
		}
		want(step.status, step.why)
	}
}

// fixedPolicies allows the keys it lists, everything.
type fixedPolicies map[string]bool

func (p fixedPolicies) Allowed(keyID, _, _ string) bool { return p[keyID] }

func (p fixedPolicies) ActAs(ctx context.Context, keyID, _ string, _ auth.Class) (context.Context, bool) {
	return ctx, p[keyID]
}

// A clip link is checked against its key on every download; a link of
// no key is refused where keys are configured.
func TestClipLinkFollowsItsKey(t *testing.T) {
	signer := playback.NewSigner([]byte("k"), nil)
	clips := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("clip")) })
	link := func(key string) string {
		return "/getClip.mp4?SessionToken=" + url.QueryEscape(signer.Sign(playback.Session{Kind: "clip", Stream: "a", Key: key,
			Start: time.Now().Add(-time.Minute), End: time.Now(), Expires: time.Now().Add(time.Hour)}))
	}
	for _, tc := range []struct {
		name   string
		kp     keyPolicies
		key    string
		status int
		why    string
	}{
		{"key allowed", fixedPolicies{"viewer": true}, "viewer", http.StatusOK, "clip"},
		{"key removed", fixedPolicies{}, "viewer", http.StatusForbidden, "access key viewer, which issued it, no longer exists"},
		{"no key, server with keys", fixedPolicies{"viewer": true}, "", http.StatusForbidden, "issued without an access key"},
		{"no key, open server", nil, "", http.StatusOK, "clip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			clipLink(signer, tc.kp, clips)(w, httptest.NewRequest(http.MethodGet, link(tc.key), nil))
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.why) {
				t.Fatalf("want %d %q, got %d %s", tc.status, tc.why, w.Code, w.Body)
			}
		})
	}
}

// A LIVE session reads the fragments of its first playlist and later
// ones, never those recorded before it began.
func TestLiveSessionBound(t *testing.T) {
	r := newSessionRig(t)
	start := time.Now().Add(-40 * time.Second)
	r.record(t, "a", start)
	r.record(t, "a", start.Add(10*time.Second))
	out, err := r.am.GetHLSStreamingSessionURL(bg, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("a"),
		MaxMediaPlaylistFragmentResults: aws.Int64(2)})
	if err != nil {
		t.Fatal(err)
	}
	token := webtest.SessionToken(t, aws.ToString(out.HLSStreamingSessionURL))
	r.record(t, "a", start.Add(20*time.Second)) // after the session began
	var all []fragments.Info
	r.lib.Fragments(bg, "a", fragments.Selector{}, func(in fragments.Info) bool { all = append(all, in); return true })
	if len(all) != 6 {
		t.Fatalf("%d fragments", len(all))
	}
	for i, f := range all {
		status, _, body := get(t, r.srv.URL+"/getMP4MediaFragment.mp4?FragmentNumber="+f.Number+"&SessionToken="+url.QueryEscape(token))
		switch {
		case i < 2 && (status != http.StatusForbidden || !strings.Contains(string(body), "before this LIVE session began")):
			t.Errorf("fragment %d, recorded before the session: %d %.200s", i, status, body)
		case i >= 2 && status != http.StatusOK:
			t.Errorf("fragment %d of the session: %d %.200s", i, status, body)
		}
	}
}
